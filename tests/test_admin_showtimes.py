"""Admin showtimes: the forms' errors (past, overlap naming the showtime, price, DST gap), the
database backstop answered as the same 409, the inline slot check, series, edit and cancel."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from cinema.extensions import db
from cinema.models import (
    AuditLog,
    CancelReason,
    OutboxEmail,
    Reservation,
    ReservationStatus,
    Showtime,
)
from cinema.programme import scheduling
from tests.admin_factories import admin_client
from tests.factories import gen_auditorium, gen_movie, gen_reservation, gen_showtime, gen_user, seats_of

LONDON = ZoneInfo("Europe/London")


def local_input(day: date, hhmm: str) -> str:
    return f"{day.isoformat()}T{hhmm}"


@pytest.fixture
def admin(app_ctx, app):
    return admin_client(app)


@pytest.fixture
def day():
    """A day comfortably in the future, in the cinema's zone."""
    return datetime.now(LONDON).date() + timedelta(days=10)


@pytest.fixture
def film_and_screen(app_ctx):
    return gen_movie("Orbital Drift", duration_minutes=100), gen_auditorium("Screen 1")


def form(movie, screen, starts, price="12.50"):
    return {"movie_id": movie.id, "auditorium_id": screen.id, "starts_at": starts,
            "base_price": price}


def test_admin_schedules_one_showtime_in_local_time(admin, film_and_screen, day):
    client, user = admin
    movie, screen = film_and_screen
    response = client.post("/admin/showtimes", data=form(movie, screen, local_input(day, "19:30")))
    assert response.status_code == 303
    showtime = db.session.scalar(sa.select(Showtime))
    assert showtime.starts_at.astimezone(LONDON).strftime("%H:%M") == "19:30"
    assert showtime.ends_at - showtime.starts_at == timedelta(minutes=100 + 15)
    assert showtime.base_price_cents == 1250
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "showtime.create"))
    assert entry.actor_id == user.id
    page = client.get(f"/admin/showtimes?date={day.isoformat()}").get_data(as_text=True)
    assert "19:30–21:25" in page and "Orbital Drift" in page


@pytest.mark.parametrize("change, status, message", [
    ({"starts_at": "2020-01-01T10:00"}, 422, "Must be in the future."),
    ({"starts_at": ""}, 422, "When does it start?"),
    ({"base_price": "0"}, 422, "Must be more than zero."),
    ({"base_price": "12,50"}, 422, "A price like 12.50."),
    ({"base_price": "-3"}, 422, "A price like 12.50."),
    ({"movie_id": "999"}, 404, "Choose a film."),
])
def test_showtime_form_errors(admin, film_and_screen, day, change, status, message):
    client, _ = admin
    movie, screen = film_and_screen
    data = {**form(movie, screen, local_input(day, "19:30")), **change}
    response = client.post("/admin/showtimes", data=data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Showtime.id))) == 0


def test_an_overlap_is_a_409_form_error_naming_the_conflicting_showtime(admin, film_and_screen, day):
    client, _ = admin
    movie, screen = film_and_screen
    client.post("/admin/showtimes", data=form(movie, screen, local_input(day, "18:00")))
    first = db.session.scalar(sa.select(Showtime))
    response = client.post("/admin/showtimes", data=form(movie, screen, local_input(day, "19:00")))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert f"(showtime #{first.id})" in page and "Orbital Drift runs" in page
    assert 'aria-invalid="true"' in page  # on the start field
    as_json = client.post("/admin/showtimes", headers={"Accept": "application/json"},
                          data=form(movie, screen, local_input(day, "19:00")))
    assert as_json.status_code == 409
    assert as_json.get_json()["error_code"] == "SHOWTIME_CONFLICT"
    assert as_json.get_json()["conflicting_showtime_id"] == first.id


