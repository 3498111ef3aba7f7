"""Sales split by ticket type and by pricing rule, from the line items frozen at each hold.

Both count the seats of bookings sold in the range (``SOLD_AT``: a "pay at the box office"
booking when it is paid, as the revenue report counts it) that are still sold (CONFIRMED or
COMPLETED), before refunds: they explain where the sales figure comes from, not the net.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from cinema.extensions import db
from cinema.models import (
    PricingRule,
    Reservation,
    ReservationStatus,
    ReservedSeat,
    SeatLineItem,
    Showtime,
    TicketType,
)
from cinema.reports.report_dates import DateRange
from cinema.reports.report_rows import SOLD_AT, Filters

SOLD = (ReservationStatus.CONFIRMED, ReservationStatus.COMPLETED)


@dataclass(frozen=True)
class SplitRow:
    label: str
    seats: int
    amount_cents: int


def _sold_seats(rng: DateRange, filters: Filters, *columns):
    start, end = rng.utc_bounds()
    stmt = (sa.select(*columns).select_from(ReservedSeat)
            .join(Reservation, Reservation.id == ReservedSeat.reservation_id)
            .join(Showtime, Showtime.id == Reservation.showtime_id)
            .where(Reservation.status.in_(SOLD), SOLD_AT >= start, SOLD_AT < end,
                   Reservation.is_deleted.is_(False)))
    return filters.apply(stmt)


def by_ticket_type(rng: DateRange, filters: Filters = Filters()) -> list[SplitRow]:
    """Seats sold and what they were paid (after discounts), per ticket type."""
    name = sa.func.coalesce(TicketType.name, "Adult (before ticket types)")
    stmt = (_sold_seats(rng, filters, name.label("label"), sa.func.count(),
                        sa.func.sum(ReservedSeat.price_cents))
            .outerjoin(TicketType, TicketType.id == ReservedSeat.ticket_type_id)
            .group_by(name).order_by(sa.func.sum(ReservedSeat.price_cents).desc()))
    return [SplitRow(label, seats, cents or 0) for label, seats, cents in db.session.execute(stmt)]


def by_rule(rng: DateRange, filters: Filters = Filters()) -> list[SplitRow]:
    """Seats each pricing rule moved and by how much in all (negative: given away)."""
    name = sa.func.coalesce(PricingRule.name, "(deleted rule)")
    stmt = (_sold_seats(rng, filters, name.label("label"), sa.func.count(),
                        sa.func.sum(SeatLineItem.amount_cents))
            .join(SeatLineItem, SeatLineItem.reserved_seat_id == ReservedSeat.id)
            .outerjoin(PricingRule, PricingRule.id == SeatLineItem.rule_id)
            .where(SeatLineItem.kind.in_(("RULE", "LIMIT")))
            .group_by(name).order_by(name))
    return [SplitRow(label, seats, cents or 0) for label, seats, cents in db.session.execute(stmt)]
