"""Showtimes: a film in an auditorium at a time."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects.postgresql import ExcludeConstraint

from cinema.extensions import db
from cinema.models.base import AuditMixin, UTCDateTime
from cinema.models.catalogue import Auditorium, Movie


class Showtime(AuditMixin, db.Model):
    """``ends_at`` is start + film duration + cleaning buffer, so the auditorium is free again.

    On PostgreSQL an exclusion constraint makes two live showtimes of one auditorium with
    overlapping ``[starts_at, ends_at)`` impossible; the scheduling service checks first so the
    admin gets a message naming the conflict, and maps a violation to the same error.
    """

    __tablename__ = "showtimes"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("base_price_cents > 0", name="price_positive"),
        sa.Index("ix_showtimes_starts_at", "starts_at"),
        sa.Index("ix_showtimes_auditorium_starts", "auditorium_id", "starts_at"),
        ExcludeConstraint(
            ("auditorium_id", "="),
            (sa.text("tstzrange(starts_at, ends_at, '[)')"), "&&"),
            name="ex_showtimes_no_overlap",
            using="gist",
            where=sa.text("cancelled_at IS NULL AND NOT is_deleted"),
        ).ddl_if(dialect="postgresql"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    movie_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("movies.id"), index=True)
    auditorium_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("auditoriums.id"))
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    base_price_cents: so.Mapped[int]
    cancelled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    cancel_note: so.Mapped[str | None] = so.mapped_column(sa.String(300))

    movie: so.Mapped[Movie] = so.relationship(back_populates="showtimes", lazy="joined")
    auditorium: so.Mapped[Auditorium] = so.relationship(lazy="joined")

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def __repr__(self) -> str:
        return f"<Showtime {self.id} movie={self.movie_id} at {self.starts_at:%Y-%m-%d %H:%M}Z>"