def test_the_constraint_backstop_answers_the_same_409_never_a_500(admin, film_and_screen, day,
                                                                  monkeypatch):
    client, _ = admin
    movie, screen = film_and_screen
    starts = scheduling.local_to_utc(day, time(18, 0), LONDON)
    existing = gen_showtime(movie, screen, starts_at=starts)
    real_find = scheduling.find_conflict
    calls = []

    def check_misses_it_once(*args, **kwargs):
        calls.append(args)
        return None if len(calls) == 1 else real_find(*args, **kwargs)

    monkeypatch.setattr(scheduling, "find_conflict", check_misses_it_once)
    response = client.post("/admin/showtimes", data=form(movie, screen, local_input(day, "18:30")))
    assert response.status_code == 409
    assert f"(showtime #{existing.id})" in response.get_data(as_text=True)


def test_a_time_skipped_by_the_clocks_going_forward_is_a_form_error(admin, film_and_screen):
    client, _ = admin
    movie, screen = film_and_screen
    # The last Sunday of March, some year ahead: 01:30 does not exist in London.
    year = datetime.now(LONDON).year + 1
    sunday = max(date(year, 3, d) for d in range(25, 32) if date(year, 3, d).weekday() == 6)
    response = client.post("/admin/showtimes", data=form(movie, screen, local_input(sunday, "01:30")))
    assert response.status_code == 422
    assert "does not exist" in response.get_data(as_text=True)


def test_the_inline_check_shows_the_end_or_the_clash(admin, film_and_screen, day):
    client, _ = admin
    movie, screen = film_and_screen
    answer = client.post("/admin/showtimes/check", headers={"HX-Request": "true"},
                         data=form(movie, screen, local_input(day, "18:00")))
    assert answer.status_code == 200 and b"<html" not in answer.data
    assert "It would end at 19:55" in answer.get_data(as_text=True)
    existing = gen_showtime(movie, screen, starts_at=scheduling.local_to_utc(day, time(18, 0), LONDON))
    clash = client.post("/admin/showtimes/check", headers={"HX-Request": "true"},
                        data=form(movie, screen, local_input(day, "19:00")))
    assert f"showtime #{existing.id}" in clash.get_data(as_text=True)
    own = client.post("/admin/showtimes/check", headers={"HX-Request": "true"},
                      data={**form(movie, screen, local_input(day, "18:30")),
                            "showtime_id": existing.id})
    assert "Free." in own.get_data(as_text=True)  # editing a showtime never clashes with itself


def test_the_inline_check_never_calls_a_past_slot_free(admin, film_and_screen):
    client, _ = admin
    movie, screen = film_and_screen
    answer = client.post("/admin/showtimes/check", headers={"HX-Request": "true"},
                         data=form(movie, screen, "2020-01-01T18:00"))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "Free." not in page  # htmx swaps a 422 in place
    assert "must start in the future" in page


def test_a_past_start_and_a_bad_price_are_both_named_at_once(admin, film_and_screen):
    client, _ = admin
    movie, screen = film_and_screen
    response = client.post("/admin/showtimes", headers={"Accept": "application/json"},
                           data={**form(movie, screen, "2020-01-01T18:00"), "base_price": "0"})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) >= {"starts_at", "base_price"}


def test_admin_schedules_a_series(admin, film_and_screen, day):
    client, _ = admin
    movie, screen = film_and_screen
    response = client.post("/admin/showtimes/series", data={
        "movie_id": movie.id, "auditorium_id": screen.id, "first_day": day.isoformat(),
        "last_day": (day + timedelta(days=6)).isoformat(), "times": "14:00, 19:30",
        "weekdays": ["4", "5"], "base_price": "11"})
    assert response.status_code == 303
    showtimes = db.session.scalars(sa.select(Showtime).order_by(Showtime.starts_at)).all()
    assert len(showtimes) == 4
    assert {s.starts_at.astimezone(LONDON).weekday() for s in showtimes} == {4, 5}
    assert all(s.base_price_cents == 1100 for s in showtimes)


