"""The report rollups: closed days and ended showtimes summed once, kept per time zone, read
instead of the bookings, and forgotten on request (cinema/reports/report_rollup.py).

tests/test_reports.py checks every hand-computed figure live, from the rollups and half and
half; these check when the sums are made and what they are.
"""
from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from cinema.extensions import db
from cinema.models import ClosedReportDay, DaySales, ShowtimeSales
from cinema.reports import report_rollup, reports
from cinema.reports.report_dates import DateRange
from tests.factories import seats_of
from tests.reports_factories import EXPECTED, FIRST, LAST, add_booking, build_week, utc

WEEK = DateRange(FIRST, LAST)
AFTER = utc(30, 12)  # every day of the week closed, every showtime over


@pytest.fixture
def week(app_ctx):
    return build_week()


def net_by_day(now) -> dict:
    return {row.key: row.net_cents for row in reports.revenue_report(WEEK, now=now).days}


def test_a_day_is_closed_an_hour_after_it_ends_in_the_cinema_timezone(app_ctx):
    # London is UTC+1 in June: the 12th ends at 23:00 UTC and is closed from midnight UTC.
    assert report_rollup.last_closed_day(utc(12, 23, 59)) == date(2030, 6, 11)
    assert report_rollup.last_closed_day(utc(13, 0, 0)) == date(2030, 6, 12)


def test_closed_days_are_summed_once_per_film_and_auditorium(week):
    reports.revenue_report(WEEK, now=AFTER)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClosedReportDay)) == 7
    sums = {(row.day, row.movie_id, row.auditorium_id): (row.bookings, row.sales_cents,
                                                           row.refunds, row.refunds_cents)
            for row in db.session.scalars(sa.select(DaySales))}
    alpha, beta = week["alpha"].id, week["beta"].id
    a, b = week["screen_a"].id, week["screen_b"].id
    assert sums == {
        (date(2030, 6, 10), alpha, a): (1, 2400, 0, 0),
        (date(2030, 6, 12), alpha, a): (1, 2700, 0, 0),
        (date(2030, 6, 12), beta, b): (2, 3200, 0, 0),
        (date(2030, 6, 13), alpha, a): (1, 1500, 0, 0),
        (date(2030, 6, 14), alpha, b): (1, 900, 0, 0),
        (date(2030, 6, 14), beta, b): (0, 0, 1, 800),
        (date(2030, 6, 15), alpha, a): (0, 0, 1, 1500),
    }
    assert report_rollup.close_days(FIRST, LAST) == 0  # nothing left to sum


def test_only_closed_days_are_summed_and_the_open_ones_stay_live(week):
    midweek = utc(12, 22)  # 23:00 in London on the 12th: the 10th and 11th are closed
    assert net_by_day(midweek) == {day: figures[-1] for day, figures in EXPECTED["days"].items()}
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(ClosedReportDay.day))) == \
        {date(2030, 6, 10), date(2030, 6, 11)}
    # A sale on the 12th, an open day at that moment, shows at once.
    add_booking(week["u4"], week["s2"], [_seat(week, "A5")], [(800, 0, 0, 0)],
                confirmed_at=utc(12, 21))
    assert net_by_day(midweek)[date(2030, 6, 12)] == EXPECTED["days"][date(2030, 6, 12)][-1] + 800


def test_a_summed_day_is_not_read_again_until_forgotten(week):
    before = net_by_day(AFTER)
    # Past data corrected by hand: a sale added on the 11th, a closed and summed day.
    add_booking(week["u4"], week["s2"], [_seat(week, "A5")], [(800, 0, 0, 0)],
                confirmed_at=utc(11, 12))
    assert net_by_day(AFTER) == before  # the rollup is what the report reads
    assert net_by_day(None)[date(2030, 6, 11)] == 800  # live, it is there
    report_rollup.forget(date(2030, 6, 11), date(2030, 6, 11))
    assert net_by_day(AFTER) == {**before, date(2030, 6, 11): 800}


def test_days_are_summed_again_in_another_time_zone(app, week):
    london = reports.revenue_report(WEEK, now=AFTER)
    app.config["CINEMA_TIMEZONE"] = "UTC"
    try:
        in_utc = reports.revenue_report(WEEK, now=AFTER)
        assert in_utc.days == reports.revenue_report(WEEK).days  # the same as live, in UTC
        assert in_utc.days != london.days  # the booking at 23:15 UTC on the 9th left the week
        db.session.expire_all()
        assert set(db.session.scalars(sa.select(ClosedReportDay.zone))) == \
            {"Europe/London", "UTC"}
    finally:
        app.config["CINEMA_TIMEZONE"] = "Europe/London"


def test_showtimes_are_counted_once_they_are_over_and_not_when_cancelled(week):
    reports.occupancy_report(WEEK, now=utc(12, 22))  # Alpha (the 12th) over, Beta not started
    db.session.expire_all()
    assert {(row.showtime_id, row.sold, row.sold_regular, row.sold_premium)
            for row in db.session.scalars(sa.select(ShowtimeSales))} == \
        {(week["s1"].id, 5, 2, 3)}
    reports.occupancy_report(DateRange(FIRST, date(2030, 6, 30)), now=AFTER)
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(ShowtimeSales.showtime_id))) == \
        {week["s1"].id, week["s2"].id, week["s3"].id}  # s4 was cancelled


def test_the_worker_keeps_the_last_400_days_summed(week):
    assert report_rollup.keep_up(AFTER) == 400
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.max(ClosedReportDay.day))) == date(2030, 6, 29)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ShowtimeSales)) == 3
    assert report_rollup.keep_up(AFTER) == 0


def test_two_processes_summing_the_same_days_at_once_sum_them_once(app, week):
    errors: list = []
    start = threading.Barrier(2)

    def close() -> None:
        with app.app_context():
            try:
                start.wait()
                report_rollup.close_days(FIRST, LAST)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClosedReportDay)) == 7
    assert reports.revenue_report(WEEK, now=AFTER).total.net_cents == EXPECTED["total"][-1]


def _seat(week, label: str):
    """A seat of Screen B (A5 is free for the Beta showtime of the 12th)."""
    return next(seat for seat in seats_of(week["screen_b"])
                if f"{seat.row_label}{seat.number}" == label)
