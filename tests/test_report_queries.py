"""How the reports query: several tables from one statement, the same figures as one table at a
time, and empty ranges (the shapes docs/PERFORMANCE.md "Reports" measures)."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from cinema.extensions import db
from cinema.reports import reports
from cinema.reports.report_dates import DateRange
from tests.reports_factories import FIRST, LAST, build_week, utc

WEEK = DateRange(FIRST, LAST)
NOTHING = DateRange(date(2031, 1, 5), date(2031, 1, 11))


@pytest.fixture
def week(app_ctx):
    return build_week()


def statements_of(func) -> list[str]:
    """The SELECTs ``func`` sends (the SET LOCAL of a report transaction left out)."""
    sent: list[str] = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        func()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return sent


def test_the_revenue_report_reads_sales_and_refunds_in_one_statement_for_its_four_tables(week):
    sent = statements_of(lambda: reports.revenue_report(WEEK))
    assert len(sent) == 1
    assert "GROUPING SETS" in sent[0] and "reserved_seats" in sent[0]


def test_closed_days_are_read_from_the_rollup_not_from_the_bookings(week):
    after = utc(30, 12)
    reports.revenue_report(WEEK, now=after)  # sums the closed days once
    sent = statements_of(lambda: reports.revenue_report(WEEK, now=after))
    assert len(sent) == 2  # which days are summed, then the report
    assert "report_day_sales" in sent[1] and "reserved_seats" not in sent[1]
    assert "payments" not in sent[1]


def test_the_occupancy_report_is_one_statement_for_its_tables_and_one_for_the_showtimes(week):
    assert len(statements_of(lambda: reports.occupancy_report(WEEK))) == 2


@pytest.mark.parametrize("filters", [{}, {"movie": "alpha"}, {"auditorium": "screen_b"}])
def test_each_table_of_the_report_is_the_table_computed_alone(week, filters):
    f = reports.Filters(movie_id=week["alpha"].id if "movie" in filters else None,
                        auditorium_id=week["screen_b"].id if "auditorium" in filters else None)
    report = reports.revenue_report(WEEK, f)
    assert report.days == reports.revenue_by_day(WEEK, f)
    assert report.films == reports.revenue_by_film(WEEK, f)
    assert report.auditoriums == reports.revenue_by_auditorium(WEEK, f)
    assert report.total == reports.revenue_total(WEEK, f)
    assert report.total.sales_cents == sum(row.sales_cents for row in report.days)


def test_a_range_without_sales_or_showtimes_gives_zero_totals_and_empty_tables(week):
    revenue = reports.revenue_report(NOTHING)
    assert (revenue.total.bookings, revenue.total.sales_cents, revenue.total.refunds_cents) \
        == (0, 0, 0)
    assert revenue.films == [] and revenue.auditoriums == []
    assert [row.sales_cents for row in revenue.days] == [0] * 7
    occupancy = reports.occupancy_report(NOTHING)
    assert (occupancy.total.showtimes, occupancy.total.capacity, occupancy.total.sold) == (0, 0, 0)
    assert occupancy.films == [] and occupancy.auditoriums == [] and occupancy.showtimes == []
