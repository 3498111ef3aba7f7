"""Parties waiting for seats of a sold-out showtime."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema.extensions import db
from cinema.models.base import AuditMixin, UTCDateTime
from cinema.models.booking import Reservation
from cinema.models.enums import db_enum
from cinema.models.showtime import Showtime
from cinema.models.user import User


class WaitlistStatus(str, enum.Enum):
    WAITING = "WAITING"
    OFFERING = "OFFERING"  # a worker is making the hold for it right now
    OFFERED = "OFFERED"  # a hold was made for it; live until the hold expires
    BOOKED = "BOOKED"  # the offered hold was paid
    EXPIRED = "EXPIRED"  # the offer was not taken in time: it passed to the next party
    LEFT = "LEFT"  # the patron left the line


LIVE_STATUSES = ("WAITING", "OFFERING", "OFFERED")
_LIVE = "status IN ('WAITING', 'OFFERING', 'OFFERED')"


class WaitlistEntry(AuditMixin, db.Model):
    """One party in a showtime's line: first come (``created_at``, ``id``), first served among
    parties that fit the freed seats. One live entry per patron per showtime."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        sa.Index("uq_waitlist_entries_live", "showtime_id", "user_id", unique=True,
                 postgresql_where=sa.text(_LIVE), sqlite_where=sa.text(_LIVE)),
        sa.Index("ix_waitlist_entries_line", "showtime_id", "status", "created_at", "id"),
        sa.CheckConstraint("party_size BETWEEN 1 AND 50", name="party_size_range"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    showtime_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("showtimes.id"))
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    party_size: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    status: so.Mapped[WaitlistStatus] = so.mapped_column(
        db_enum(WaitlistStatus), default=WaitlistStatus.WAITING)
    reservation_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("reservations.id"))
    offered_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    showtime: so.Mapped[Showtime] = so.relationship(lazy="joined")
    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id], lazy="joined")
    reservation: so.Mapped[Reservation | None] = so.relationship()
