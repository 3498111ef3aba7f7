"""Shared column types and the audit fields every table carries."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema.clock import utcnow


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no zone, so the value is stored as naive UTC and
    given its zone back on the way out. Naive datetimes are refused: they are always a bug.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is required")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class AuditMixin:
    """created_at, updated_at, created_by and is_deleted, on every table."""

    created_at: so.Mapped[datetime] = so.mapped_column(
        UTCDateTime(), default=utcnow, server_default=sa.func.now()
    )
    updated_at: so.Mapped[datetime] = so.mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, server_default=sa.func.now()
    )

    @so.declared_attr
    def created_by(cls) -> so.Mapped[int | None]:
        return so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)

    is_deleted: so.Mapped[bool] = so.mapped_column(
        default=False, server_default=sa.false(), index=False
    )
