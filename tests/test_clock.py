"""cinema.clock: the cinema's local days as UTC instants (the DST days of London are in
tests/test_catalogue_days.py)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from cinema import clock

SANTIAGO = ZoneInfo("America/Santiago")  # moves its clocks at midnight


def test_a_midnight_skipped_by_the_clock_change_is_the_first_instant_of_the_day():
    start, end = clock.local_day_bounds(date(2026, 9, 6), SANTIAGO)
    assert start == datetime(2026, 9, 6, 4, 0, tzinfo=timezone.utc)
    assert clock.to_local(start, SANTIAGO).hour == 1  # 00:00 does not exist that day
    assert end - start == timedelta(hours=23)
    assert clock.local_today(start, SANTIAGO) == date(2026, 9, 6)
    assert clock.local_today(start - timedelta(microseconds=1), SANTIAGO) == date(2026, 9, 5)


def test_the_configured_zone_is_used_when_none_is_given(app_ctx):
    assert clock.cinema_tz() == ZoneInfo(app_ctx.config["CINEMA_TIMEZONE"])
    assert clock.cinema_tz({"CINEMA_TIMEZONE": "Asia/Tokyo"}) == ZoneInfo("Asia/Tokyo")
    now = clock.utcnow()
    assert now.tzinfo is not None and clock.local_today(now) == clock.to_local(now).date()
    assert clock.format_local(None) == ""
