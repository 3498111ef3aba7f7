"""Refresh tokens of the JSON API: opaque, stored only as a hash, rotated on every use."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema.extensions import db
from cinema.models.base import AuditMixin, UTCDateTime


class RefreshToken(AuditMixin, db.Model):
    """One refresh token. Every rotation adds a row to the same ``family_id``; a token that was
    already rotated (``rotated_at`` set) and is shown again means theft: the family is revoked."""

    __tablename__ = "api_refresh_tokens"
    __table_args__ = (sa.Index("ix_api_refresh_tokens_user_live", "user_id", "revoked_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    family_id: so.Mapped[str] = so.mapped_column(sa.String(32), index=True)
    # SHA-256 of the token: the token itself is never stored, so a database leak reveals none.
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    rotated_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
