"""Films a patron saved to hear about (the wishlist)."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema.extensions import db
from cinema.models.base import AuditMixin
from cinema.models.catalogue import Movie


class WishlistItem(AuditMixin, db.Model):
    """One saved film. ``created_at`` matters: only showtimes scheduled after it are news."""

    __tablename__ = "wishlist_items"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "movie_id", name="uq_wishlist_items_patron_film"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    movie_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("movies.id", ondelete="CASCADE"), index=True)

    movie: so.Mapped[Movie] = so.relationship(lazy="joined")
