"""The day programme: "today" is the cinema's local day, days are 23 or 25 hours long when the
clocks change, cancelled showtimes are marked, and a bad ?date= never makes a 500."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from cinema import clock, create_app
from cinema.catalogue import catalogue
from cinema.models import utcnow
from tests.catalogue_factories import LONDON, cancel, local, local_today, next_dst_change, soft_delete
from tests.conftest import app_config
from tests.factories import gen_auditorium, gen_movie, gen_showtime

JSON = {"Accept": "application/json"}
UTC = timezone.utc


@pytest.fixture
def screen(app_ctx):
    return gen_auditorium(rows=2, seats_per_row=3)


def apart(film, starts_at):
    """A showtime in an auditorium of its own: the tests below place showtimes minutes apart."""
    return gen_showtime(film, gen_auditorium(rows=1, seats_per_row=2), starts_at)


def showtime_links(body: str) -> set[int]:
    import re

    return {int(n) for n in re.findall(r'href="/showtimes/(\d+)"', body)}


# --- local days, as pure functions ------------------------------------------------------------

def test_local_day_bounds_on_an_ordinary_day():
    start, end = clock.local_day_bounds(date(2026, 7, 1), LONDON)
    assert start == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)  # BST: midnight is 23:00 UTC
    assert end - start == timedelta(hours=24)


def test_the_spring_forward_day_has_23_hours_and_the_fall_back_day_25():
    spring_start, spring_end = clock.local_day_bounds(date(2026, 3, 29), LONDON)
    autumn_start, autumn_end = clock.local_day_bounds(date(2026, 10, 25), LONDON)
    assert (spring_start, spring_end - spring_start) == (
        datetime(2026, 3, 29, 0, 0, tzinfo=UTC), timedelta(hours=23))
    assert (autumn_start, autumn_end - autumn_start) == (
        datetime(2026, 10, 24, 23, 0, tzinfo=UTC), timedelta(hours=25))


def test_today_is_the_cinemas_day_not_utcs():
    # 23:30 UTC on 31 July is already 1 August in London (BST)...
    assert clock.local_today(datetime(2026, 7, 31, 23, 30, tzinfo=UTC), LONDON) == \
        date(2026, 8, 1)
    # ...and still 31 July in New York.
    assert clock.local_today(datetime(2026, 7, 31, 23, 30, tzinfo=UTC),
                                 ZoneInfo("America/New_York")) == date(2026, 7, 31)


@pytest.mark.parametrize("value", ["bad", "2026-13-01", "2026-02-30", "26-1-1", "2026/01/05",
                                   "\x00", "9999-12-31"])
def test_parse_day_refuses_what_is_not_a_usable_date(value):
    from cinema.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed):
        catalogue.parse_day(value, date(2026, 11, 26))


def test_parse_day_defaults_to_today():
    assert catalogue.parse_day(None, date(2026, 11, 26)) == date(2026, 11, 26)
    assert catalogue.parse_day("", date(2026, 11, 26)) == date(2026, 11, 26)
    assert catalogue.parse_day("2026-12-01", date(2026, 11, 26)) == date(2026, 12, 1)


# --- the programme service, with the clock passed in ------------------------------------------

def test_programme_of_the_autumn_change_day_holds_all_25_hours(screen):
    film = gen_movie(duration_minutes=60)
    now = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    before = apart(film, local(date(2026, 10, 24), "23:30"))  # 22:30 UTC
    early = apart(film, local(date(2026, 10, 25), "00:30"))   # 23:30 UTC, 24th
    late = apart(film, local(date(2026, 10, 25), "23:00"))    # 23:00 UTC, 25th
    after = apart(film, local(date(2026, 10, 26), "00:15"))   # 00:15 UTC, 26th

    programme = catalogue.day_programme(date(2026, 10, 25), now, LONDON)

    assert [s.id for entry in programme for s in entry.showtimes] == [early.id, late.id]
    assert before.id != early.id and after.id != late.id


def test_programme_of_the_spring_change_day_holds_its_23_hours(screen):
    film = gen_movie(duration_minutes=30)
    now = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    midnight = apart(film, local(date(2026, 3, 29), "00:10"))  # 00:10 UTC (GMT)
    night = apart(film, local(date(2026, 3, 29), "23:50"))     # 22:50 UTC (BST)
    apart(film, local(date(2026, 3, 30), "00:10"))             # 23:10 UTC, 29th

    programme = catalogue.day_programme(date(2026, 3, 29), now, LONDON)

    assert [s.id for entry in programme for s in entry.showtimes] == [midnight.id, night.id]


def test_programme_leaves_out_what_already_started_and_groups_by_film(screen):
    first, second = gen_movie("First"), gen_movie("Second")
    day = date(2026, 12, 5)
    now = local(day, "14:00")
    gen_showtime(first, screen, local(day, "12:00"))
    b = gen_showtime(second, screen, local(day, "15:00"))
    c = gen_showtime(first, screen, local(day, "18:00"))
    d = gen_showtime(second, screen, local(day, "21:00"))

    programme = catalogue.day_programme(day, now, LONDON)

    assert [(entry.movie.title, [s.id for s in entry.showtimes]) for entry in programme] == [
        ("Second", [b.id, d.id]), ("First", [c.id])]


# --- the /showtimes page ----------------------------------------------------------------------

def test_a_showtime_just_after_local_midnight_belongs_to_the_next_day(client, screen):
    film = gen_movie("Late Show")
    tomorrow = local_today() + timedelta(days=1)
    midnight_show = gen_showtime(film, screen, local(tomorrow, "00:30"))

    today_page = client.get("/showtimes").get_data(as_text=True)
    tomorrow_page = client.get(f"/showtimes?date={tomorrow.isoformat()}").get_data(as_text=True)

    assert midnight_show.id not in showtime_links(today_page)
    assert midnight_show.id in showtime_links(tomorrow_page)
    assert "00:30" in tomorrow_page


def test_the_next_clock_change_day_lists_its_showtimes_at_both_ends(client, screen):
    film = gen_movie("Clock Change", duration_minutes=30)
    day = next_dst_change()
    inside = [apart(film, local(day, "00:05")),
              apart(film, local(day, "23:50"))]
    outside = [apart(film, local(day - timedelta(days=1), "23:50")),
               apart(film, local(day + timedelta(days=1), "00:05"))]

    links = showtime_links(client.get(f"/showtimes?date={day.isoformat()}").get_data(
        as_text=True))

    assert {s.id for s in inside} <= links
    assert not links & {s.id for s in outside}


def test_tabs_cover_seven_local_days_and_mark_the_chosen_one(client, app_ctx):
    today = local_today()
    chosen = today + timedelta(days=2)
    body = client.get(f"/showtimes?date={chosen.isoformat()}").get_data(as_text=True)

    for offset in range(7):
        assert f'href="/showtimes?date={(today + timedelta(days=offset)).isoformat()}"' in body
    assert f'href="/showtimes?date={(today + timedelta(days=7)).isoformat()}"' not in body
    current = body.split('aria-current="page"')
    assert len(current) == 3  # the nav's "Showtimes" link and the chosen tab
    assert f'date={chosen.isoformat()}" aria-current="page"' in body
    assert ">Today<" in body


def test_a_day_beyond_the_tabs_is_shown_with_its_own_tab(client, screen):
    film = gen_movie()
    far = local_today() + timedelta(days=12)
    showtime = gen_showtime(film, screen, local(far, "19:00"))
    body = client.get(f"/showtimes?date={far.isoformat()}").get_data(as_text=True)
    assert showtime.id in showtime_links(body)
    assert f'date={far.isoformat()}" aria-current="page"' in body


def test_cancelled_showtimes_are_marked_and_not_linked(client, screen):
    film = gen_movie("Quiet Hours")
    tomorrow = local_today() + timedelta(days=1)
    cancel(gen_showtime(film, screen, local(tomorrow, "18:00")))
    live = gen_showtime(film, screen, local(tomorrow, "21:00"))

    body = client.get(f"/showtimes?date={tomorrow.isoformat()}").get_data(as_text=True)

    assert showtime_links(body) == {live.id}
    assert "is-cancelled" in body and "Cancelled" in body


def test_deleted_films_and_showtimes_are_not_in_the_programme(client, screen):
    tomorrow = local_today() + timedelta(days=1)
    gone = gen_movie("Withdrawn")
    gen_showtime(gone, screen, local(tomorrow, "12:00"))
    soft_delete(gone)
    kept = gen_movie("Kept")
    deleted = gen_showtime(kept, screen, local(tomorrow, "15:00"))
    soft_delete(deleted)

    body = client.get(f"/showtimes?date={tomorrow.isoformat()}").get_data(as_text=True)

    assert "Withdrawn" not in body and deleted.id not in showtime_links(body)
    assert "Nothing is scheduled" in body


def test_the_programme_can_be_narrowed_to_one_film(client, screen):
    tomorrow = local_today() + timedelta(days=1)
    wanted, other = gen_movie("Wanted"), gen_movie("Other")
    mine = gen_showtime(wanted, screen, local(tomorrow, "12:00"))
    gen_showtime(other, gen_auditorium(), local(tomorrow, "12:00"))

    body = client.get(f"/showtimes?date={tomorrow.isoformat()}&movie_id={wanted.id}") \
        .get_data(as_text=True)

    assert showtime_links(body) == {mine.id}
    assert f'href="/showtimes?date={tomorrow.isoformat()}&amp;movie_id={wanted.id}"' in body


@pytest.mark.parametrize("value", ["bad", "2026-02-30", "2026-1-5", "2026-13-01", "9999-12-31"])
def test_a_bad_date_is_a_clear_422_never_a_500(client, app_ctx, value):
    page = client.get(f"/showtimes?date={value}")
    assert page.status_code == 422
    assert "YYYY-MM-DD" in page.get_data(as_text=True) or "a year ahead" in page.get_data(
        as_text=True)
    body = client.get(f"/showtimes?date={value}", headers=JSON).get_json()
    assert body["error_code"] == "VALIDATION_ERROR" and body["status_code"] == 422


def test_a_past_date_falls_back_to_today(client, app_ctx):
    film = gen_movie()
    response = client.get(f"/showtimes?date=2020-01-01&movie_id={film.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/showtimes?movie_id={film.id}")


def test_a_bad_movie_id_is_a_field_error(client, app_ctx):
    for bad in ("abc", "0", "-1", str(2**31), str(2**63)):
        response = client.get(f"/showtimes?movie_id={bad}")
        assert response.status_code == 422, bad
        assert "Not a valid id." in response.get_data(as_text=True)


def test_today_follows_the_configured_timezone(database_url, redis_url, tmp_path, app):
    """With CINEMA_TIMEZONE=Pacific/Kiritimati (UTC+14) "today" is usually UTC's tomorrow:
    the page's Today tab is computed in that zone."""
    kiritimati = ZoneInfo("Pacific/Kiritimati")
    other = create_app(app_config(database_url, redis_url, INSTANCE_PATH=str(tmp_path),
                                  CINEMA_TIMEZONE="Pacific/Kiritimati"))
    body = other.test_client().get("/showtimes").get_data(as_text=True)
    today_there = utcnow().astimezone(kiritimati).date()
    assert f'date={today_there.isoformat()}" aria-current="page"' in body
    assert "Pacific/Kiritimati" in body
