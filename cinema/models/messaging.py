"""The email outbox and the audit log."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema.extensions import db
from cinema.models.base import AuditMixin, UTCDateTime, utcnow
from cinema.models.enums import OutboxStatus, db_enum


class OutboxEmail(AuditMixin, db.Model):
    """One email, written in the same transaction as the event that causes it.

    The fully rendered MIME message is stored, so delivery needs nothing but this row.
    ``dedupe_key`` (unique) stops an event from queueing the same email twice, e.g. a reminder.
    """

    __tablename__ = "email_outbox"
    __table_args__ = (sa.Index("ix_email_outbox_due", "status", "next_attempt_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    to_address: so.Mapped[str] = so.mapped_column(sa.String(254))
    subject: so.Mapped[str] = so.mapped_column(sa.String(200))
    message: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    dedupe_key: so.Mapped[str | None] = so.mapped_column(sa.String(120), unique=True)
    status: so.Mapped[OutboxStatus] = so.mapped_column(
        db_enum(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    locked_until: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    reservation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("reservations.id"), index=True
    )


class AuditLog(AuditMixin, db.Model):
    """Who did what to which row, with the values before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(60))
    entity_type: so.Mapped[str] = so.mapped_column(sa.String(40))
    entity_id: so.Mapped[int | None]
    before: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    after: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    summary: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
