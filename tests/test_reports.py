"""Every report and its CSV against the hand-computed figures of tests/reports_factories.py."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from cinema.models import UserRole
from cinema.reports import reports, user_stats
from cinema.reports.report_dates import DateRange, offset_segments
from tests.factories import gen_user, login
from tests.reports_factories import EXPECTED, FIRST, LAST, build_week, utc

WEEK = DateRange(FIRST, LAST)
# The same figures whoever computes them: live (the week is in the future), from the rollups
# (every day closed, every showtime over), and half and half (10-11 June closed, the Alpha
# showtime of the 12th over, the Beta one just after midnight not yet).
NOWS = pytest.mark.parametrize("now", [None, utc(30, 12), utc(12, 22)],
                               ids=["live", "rollups", "both"])
QUERY = f"date_from={FIRST.isoformat()}&date_to={LAST.isoformat()}"


@pytest.fixture
def week(app_ctx):
    return build_week()


@pytest.fixture
def staff_client(app, week):
    client = app.test_client()
    assert login(client, week["staff"].email).status_code == 303
    return client


def money(row) -> tuple:
    return (row.bookings, row.seats, row.sales_cents, row.refunds, row.refunds_cents,
            row.net_cents)


def read_csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def cents(text: str) -> int:
    whole, _, part = text.lstrip("-").partition(".")
    value = int(whole) * 100 + int(part)
    return -value if text.startswith("-") else value


# --- revenue ---------------------------------------------------------------------------------

@NOWS
def test_revenue_by_day_film_and_auditorium_match_the_hand_figures(week, now):
    report = reports.revenue_report(WEEK, now=now)
    assert {row.key: money(row) for row in report.days} == EXPECTED["days"]
    assert money(report.total) == EXPECTED["total"]
    t = report.total
    assert (t.base_cents, t.seat_type_cents, t.time_cents, t.discount_cents) == \
        EXPECTED["line_items"]
    assert t.base_cents + t.seat_type_cents + t.time_cents - t.discount_cents == t.sales_cents
    assert {row.label: money(row) for row in report.films} == EXPECTED["films"]
    assert {row.label: money(row) for row in report.auditoriums} == EXPECTED["auditoriums"]
    for table in (report.days, report.films, report.auditoriums):
        assert sum(row.net_cents for row in table) == t.net_cents
        assert sum(row.sales_cents for row in table) == t.sales_cents


@NOWS
def test_revenue_filters_by_film_and_auditorium(week, now):
    alpha = reports.revenue_total(WEEK, reports.Filters(movie_id=week["alpha"].id), now)
    assert money(alpha) == EXPECTED["films"]["Alpha"]
    screen_b = reports.revenue_total(WEEK, reports.Filters(auditorium_id=week["screen_b"].id),
                                     now)
    assert money(screen_b) == EXPECTED["auditoriums"]["Screen B"]


def test_revenue_page_and_csv(staff_client):
    page = staff_client.get(f"/admin/reports/revenue?{QUERY}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("Revenue report", "£107.00", "£84.00", "−£23.00", "Alpha", "Screen B",
                 "<svg", "<rect"):
        assert text in html
    assert 'style="' not in html and "<script>" not in html

    response = staff_client.get(f"/admin/reports/revenue?{QUERY}&format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="revenue-2030-06-10-to-2030-06-16.csv"'
    rows = read_csv(response)

    def figures(row):
        return (int(row["bookings"]), int(row["seats"]), cents(row["sales_gbp"]),
                int(row["refunds"]), cents(row["refunds_gbp"]), cents(row["net_gbp"]))

    days = {date.fromisoformat(r["key"]): figures(r) for r in rows if r["breakdown"] == "day"}
    assert days == EXPECTED["days"]
    assert {r["label"]: figures(r) for r in rows if r["breakdown"] == "film"} == \
        EXPECTED["films"]
    assert {r["label"]: figures(r) for r in rows if r["breakdown"] == "auditorium"} == \
        EXPECTED["auditoriums"]
    (total,) = [r for r in rows if r["breakdown"] == "total"]
    assert figures(total) == EXPECTED["total"]
    assert (total["sales_gbp"], total["net_gbp"]) == ("107.00", "84.00")


# --- occupancy -------------------------------------------------------------------------------

@NOWS
def test_occupancy_counts_sold_seats_against_unblocked_capacity(week, now):
    report = reports.occupancy_report(WEEK, now=now)
    showtimes, sold, capacity, by_type = EXPECTED["occupancy_total"]
    t = report.total
    assert (t.showtimes, t.sold, t.capacity) == (showtimes, sold, capacity)
    for type_name, (type_sold, type_capacity) in by_type.items():
        seat_type = next(st for st in reports.SEAT_TYPES if st.value == type_name)
        assert (t.sold_by_type[seat_type], t.capacity_by_type[seat_type]) == \
            (type_sold, type_capacity)
    assert {r.label: (r.showtimes, r.sold, r.capacity) for r in report.films} == \
        EXPECTED["occupancy_films"]
    assert {r.label: (r.showtimes, r.sold, r.capacity) for r in report.auditoriums} == \
        EXPECTED["occupancy_auditoriums"]
    assert [(r.label, r.sold, r.capacity) for r in report.showtimes] == \
        EXPECTED["occupancy_showtimes"]
    # The showtime just after midnight local time belongs to the 13th, not the 12th (UTC).
    only_13th = reports.occupancy_report(DateRange(date(2030, 6, 13), date(2030, 6, 13)),
                                         now=now)
    assert [r.label for r in only_13th.showtimes] == ["Beta"]


def test_occupancy_page_and_csv(staff_client):
    html = staff_client.get(f"/admin/reports/occupancy?{QUERY}").get_data(as_text=True)
    for text in ("Occupancy report", "66.7%", "8 of 12 seats sold", "Premium", "5 / 7"):
        assert text in html
    response = staff_client.get(f"/admin/reports/occupancy?{QUERY}&format=csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="occupancy-2030-06-10-to-2030-06-16.csv"' in \
        response.headers["Content-Disposition"]
    rows = read_csv(response)
    showtimes = [(r["label"], int(r["sold"]), int(r["capacity"]), r["starts_at_local"])
                 for r in rows if r["breakdown"] == "showtime"]
    assert showtimes == [("Alpha", 5, 7, "2030-06-12 19:00"), ("Beta", 3, 5, "2030-06-13 00:30")]
    (total,) = [r for r in rows if r["breakdown"] == "total"]
    assert (int(total["sold"]), int(total["capacity"]), total["occupancy_percent"]) == \
        (8, 12, "66.7")
    assert (total["sold_regular"], total["capacity_regular"]) == ("5", "8")
    assert (total["sold_premium"], total["capacity_premium"]) == ("3", "4")


# --- user statistics -------------------------------------------------------------------------

def test_user_stats_match_the_hand_figures(week):
    stats = user_stats.user_stats(WEEK, "day", utc(17, 12))
    for name in ("signups", "active_bookers", "repeat_bookers", "bookings",
                 "cancelled_bookings", "holds", "abandoned_holds"):
        assert getattr(stats, name) == EXPECTED[name], name
    assert round(stats.repeat_rate, 1) == 50.0
    assert round(stats.cancellation_rate, 1) == 33.3
    assert [(p.email, p.bookings, p.spend_cents) for p in stats.top_patrons] == \
        EXPECTED["top_patrons"]
    per_day = {row.start: (row.signups, row.active_bookers, row.bookings)
               for row in stats.periods}
    assert per_day[date(2030, 6, 10)] == (1, 1, 1)
    assert per_day[date(2030, 6, 12)] == (0, 3, 3)
    assert per_day[date(2030, 6, 13)] == (1, 1, 1)
    weekly = user_stats.user_stats(WEEK, "week", utc(17, 12))
    assert [(row.start, row.signups, row.bookings) for row in weekly.periods] == \
        [(date(2030, 6, 10), 2, 6)]


def test_user_stats_page_and_csv(staff_client):
    html = staff_client.get(f"/admin/reports/user-stats?{QUERY}&period=day") \
        .get_data(as_text=True)
    for text in ("User statistics report", "50.0%", "33.3%", "una@example.com", "£48.00"):
        assert text in html
    response = staff_client.get(f"/admin/reports/user-stats?{QUERY}&period=week&format=csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = read_csv(response)
    summary = {r["metric"]: r["value"] for r in rows if r["section"] == "summary"}
    assert summary["active_bookers"] == "4" and summary["repeat_rate_percent"] == "50.0"
    assert summary["cancellation_rate_percent"] == "33.3"
    spend = {r["key"]: r["value"] for r in rows
             if r["section"] == "top_patron" and r["metric"] == "spend_gbp"}
    assert spend == {"una@example.com": "48.00", "tom@example.com": "27.00",
                     "flo@example.com": "9.00", "tia@example.com": "0.00"}


# --- access, errors, time zones --------------------------------------------------------------

def test_reports_are_open_to_staff_and_admins_only(app, app_ctx):
    for role, status in ((UserRole.USER, 403), (UserRole.STAFF, 200), (UserRole.ADMIN, 200)):
        client = app.test_client()
        login(client, gen_user(role).email)
        for path in ("revenue", "occupancy", "user-stats"):
            assert client.get(f"/admin/reports/{path}").status_code == status, (role, path)


def test_a_bad_range_shows_the_form_with_a_message(staff_client):
    response = staff_client.get("/admin/reports/revenue?date_from=2030-06-20&date_to=2030-06-10")
    assert response.status_code == 422
    assert "The range starts after it ends." in response.get_data(as_text=True)
    response = staff_client.get("/admin/reports/occupancy?date_from=yesterday")
    assert response.status_code == 422


def test_offset_segments_find_daylight_saving_changes_exactly():
    from zoneinfo import ZoneInfo

    segments = offset_segments(ZoneInfo("Europe/London"), utc(1, 0, month=1), utc(31, 0, month=12))
    assert segments == [(utc(31, 1, month=3), 0), (utc(27, 1, month=10), 60),
                        (utc(31, 0, month=12), 0)]
