"""Patrons' reviews of films: a star rating and optional text, one per patron per film."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema.extensions import db
from cinema.models.base import AuditMixin, UTCDateTime
from cinema.models.catalogue import Movie
from cinema.models.user import User

MAX_REVIEW_BODY = 2000
MAX_HIDE_REASON = 300


class Review(AuditMixin, db.Model):
    """One patron's rating (1-5) of one film, with optional text.

    ``uq_reviews_patron_film`` is the guarantee of one review per patron per film, whatever two
    tabs or two requests do at once. A review hidden by an admin (``hidden_at``) leaves the
    film's average and list; its author still sees it, with ``hidden_reason``. The author's
    delete removes the row, so they may review the film again.
    """

    __tablename__ = "reviews"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "movie_id", name="uq_reviews_patron_film"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        sa.CheckConstraint(f"length(body) <= {MAX_REVIEW_BODY}", name="body_length"),
        # A film's visible reviews, newest first (its page and its average).
        sa.Index("ix_reviews_movie_created", "movie_id", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    movie_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("movies.id", ondelete="CASCADE"))
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    rating: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    body: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    hidden_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    hidden_reason: so.Mapped[str | None] = so.mapped_column(sa.String(MAX_HIDE_REASON))
    hidden_by: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))

    movie: so.Mapped[Movie] = so.relationship(lazy="joined")
    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id], lazy="joined")

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    def __repr__(self) -> str:
        return f"<Review {self.id} movie={self.movie_id} user={self.user_id} {self.rating}>"
