"""Reports, open to STAFF and ADMIN (checked once, for the whole blueprint).

Each report page takes ``date_from``/``date_to`` (local days, both included), ``movie_id`` and
``auditorium_id`` (user statistics: ``period``), and answers ``?format=csv`` with the same
figures as a CSV file. Long ranges can also be exported in the background (``/exports``).
"""
from __future__ import annotations

from flask import Blueprint, make_response, redirect, request, send_file, url_for
from flask_login import current_user

from cinema.access import require_roles
from cinema.clock import local_today
from cinema.errors import on_error_render
from cinema.forms.params import id_param
from cinema.models import UserRole, utcnow
from cinema.money import format_money
from cinema.rendering import render
from cinema.reports import charts, price_split, report_csv, report_exports, reports, user_stats
from cinema.reports.report_dates import parse_period, parse_range
from cinema.templating import format_count

bp = Blueprint("reports", __name__, url_prefix="/admin/reports")

TITLES = {"revenue": "Revenue", "occupancy": "Occupancy", "user-stats": "User statistics"}


@bp.before_request
def check_role():
    return require_roles(UserRole.STAFF, UserRole.ADMIN)


def _filters(source) -> reports.Filters:
    return reports.Filters(movie_id=id_param(source, "movie_id"),
                           auditorium_id=id_param(source, "auditorium_id"))


def _range(source, default_days: int = 7):
    return parse_range(source.get("date_from"), source.get("date_to"), local_today(utcnow()),
                       default_days)


def _page(kind: str, template: str, error=None, **context):
    """The report page; with ``error`` (a bad filter) the form and the message only."""
    args = {k: v for k, v in request.args.items() if k != "format"}
    return render(template, kind=kind, title=TITLES[kind], error=error, args=args,
                  choices=reports.choices(), periods=("day", "week", "month"),
                  csv_url=url_for(request.endpoint, **args, format="csv"),
                  background_after=report_exports.BACKGROUND_AFTER_DAYS, **context)


def _csv(kind: str, report):
    response = make_response(report_csv.WRITERS[kind](report))
    response.headers["Content-Type"] = report_csv.CONTENT_TYPE
    response.headers["Content-Disposition"] = \
        f'attachment; filename="{report_csv.filename(kind, report)}"'
    return response


def _wants_csv() -> bool:
    return request.args.get("format") == "csv"


@bp.get("/revenue")
def revenue():
    """Sales, refunds and net revenue by day, film and auditorium."""
    on_error_render(lambda error: _page("revenue", "pages/reports/revenue.html", error))
    report = reports.revenue_report(_range(request.args), _filters(request.args))
    if _wants_csv():
        return _csv("revenue", report)
    rng, filters = _range(request.args), _filters(request.args)
    return _page("revenue", "pages/reports/revenue.html", report=report,
                 by_ticket_type=price_split.by_ticket_type(rng, filters),
                 by_rule=price_split.by_rule(rng, filters),
                 day_chart=charts.column_chart(
                     [(row.key.strftime("%d %b"), row.net_cents) for row in report.days],
                     # Wide and low: printed across the page it leaves room for the tables.
                     format_money, "Net revenue per day", height=130),
                 film_chart=charts.bar_chart([(row.label, row.net_cents)
                                              for row in report.films[:12]],
                                             format_money, "Net revenue by film"))


@bp.get("/occupancy")
def occupancy():
    """Seats sold against capacity per showtime, film and auditorium, by seat type."""
    on_error_render(lambda error: _page("occupancy", "pages/reports/occupancy.html", error))
    rng, filters = _range(request.args), _filters(request.args)
    report = reports.occupancy_report(rng, filters, showtime_limit=None if _wants_csv() else 200)
    if _wants_csv():
        return _csv("occupancy", report)
    return _page("occupancy", "pages/reports/occupancy.html", report=report,
                 film_chart=charts.bar_chart([(row.label, round(row.percent))
                                              for row in report.films[:12]],
                                             lambda v: f"{v}%", "Occupancy by film"),
                 bar=charts.fill_bar)


@bp.get("/user-stats", endpoint="user_stats")
def user_stats_page():
    """Signups, active bookers, repeat rate, top patrons, cancellation rate."""
    on_error_render(lambda error: _page("user-stats", "pages/reports/user_stats.html", error))
    rng = _range(request.args, default_days=30)
    stats = user_stats.user_stats(rng, parse_period(request.args.get("period"), rng), utcnow())
    if _wants_csv():
        return _csv("user-stats", stats)
    return _page("user-stats", "pages/reports/user_stats.html", report=stats,
                 signup_chart=charts.column_chart(
                     [(row.start.strftime("%d %b"), row.signups) for row in stats.periods],
                     format_count, "Signups per period"))



@bp.post("/exports")
def start_export():
    """Build a report's CSV in the background; show its progress page."""
    form = request.form
    kind = form.get("kind", "")
    rng = _range(form, default_days=365)
    period = parse_period(form.get("period"), rng) if kind == "user-stats" else None
    export_id = report_exports.start_export(kind, rng, _filters(form), period,
                                            current_user.id, utcnow())
    return redirect(url_for("reports.export_status", export_id=export_id), 303)


@bp.get("/exports/<export_id>")
def export_status(export_id: str):
    """An export's progress (polled by htmx until done), then its download link."""
    status = report_exports.export_status(export_id)
    return render("pages/reports/export.html", "partials/_export_status.html", export=status)


@bp.get("/exports/<export_id>/download")
def export_download(export_id: str):
    """The finished export's CSV file."""
    path, name = report_exports.export_file(export_id)
    return send_file(path, mimetype="text/csv", as_attachment=True,
                     download_name=name, max_age=0)
