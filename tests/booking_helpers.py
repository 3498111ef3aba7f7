"""Helpers for booking tests: a showtime with a small auditorium, and patrons signed in."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from cinema.models import UserRole
from tests.factories import gen_auditorium, gen_movie, gen_showtime, gen_user, login, seats_of

APPROVE = {"payment_method": "card", "card_number": "4242 4242 4242 4242",
           "card_expiry": "12/34", "card_cvc": "123"}
JSON = {"Accept": "application/json"}


def now() -> datetime:
    return datetime.now(timezone.utc)


def setup_showtime(starts_in=timedelta(days=2), **auditorium):
    """(showtime, seats) in a fresh 3x4 auditorium (or the given layout)."""
    auditorium = gen_auditorium(**auditorium)
    showtime = gen_showtime(movie=gen_movie(), auditorium=auditorium,
                            starts_at=(now() + starts_in).replace(microsecond=0))
    return showtime, seats_of(auditorium)


def patron_client(app, role=UserRole.USER):
    user = gen_user(role=role)
    client = app.test_client()
    assert login(client, user.email).status_code == 303
    return user, client


def hold(client, showtime, seats, headers=None):
    return client.post("/bookings/hold", headers=headers or {}, data={
        "showtime_id": showtime.id, "seat_ids": [s.id for s in seats]})
