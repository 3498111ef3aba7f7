"""/api/v1/admin/reports: revenue, occupancy and user statistics, for STAFF and ADMIN, with the
same figures as the report pages (the same services, the same range and filter rules)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from cinema.blueprints.api.core import ApiBlueprint
from cinema.blueprints.api.schemas import Id, UtcDateTime
from cinema.clock import local_today
from cinema.models import UserRole, utcnow
from cinema.reports import reports, user_stats
from cinema.reports.report_dates import parse_period, parse_range

blp = ApiBlueprint("api_reports", __name__, url_prefix="/api/v1/admin/reports",
                   description="Reports (STAFF and ADMIN)")
staff_or_admin = blp.auth(UserRole.STAFF, UserRole.ADMIN)
SHOWTIME_ROWS = 200  # the page's limit: the CSV export is the way to every showtime


class RangeArgs(ma.Schema):
    date_from = fields.Date(data_key="from", metadata={"description": "first local day"})
    date_to = fields.Date(data_key="to", metadata={"description": "last local day (included)"})


class FilterArgs(RangeArgs):
    movie_id = Id()
    auditorium_id = Id()


class UserStatsArgs(RangeArgs):
    period = fields.String(validate=validate.OneOf(["day", "week", "month"]))


def _range(args: dict, default_days: int):
    def text(name):
        return args[name].isoformat() if args.get(name) else None

    return parse_range(text("date_from"), text("date_to"), local_today(utcnow()), default_days)


def _filters(args: dict) -> reports.Filters:
    return reports.Filters(movie_id=args.get("movie_id"), auditorium_id=args.get("auditorium_id"))


class RangeSchema(ma.Schema):
    first = fields.Date(required=True)
    last = fields.Date(required=True)


def _key(row) -> str:
    return row.key.isoformat() if hasattr(row.key, "isoformat") else str(row.key)


class MoneyRowSchema(ma.Schema):
    key = fields.Function(_key, required=True, metadata={"description": "day or id"})
    label = fields.String(required=True)
    bookings = fields.Integer(required=True)
    seats = fields.Integer(required=True)
    sales_cents = fields.Integer(required=True)
    discount_cents = fields.Integer(required=True)
    refunds = fields.Integer(required=True)
    refunds_cents = fields.Integer(required=True)
    net_cents = fields.Integer(required=True)


class RevenueSchema(ma.Schema):
    range = fields.Nested(RangeSchema, required=True)
    days = fields.List(fields.Nested(MoneyRowSchema), required=True)
    films = fields.List(fields.Nested(MoneyRowSchema), required=True)
    auditoriums = fields.List(fields.Nested(MoneyRowSchema), required=True)
    total = fields.Nested(MoneyRowSchema, required=True)
    generated_at = UtcDateTime(required=True)


def _by_type(counts: dict) -> dict:
    return {getattr(kind, "value", str(kind)): count for kind, count in counts.items()}


class OccupancyRowSchema(ma.Schema):
    key = fields.Function(_key, required=True)
    label = fields.String(required=True)
    starts_at = UtcDateTime(allow_none=True)
    auditorium = fields.String()
    showtimes = fields.Integer(required=True)
    capacity = fields.Integer(required=True)
    sold = fields.Integer(required=True)
    percent = fields.Float(required=True)
    capacity_by_type = fields.Function(lambda row: _by_type(row.capacity_by_type))
    sold_by_type = fields.Function(lambda row: _by_type(row.sold_by_type))


class OccupancySchema(ma.Schema):
    range = fields.Nested(RangeSchema, required=True)
    showtimes = fields.List(fields.Nested(OccupancyRowSchema), required=True,
                            metadata={"description": f"the first {SHOWTIME_ROWS}"})
    showtime_count = fields.Integer(required=True)
    films = fields.List(fields.Nested(OccupancyRowSchema), required=True)
    auditoriums = fields.List(fields.Nested(OccupancyRowSchema), required=True)
    total = fields.Nested(OccupancyRowSchema, required=True)
    generated_at = UtcDateTime(required=True)


class PeriodSchema(ma.Schema):
    start = fields.Date(required=True)
    signups = fields.Integer(required=True)
    active_bookers = fields.Integer(required=True)
    bookings = fields.Integer(required=True)


class PatronSchema(ma.Schema):
    user_id = fields.Integer(required=True)
    email = fields.String(required=True)
    full_name = fields.String(required=True)
    bookings = fields.Integer(required=True)
    spend_cents = fields.Integer(required=True)


class UserStatsSchema(ma.Schema):
    range = fields.Nested(RangeSchema, required=True)
    period = fields.String(required=True)
    periods = fields.List(fields.Nested(PeriodSchema), required=True)
    signups = fields.Integer(required=True)
    active_bookers = fields.Integer(required=True)
    repeat_bookers = fields.Integer(required=True)
    repeat_rate = fields.Float(required=True)
    bookings = fields.Integer(required=True)
    cancelled_bookings = fields.Integer(required=True)
    cancellation_rate = fields.Float(required=True)
    holds = fields.Integer(required=True)
    abandoned_holds = fields.Integer(required=True)
    abandonment_rate = fields.Float(required=True)
    top_patrons = fields.List(fields.Nested(PatronSchema), required=True)
    generated_at = UtcDateTime(required=True)


@blp.route("/revenue", methods=["GET"])
@staff_or_admin
@blp.arguments(FilterArgs, location="query")
@blp.response(200, RevenueSchema)
def revenue(args):
    """Sales, refunds and net revenue by day, film and auditorium (default: the last 7 days)."""
    return reports.revenue_report(_range(args, 7), _filters(args))


@blp.route("/occupancy", methods=["GET"])
@staff_or_admin
@blp.arguments(FilterArgs, location="query")
@blp.response(200, OccupancySchema)
def occupancy(args):
    """Seats sold against capacity per showtime, film and auditorium, by seat type."""
    return reports.occupancy_report(_range(args, 7), _filters(args), showtime_limit=SHOWTIME_ROWS)


@blp.route("/user-stats", methods=["GET"])
@staff_or_admin
@blp.arguments(UserStatsArgs, location="query")
@blp.response(200, UserStatsSchema)
def user_statistics(args):
    """Signups, active and repeat bookers, cancellations, abandoned holds, top patrons."""
    rng = _range(args, 30)
    return user_stats.user_stats(rng, parse_period(args.get("period"), rng), utcnow())
