"""How the user statistics query: a few statements, and the edge cases of the top patrons (a
range without sales, a sale without seat rows, a free booking)."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from cinema.extensions import db
from cinema.reports import user_stats
from cinema.reports.report_dates import DateRange
from tests.factories import gen_user, seats_of
from tests.reports_factories import EXPECTED, FIRST, LAST, add_booking, build_week, utc

WEEK = DateRange(FIRST, LAST)
NOTHING = DateRange(date(2031, 1, 5), date(2031, 1, 11))


@pytest.fixture
def week(app_ctx):
    return build_week()


def test_user_stats_are_four_statements(week):
    sent: list[str] = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        user_stats.user_stats(WEEK, "day", utc(17, 12))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    # Totals and top patrons (one pass over the sales by patron); holds; signups per period;
    # sales per period.
    assert len(sent) == 4


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
