"""Admin-run pricing: rules that move a seat's price, ticket types, and each seat's frozen items.

A rule's conditions are all optional and all must hold (an empty list or a NULL bound means
"any"); its effect is a percentage or a fixed amount, positive (up) or negative (down); the
order in which rules apply is documented in ``cinema.pricing.engine``.
"""
from __future__ import annotations

from datetime import date, time

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql as pg

from cinema.extensions import db
from cinema.models.base import AuditMixin

STACK = "STACK"
BEST_ONLY = "BEST_ONLY"
STACKING_CHOICES = (STACK, BEST_ONLY)

# What a line item is; a seat's items sum to its price before any promo code discount.
LINE_KINDS = ("BASE", "SEAT_TYPE", "RULE", "TICKET_TYPE", "LIMIT")

ONE_EFFECT = "(percent IS NULL) <> (amount_cents IS NULL)"
PERCENT_RANGE = "percent IS NULL OR (percent >= -100 AND percent <= 500 AND percent <> 0)"



def _list_of(item) -> sa.types.TypeEngine:
    """A list column: an array on PostgreSQL, JSON on SQLite (the zero-setup `make run`)."""
    return sa.JSON().with_variant(pg.ARRAY(item), "postgresql")

class PricingRule(AuditMixin, db.Model):
    """A dynamic price rule an admin runs at /admin/pricing."""

    __tablename__ = "pricing_rules"
    __table_args__ = (
        sa.CheckConstraint(ONE_EFFECT, name="one_kind_of_effect"),
        sa.CheckConstraint(PERCENT_RANGE, name="percent_range"),
        sa.CheckConstraint("stacking IN ('STACK', 'BEST_ONLY')", name="stacking_choice"),
        sa.CheckConstraint("floor_cents IS NULL OR floor_cents >= 0", name="floor_not_negative"),
        sa.CheckConstraint("ceiling_cents IS NULL OR floor_cents IS NULL OR ceiling_cents >= floor_cents",
                           name="ceiling_above_floor"),
        sa.CheckConstraint("demand_at_least IS NULL OR demand_at_least BETWEEN 0 AND 100",
                           name="demand_at_least_range"),
        sa.CheckConstraint("demand_below IS NULL OR demand_below BETWEEN 1 AND 101",
                           name="demand_below_range"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80))
    enabled: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    priority: so.Mapped[int] = so.mapped_column(default=100, server_default="100")
    stacking: so.Mapped[str] = so.mapped_column(sa.String(10), default=STACK, server_default=STACK)
    # Effect: exactly one of these, signed (negative = down).
    percent: so.Mapped[int | None]
    amount_cents: so.Mapped[int | None]
    floor_cents: so.Mapped[int | None]
    ceiling_cents: so.Mapped[int | None]
    # Conditions. Weekdays are 0 = Monday .. 6 = Sunday of the showtime's local start.
    weekdays: so.Mapped[list[int]] = so.mapped_column(_list_of(sa.Integer), default=list)
    starts_from: so.Mapped[time | None] = so.mapped_column(sa.Time())  # local, inclusive
    starts_before: so.Mapped[time | None] = so.mapped_column(sa.Time())  # local, exclusive
    date_from: so.Mapped[date | None] = so.mapped_column(sa.Date())  # local, inclusive
    date_until: so.Mapped[date | None] = so.mapped_column(sa.Date())  # local, inclusive
    seat_types: so.Mapped[list[str]] = so.mapped_column(_list_of(sa.String(12)), default=list)
    movie_ids: so.Mapped[list[int]] = so.mapped_column(_list_of(sa.Integer), default=list)
    auditorium_ids: so.Mapped[list[int]] = so.mapped_column(_list_of(sa.Integer), default=list)
    formats: so.Mapped[list[str]] = so.mapped_column(_list_of(sa.String(20)), default=list)
    demand_at_least: so.Mapped[int | None]  # percent sold at the hold, inclusive
    demand_below: so.Mapped[int | None]  # percent sold at the hold, exclusive
    lead_hours_min: so.Mapped[int | None]  # hours from the hold to the start, inclusive
    lead_hours_max: so.Mapped[int | None]  # exclusive


class TicketType(AuditMixin, db.Model):
    """Adult, Child, Senior, Student...: a price effect chosen per seat by the patron."""

    __tablename__ = "ticket_types"
    __table_args__ = (
        sa.CheckConstraint(ONE_EFFECT + " OR (percent IS NULL AND amount_cents IS NULL)",
                           name="at_most_one_effect"),
        sa.CheckConstraint(PERCENT_RANGE, name="percent_range"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    percent: so.Mapped[int | None]
    amount_cents: so.Mapped[int | None]
    # Not sold for films rated CHILD_TICKET_MAX_RATING or above (checked at the door too).
    age_restricted: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # A concession the door checks (ID or card): shown at check-in.
    is_concession: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    enabled: so.Mapped[bool] = so.mapped_column(default=True, server_default=sa.true())
    sort_order: so.Mapped[int] = so.mapped_column(default=0, server_default="0")


class SeatLineItem(AuditMixin, db.Model):
    """One priced step of one reserved seat, frozen at the hold."""

    __tablename__ = "reserved_seat_line_items"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reserved_seat_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("reserved_seats.id", ondelete="CASCADE"), index=True)
    position: so.Mapped[int]
    kind: so.Mapped[str] = so.mapped_column(sa.String(12))
    label: so.Mapped[str] = so.mapped_column(sa.String(120))
    rule_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("pricing_rules.id", ondelete="SET NULL"), index=True)
    ticket_type_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("ticket_types.id", ondelete="SET NULL"))
    amount_cents: so.Mapped[int]
    # A RULE item's floor and ceiling as the rule had them at the hold: a change of ticket type
    # re-prices from the frozen items, not from the rules as they are now.
    floor_cents: so.Mapped[int | None]
    ceiling_cents: so.Mapped[int | None]
