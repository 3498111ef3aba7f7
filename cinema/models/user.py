"""Accounts."""
from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from cinema.extensions import db
from cinema.models.base import AuditMixin, UTCDateTime
from cinema.models.enums import UserRole, db_enum


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, AuditMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # Emails are stored normalised (lower case), and the index is on lower() as well so that
        # no code path can ever create two accounts differing only by case.
        sa.Index("uq_users_email_lower", sa.func.lower(sa.column("email")), unique=True),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    full_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    role: so.Mapped[UserRole] = so.mapped_column(db_enum(UserRole), default=UserRole.USER)
    # Part of the login cookie: rotating it ends every other session of this user.
    session_token: so.Mapped[str] = so.mapped_column(sa.String(64), default=new_session_token)
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    # The wishlist digest: whether to send it, and when the last one was queued (its showtimes
    # are those scheduled since; at most one digest a day).
    wishlist_emails: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    wishlist_notified_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return not self.is_deleted

    @property
    def public_name(self) -> str:
        """How other patrons see this one (a review's author): first name and the initial of the
        last ("Ada Lovelace" -> "Ada L."), never the whole name."""
        words = self.full_name.split()
        if len(words) < 2:
            return words[0] if words else ""
        initial = next((c for c in words[-1] if c.isalpha()), "")
        return f"{words[0]} {initial.upper()}." if initial else words[0]

    def has_role(self, *roles: UserRole) -> bool:
        return self.role in roles

    @property
    def is_admin(self) -> bool:
        return self.role is UserRole.ADMIN

    @property
    def is_staff(self) -> bool:
        return self.role in (UserRole.STAFF, UserRole.ADMIN)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role.value}>"