@pytest.mark.parametrize("change, message", [
    ({"times": "2pm"}, "is not a time"),
    ({"times": ""}, "At least one time"),
    ({"last_day": "1999-01-01"}, "on or after the first day"),
    ({"times": "14:00, 15:00"}, "overlap"),
])
def test_series_form_errors(admin, film_and_screen, day, change, message):
    client, _ = admin
    movie, screen = film_and_screen
    data = {"movie_id": movie.id, "auditorium_id": screen.id, "first_day": day.isoformat(),
            "last_day": (day + timedelta(days=2)).isoformat(), "times": "14:00",
            "base_price": "9.00", **change}
    response = client.post("/admin/showtimes/series", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Showtime.id))) == 0


def test_a_series_names_every_mistake_at_once(admin, film_and_screen, day):
    client, _ = admin
    movie, screen = film_and_screen
    response = client.post("/admin/showtimes/series", headers={"Accept": "application/json"},
                           data={"movie_id": movie.id, "auditorium_id": screen.id,
                                 "first_day": day.isoformat(), "last_day": "1999-01-01",
                                 "times": "14:00", "base_price": "0"})
    assert response.status_code == 422
    body = response.get_json()
    assert set(body["errors"]) == {"last_day", "base_price"}
    assert "last day is before the first day" in body["detail"]
    assert "base price must be more than zero" in body["detail"]


def test_a_series_clash_names_the_showtimes_in_the_way(admin, film_and_screen, day):
    client, _ = admin
    movie, screen = film_and_screen
    blocker = gen_showtime(movie, screen, starts_at=scheduling.local_to_utc(
        day + timedelta(days=1), time(13, 30), LONDON))
    response = client.post("/admin/showtimes/series", data={
        "movie_id": movie.id, "auditorium_id": screen.id, "first_day": day.isoformat(),
        "last_day": (day + timedelta(days=2)).isoformat(), "times": "14:00", "base_price": "9"})
    assert response.status_code == 409
    assert f"(showtime #{blocker.id})" in response.get_data(as_text=True)
    assert "nothing was scheduled" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Showtime.id))) == 1


def test_edit_a_showtime(admin, film_and_screen, day):
    client, _ = admin
    movie, screen = film_and_screen
    showtime = gen_showtime(movie, screen, starts_at=scheduling.local_to_utc(day, time(18, 0), LONDON))
    page = client.get(f"/admin/showtimes/{showtime.id}/edit").get_data(as_text=True)
    assert f'value="{day.isoformat()}T18:00"' in page and 'value="10.00"' in page
    response = client.post(f"/admin/showtimes/{showtime.id}/edit",
                           data=form(movie, screen, local_input(day, "20:15"), "13.00"))
    assert response.status_code == 303
    db.session.expire_all()
    edited = db.session.get(Showtime, showtime.id)
    assert edited.starts_at.astimezone(LONDON).strftime("%H:%M") == "20:15"
    assert edited.base_price_cents == 1300


def test_cancel_a_showtime_with_bookings(admin, film_and_screen, day):
    client, _ = admin
    movie, screen = film_and_screen
    showtime = gen_showtime(movie, screen, starts_at=scheduling.local_to_utc(day, time(18, 0), LONDON))
    booking = gen_reservation(gen_user(), showtime, seats_of(screen)[:2])
    confirm = client.get(f"/admin/showtimes/{showtime.id}/delete").get_data(as_text=True)
    assert "2 seats are sold or held" in confirm
    response = client.post(f"/admin/showtimes/{showtime.id}/delete", data={"note": "Projector fault"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Showtime, showtime.id).is_cancelled
    booking = db.session.get(Reservation, booking.id)
    assert booking.status is ReservationStatus.CANCELLED
    assert booking.cancel_reason is CancelReason.SHOWTIME_CANCELLED
    assert db.session.scalar(sa.select(OutboxEmail.kind)) == "showtime_cancelled"
    again = client.post(f"/admin/showtimes/{showtime.id}/delete", data={})
    assert again.status_code == 409 and "already cancelled" in again.get_data(as_text=True)
    detail = client.get(f"/admin/showtimes/{showtime.id}").get_data(as_text=True)
    assert "Projector fault" in detail and booking.code in detail
