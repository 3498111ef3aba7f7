"""How the reports query: several tables from one statement, the same figures as one table at a
time, and empty ranges (the shapes docs/PERFORMANCE.md "Reports" measures)."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from cinema.extensions import db
from cinema.services import reports, user_stats
from cinema.services.report_dates import DateRange
from tests.factories import gen_user, seats_of
from tests.reports_factories import EXPECTED, FIRST, LAST, add_booking, build_week, utc

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


def test_the_revenue_report_reads_sales_once_and_refunds_once_for_its_four_tables(week):
    sent = statements_of(lambda: reports.revenue_report(WEEK))
    assert len(sent) == 2
    assert all("GROUPING SETS" in statement for statement in sent)


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


def test_user_stats_of_a_range_without_sales_are_zeros_and_no_patrons(week):
    stats = user_stats.user_stats(NOTHING, "day", utc(17, 12))
    assert (stats.active_bookers, stats.repeat_bookers, stats.bookings,
            stats.cancelled_bookings) == (0, 0, 0, 0)
    assert stats.top_patrons == []


def test_top_patrons_leave_out_a_sale_without_seat_rows(week):
    """As the revenue report does: the app never makes such a sale, but the top patrons, summed
    from the bookings' totals, must not count it as a booking nor list its patron for it. A
    free booking (seat rows at 0) still lists its patron."""
    nobody, free = gen_user(email="seatless@example.com"), gen_user(email="free@example.com")
    for user in (nobody, week["u4"]):
        add_booking(user, week["s1"], [], [], confirmed_at=utc(13, 12))
    add_booking(free, week["s3"], seats_of(week["screen_b"])[1:2], [(900, 0, 0, 900)],
                confirmed_at=utc(13, 12))
    stats = user_stats.user_stats(WEEK, "day", utc(17, 12))
    assert [(p.email, p.bookings, p.spend_cents) for p in stats.top_patrons] == \
        EXPECTED["top_patrons"] + [("free@example.com", 1, 0)]
    # Still sales for the other figures, as before.
    assert (stats.active_bookers, stats.bookings) == (EXPECTED["active_bookers"] + 2,
                                                      EXPECTED["bookings"] + 3)
