"""Reservations, their seats with price line items, payments and promo codes."""
from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema.extensions import db
from cinema.models.base import AuditMixin, UTCDateTime
from cinema.models.catalogue import Seat
from cinema.models.enums import (
    CancelReason,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    ReservationStatus,
    db_enum,
)
from cinema.models.pricing import SeatLineItem, TicketType
from cinema.models.showtime import Showtime
from cinema.models.user import User

# No 0/O/1/I/L: the code is read aloud at the box office and typed at the door.
BOOKING_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_booking_code() -> str:
    """10 random characters of a 31-letter alphabet: about 49 bits, unguessable."""
    return "".join(secrets.choice(BOOKING_CODE_ALPHABET) for _ in range(10))


class PromoCode(AuditMixin, db.Model):
    __tablename__ = "promo_codes"
    __table_args__ = (
        sa.CheckConstraint(
            "(percent_off IS NULL) <> (amount_off_cents IS NULL)", name="one_kind_of_discount"
        ),
        sa.CheckConstraint("percent_off IS NULL OR (percent_off > 0 AND percent_off <= 100)",
                           name="percent_range"),
        sa.CheckConstraint("amount_off_cents IS NULL OR amount_off_cents > 0",
                           name="amount_positive"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    description: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    percent_off: so.Mapped[int | None]
    amount_off_cents: so.Mapped[int | None]
    valid_from: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    valid_until: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    max_uses: so.Mapped[int | None]
    times_used: so.Mapped[int] = so.mapped_column(default=0, server_default="0")


UNPAID_BOX_OFFICE = "status = 'CONFIRMED' AND payment_method = 'BOX_OFFICE' AND paid_at IS NULL"


class Reservation(AuditMixin, db.Model):
    """A booking: HELD -> CONFIRMED -> COMPLETED, or CANCELLED with a reason.

    A HELD reservation past ``hold_expires_at`` is free for every availability check, whatever
    its status column still says: the worker's sweep only tidies up.
    """

    __tablename__ = "reservations"
    __table_args__ = (
        sa.CheckConstraint("total_price_cents >= 0", name="total_not_negative"),
        sa.Index("ix_reservations_status_expiry", "status", "hold_expires_at"),
        sa.Index("ix_reservations_showtime_user", "showtime_id", "user_id"),
        # Reports (docs/PERFORMANCE.md, "Reports"): sales are found by the day of
        # confirmation (and the user statistics count each period's distinct patrons from
        # that index alone); occupancy reads a showtime's sold bookings from an index holding
        # only those; refunds of bookings cancelled without a refund payment are found by
        # the instant they count (the expression reports/report_rows.refund_events filters on).
        sa.Index("ix_reservations_confirmed_patron", "confirmed_at",
                 postgresql_include=["user_id", "is_deleted"]),
        # Sales by the instant they count (reports.report_rows.SOLD_AT: paid, for the box
        # office; confirmed, for the rest).
        # Written as PostgreSQL gives it back, so the migrations-and-models check matches it;
        # tables are only ever made by the migrations (SQLite's too, from the same meaning).
        sa.Index("ix_reservations_sold_at",
                 sa.text("(\nCASE\n    WHEN payment_method::text = 'BOX_OFFICE'::text THEN paid_at"
                         "\n    ELSE confirmed_at\nEND)"),
                 postgresql_include=["user_id", "is_deleted"]),
        # Box-office bookings not paid yet (the release sweep, the dashboard).
        sa.Index("ix_reservations_unpaid_box_office", "showtime_id",
                 postgresql_where=sa.text(UNPAID_BOX_OFFICE), sqlite_where=sa.text(UNPAID_BOX_OFFICE)),
        sa.Index("ix_reservations_sold_by_showtime", "showtime_id", postgresql_include=["id"],
                 postgresql_where=sa.text("status IN ('CONFIRMED', 'COMPLETED')"),
                 sqlite_where=sa.text("status IN ('CONFIRMED', 'COMPLETED')")),
        sa.Index("ix_reservations_refund_due",
                 sa.func.coalesce(sa.column("cancelled_at"), sa.column("updated_at")),
                 postgresql_where=sa.text("status = 'CANCELLED' AND confirmed_at IS NOT NULL"),
                 sqlite_where=sa.text("status = 'CANCELLED' AND confirmed_at IS NOT NULL")),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(16), unique=True, default=new_booking_code)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    showtime_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("showtimes.id"))
    status: so.Mapped[ReservationStatus] = so.mapped_column(
        db_enum(ReservationStatus), default=ReservationStatus.HELD, index=True
    )
    cancel_reason: so.Mapped[CancelReason | None] = so.mapped_column(db_enum(CancelReason))
    cancelled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    hold_expires_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    confirmed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    admitted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    admitted_by: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    total_price_cents: so.Mapped[int] = so.mapped_column(default=0)
    payment_method: so.Mapped[PaymentMethod | None] = so.mapped_column(db_enum(PaymentMethod))
    # The provider's reference of the successful charge (rows of ``payments`` keep every try).
    payment_id: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    paid_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    promo_code_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("promo_codes.id"))
    sold_by: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    # A booking of seats cancelled from another (booking/booking_changes.py): that booking.
    split_from_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("reservations.id"))
    # On the hold of new seats for exchanging a confirmed booking to another showtime: the
    # booking it changes (``cinema.booking.exchanges``). Once the exchange is done this hold,
    # cancelled, keeps the old seats and ``split_from_id`` names the booking too.
    exchange_for_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("reservations.id"))

    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id])
    showtime: so.Mapped[Showtime] = so.relationship()
    seats: so.Mapped[list["ReservedSeat"]] = so.relationship(
        back_populates="reservation", order_by="ReservedSeat.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Reservation {self.id} {self.code} {self.status.value}>"

    # The rule "this booking claims its seats right now", written once: every availability
    # check, count and map uses these (docs/ARCHITECTURE.md, "No double booking").

    @classmethod
    def live_hold(cls, now: datetime) -> sa.ColumnElement[bool]:
        """SQL: a HELD reservation whose hold has not expired at ``now``."""
        return sa.and_(cls.status == ReservationStatus.HELD, cls.hold_expires_at > now)

    @classmethod
    def claims_seats(cls, now: datetime) -> sa.ColumnElement[bool]:
        """SQL: the reservation owns its seats at ``now``: sold (CONFIRMED or COMPLETED) or a
        live hold. An expired hold claims nothing, whether or not the sweep has run."""
        return sa.or_(cls.status.in_([ReservationStatus.CONFIRMED, ReservationStatus.COMPLETED]),
                      cls.live_hold(now))

    @classmethod
    def unpaid_at_box_office(cls) -> sa.ColumnElement[bool]:
        """SQL: a confirmed "pay at the box office" booking not paid yet (UNPAID_BOX_OFFICE)."""
        return sa.and_(cls.status == ReservationStatus.CONFIRMED,
                       cls.payment_method == PaymentMethod.BOX_OFFICE, cls.paid_at.is_(None))

    @property
    def paid_at_counter(self) -> bool:
        """Paid in cash at the box office: given back, or changed, there, never online."""
        return self.payment_method is PaymentMethod.BOX_OFFICE and self.paid_at is not None

    def is_live_hold(self, now: datetime) -> bool:
        """``live_hold`` for a loaded row."""
        return (self.status is ReservationStatus.HELD and self.hold_expires_at is not None
                and self.hold_expires_at > now)


class ReservedSeat(AuditMixin, db.Model):
    """One seat of one reservation, with that seat's price line items.

    ``is_active`` is true while the reservation holds or owns the seat. The partial unique index
    ``uq_reserved_seats_active`` is the guarantee against double booking: at most one active row
    per (showtime, seat), whatever the application, Redis or the worker do.
    """

    __tablename__ = "reserved_seats"
    __table_args__ = (
        sa.Index(
            "uq_reserved_seats_active", "showtime_id", "seat_id", unique=True,
            postgresql_where=sa.text("is_active"), sqlite_where=sa.text("is_active"),
        ),
        sa.CheckConstraint(
            "price_cents = base_price_cents + seat_type_adjustment_cents"
            " + time_adjustment_cents - discount_cents",
            name="price_is_sum_of_line_items",
        ),
        sa.CheckConstraint("price_cents >= 0", name="price_not_negative"),
        # A booking's seat rows, and (for the reports' index-only scans) everything the
        # reports read of them (docs/PERFORMANCE.md, "Reports"). Also the foreign key's index.
        sa.Index("ix_reserved_seats_reservation_lines", "reservation_id",
                 postgresql_include=["seat_id", "is_active", "base_price_cents",
                                     "seat_type_adjustment_cents", "time_adjustment_cents",
                                     "discount_cents", "price_cents"]),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reservation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("reservations.id", ondelete="CASCADE")
    )
    showtime_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("showtimes.id"))
    seat_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("seats.id"), index=True)
    is_active: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    base_price_cents: so.Mapped[int]
    seat_type_adjustment_cents: so.Mapped[int] = so.mapped_column(default=0)
    time_adjustment_cents: so.Mapped[int] = so.mapped_column(default=0)
    time_rule: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    discount_cents: so.Mapped[int] = so.mapped_column(default=0)
    price_cents: so.Mapped[int]
    ticket_type_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("ticket_types.id"))

    reservation: so.Mapped[Reservation] = so.relationship(back_populates="seats")
    seat: so.Mapped[Seat] = so.relationship(lazy="joined")
    ticket_type: so.Mapped["TicketType | None"] = so.relationship()
    # The priced steps frozen at the hold (``cinema.pricing.engine``): they sum to the price before
    # the promo code discount; ``time_adjustment_cents`` is the sum of its rule, ticket type
    # and limit items (``time_rule`` names them), so the column view stays true.
    items: so.Mapped[list["SeatLineItem"]] = so.relationship(
        order_by="SeatLineItem.position", cascade="all, delete-orphan", passive_deletes=True)


