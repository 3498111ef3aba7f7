"""Enumerations stored by name in the database."""
from __future__ import annotations

import enum

import sqlalchemy as sa


class UserRole(str, enum.Enum):
    USER = "USER"
    STAFF = "STAFF"
    ADMIN = "ADMIN"


class SeatType(str, enum.Enum):
    REGULAR = "REGULAR"
    PREMIUM = "PREMIUM"
    WHEELCHAIR = "WHEELCHAIR"
    COUPLE = "COUPLE"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ReservationStatus(str, enum.Enum):
    HELD = "HELD"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"
    COMPLETED = "COMPLETED"  # admitted at the door

    @property
    def label(self) -> str:
        """What people read: a completed booking is one admitted at the door."""
        return "Admitted" if self is ReservationStatus.COMPLETED else self.value.title()


class CancelReason(str, enum.Enum):
    EXPIRED = "EXPIRED"
    PATRON = "PATRON"
    ADMIN = "ADMIN"
    SHOWTIME_CANCELLED = "SHOWTIME_CANCELLED"
    REPLACED = "REPLACED"  # a new hold by the same patron for the same showtime


class PaymentMethod(str, enum.Enum):
    CARD = "CARD"
    BOX_OFFICE = "BOX_OFFICE"


class PaymentKind(str, enum.Enum):
    CHARGE = "CHARGE"
    REFUND = "REFUND"


class PaymentStatus(str, enum.Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class OutboxStatus(str, enum.Enum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"  # gave up after the last retry; an admin can retry it


def db_enum(enum_cls) -> sa.Enum:
    # Stored as VARCHAR with a CHECK on both PostgreSQL and SQLite: adding a member later is a
    # plain migration, not an ALTER TYPE.
    return sa.Enum(
        enum_cls,
        name=enum_cls.__name__.lower(),
        native_enum=False,
        create_constraint=True,
        length=24,
        validate_strings=True,
    )
