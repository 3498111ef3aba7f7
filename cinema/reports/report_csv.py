"""CSV exports of the reports: the same figures as the pages, money as exact decimals.

Amounts are written from integer cents without floats (``1250`` -> ``12.50``), in the
installation's currency, named in the header (e.g. ``sales_gbp``). One file per report, one
row per line of each table, with a first ``breakdown`` column saying which table it is.

Every cell goes through ``cell`` (formula injection, OWASP's rule): a text cell starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so a spreadsheet
shows it as text instead of running it (a patron named ``=HYPERLINK(...)``, a film title, an
auditorium name). Figures are not text: ``to_decimal`` (cinema.money) and ``percent`` return ``Decimal`` and
counts are ``int``, written unchanged, so a refund of ``-2.00`` stays a number.
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from cinema.money import currency, to_decimal
from cinema.reports.reports import SEAT_TYPES, OccupancyReport, RevenueReport
from cinema.reports.user_stats import UserStats

CONTENT_TYPE = "text/csv; charset=utf-8"


# What a spreadsheet may read as the start of a formula (or, with tab and CR, of a cell).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def percent(value: float | None) -> Decimal | str:
    return "" if value is None else Decimal(f"{value:.1f}")


def cell(value):
    """The value as written: numbers unchanged, text that could start a formula quoted."""
    if isinstance(value, (int, float, Decimal)):  # bool is an int: never text either
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _write(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(value) for value in header])
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()


def filename(kind: str, report) -> str:
    return f"{kind}-{report.range.slug}.csv"


def revenue_csv(report: RevenueReport) -> str:
    cur = currency().lower()
    header = ["breakdown", "key", "label", "bookings", "seats", f"base_{cur}",
              f"seat_type_adjustments_{cur}", f"time_adjustments_{cur}", f"discounts_{cur}",
              f"sales_{cur}", "refunds", f"refunds_{cur}", f"net_{cur}"]

    def line(breakdown, key, row):
        return [breakdown, key, row.label, row.bookings, row.seats, to_decimal(row.base_cents),
                to_decimal(row.seat_type_cents), to_decimal(row.time_cents),
                to_decimal(row.discount_cents), to_decimal(row.sales_cents), row.refunds,
                to_decimal(row.refunds_cents), to_decimal(row.net_cents)]

    rows = [line("day", row.key.isoformat(), row) for row in report.days]
    rows += [line("film", row.key, row) for row in report.films]
    rows += [line("auditorium", row.key, row) for row in report.auditoriums]
    rows.append(line("total", "", report.total))
    return _write(header, rows)


def occupancy_csv(report: OccupancyReport) -> str:
    from cinema.clock import format_local

    types = [t.value.lower() for t in SEAT_TYPES]
    header = ["breakdown", "key", "label", "starts_at_local", "auditorium", "showtimes",
              "capacity", "sold", "occupancy_percent"]
    header += [f"{kind}_{t}" for t in types for kind in ("capacity", "sold")]

    def line(breakdown, key, row):
        cells = [breakdown, key, row.label,
                 format_local(row.starts_at, "%Y-%m-%d %H:%M") if row.starts_at else "",
                 row.auditorium, row.showtimes, row.capacity, row.sold, percent(row.percent)]
        for seat_type in SEAT_TYPES:
            cells += [row.capacity_by_type.get(seat_type, 0), row.sold_by_type.get(seat_type, 0)]
        return cells

    rows = [line("showtime", row.key, row) for row in report.showtimes]
    rows += [line("film", row.key, row) for row in report.films]
    rows += [line("auditorium", row.key, row) for row in report.auditoriums]
    rows.append(line("total", "", report.total))
    return _write(header, rows)


def user_stats_csv(stats: UserStats) -> str:
    """Long format (one figure per row): section, key, name, metric, value."""
    cur = currency().lower()
    rows = []
    for row in stats.periods:
        for metric in ("signups", "active_bookers", "bookings"):
            rows.append([stats.period, row.start.isoformat(), "", metric, getattr(row, metric)])
    for metric, value in [
        ("signups", stats.signups), ("active_bookers", stats.active_bookers),
        ("repeat_bookers", stats.repeat_bookers),
        ("repeat_rate_percent", percent(stats.repeat_rate)),
        ("bookings", stats.bookings), ("cancelled_bookings", stats.cancelled_bookings),
        ("cancellation_rate_percent", percent(stats.cancellation_rate)),
        ("holds", stats.holds), ("abandoned_holds", stats.abandoned_holds),
        ("abandonment_rate_percent", percent(stats.abandonment_rate)),
    ]:
        rows.append(["summary", "", "", metric, value])
    for patron in stats.top_patrons:
        for metric, value in [("bookings", patron.bookings),
                              (f"sales_{cur}", to_decimal(patron.sales_cents)),
                              (f"refunds_{cur}", to_decimal(patron.refunds_cents)),
                              (f"spend_{cur}", to_decimal(patron.spend_cents))]:
            rows.append(["top_patron", patron.email, patron.full_name, metric, value])
    return _write(["section", "key", "name", "metric", "value"], rows)


WRITERS = {"revenue": revenue_csv, "occupancy": occupancy_csv, "user-stats": user_stats_csv}