# A charge that may still take, or has taken, the booking's money and still pays for it.
LIVE_CHARGE = "kind = 'CHARGE' AND status IN ('PENDING', 'SUCCEEDED') AND compensated_at IS NULL"
# ... the booking's own charge (one per booking), and an exchange's top-up (one per exchange).
LIVE_BOOKING_CHARGE = f"{LIVE_CHARGE} AND exchange_id IS NULL"
LIVE_TOPUP = f"{LIVE_CHARGE} AND exchange_id IS NOT NULL"


# Refund keys: "refund:<reservation id>" gives back a cancelled booking's payment (a revenue
# event); "refund-charge:<payment id>" gives back a charge that could not confirm (the hold
# expired or a promo code ran out while paying) or duplicated another: never a sale, so not a
# refund in the reports. Opening either marks the charge given back (``compensated_at``).
COMPENSATION_PREFIX = "refund-charge:"
# "refund-exchange:<booking>:<exchange hold>" gives back the difference when a booking moves to
# cheaper seats: the reports count the old seats as refunded and the new ones as sold instead.
EXCHANGE_REFUND_PREFIX = "refund-exchange:"


class Payment(AuditMixin, db.Model):
    """One call to a payment provider (a charge or a refund), keyed for idempotency.

    A charge attempt belongs to its reservation: its key is ``charge:<reservation id>:<attempt>``
    and the partial unique index ``uq_payments_live_charge`` allows one live charge (PENDING, or
    SUCCEEDED and not given back) per reservation, so two tabs, a reload or a retry after a crash
    can never start a second charge while one may have taken the money.
    """

    __tablename__ = "payments"
    __table_args__ = (
        # Reports: refunds are found by kind and day (docs/PERFORMANCE.md).
        sa.Index("ix_payments_kind_created_at", "kind", "created_at"),
        sa.Index("uq_payments_live_charge", "reservation_id", unique=True,
                 postgresql_where=sa.text(LIVE_BOOKING_CHARGE),
                 sqlite_where=sa.text(LIVE_BOOKING_CHARGE)),
        sa.Index("uq_payments_live_topup", "exchange_id", unique=True,
                 postgresql_where=sa.text(LIVE_TOPUP), sqlite_where=sa.text(LIVE_TOPUP)),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reservation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("reservations.id"), index=True
    )
    provider: so.Mapped[str] = so.mapped_column(sa.String(30))
    kind: so.Mapped[PaymentKind] = so.mapped_column(db_enum(PaymentKind))
    status: so.Mapped[PaymentStatus] = so.mapped_column(
        db_enum(PaymentStatus), default=PaymentStatus.PENDING
    )
    amount_cents: so.Mapped[int]
    idempotency_key: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    provider_ref: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    card_last4: so.Mapped[str | None] = so.mapped_column(sa.String(4))
    error_code: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    error_message: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    # Set on a charge when a refund of it was opened (the booking was cancelled, or the charge
    # could not confirm or duplicated another): it no longer pays for its booking, so it
    # leaves ``uq_payments_live_charge`` and a new attempt may start.
    compensated_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime())
    # A top-up charge (kind CHARGE) of an exchange to dearer seats: the exchange's hold. The
    # charge belongs to the booking (``reservation_id``) and leaves ``uq_payments_live_charge``
    # to ``uq_payments_live_topup``: one live top-up per exchange.
    exchange_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("reservations.id"))
    # A refund (kind REFUND): the charge it gives money back from. Null on refunds written
    # before top-ups existed: those draw on the booking's own charge.
    refund_of_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("payments.id"))
