"""Helpers for booking tests: a showtime with a small auditorium, and patrons signed in."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

from cinema.extensions import db
from cinema.models import Reservation, UserRole
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


def other_showtime(showtime, base_price_cents, days=1):
    """Another showtime of the same film, ``days`` later, in an auditorium of its own:
    (showtime, its seats)."""
    auditorium = gen_auditorium()
    other = gen_showtime(movie=showtime.movie, auditorium=auditorium,
                         starts_at=showtime.starts_at + timedelta(days=days),
                         base_price_cents=base_price_cents)
    return other, seats_of(auditorium)


def fresh(reservation) -> Reservation:
    """The reservation as the database has it now."""
    db.session.expire_all()
    return db.session.get(Reservation, reservation.id)


def patron_client(app, role=UserRole.USER):
    user = gen_user(role=role)
    client = app.test_client()
    assert login(client, user.email).status_code == 303
    return user, client


def hold(client, showtime, seats, headers=None):
    return client.post("/bookings/hold", headers=headers or {}, data={
        "showtime_id": showtime.id, "seat_ids": [s.id for s in seats]})


def race(app, tabs: int, action) -> list:
    """Run ``action()`` in ``tabs`` threads at once (each in its own app context, started
    together at a barrier); what each returned, or the name of what it raised."""
    barrier, outcomes = threading.Barrier(tabs), []

    def tab():
        with app.app_context():
            barrier.wait()
            try:
                outcomes.append(action())
            except Exception as error:  # noqa: BLE001 - the losers' refusals are the point
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=tab) for _ in range(tabs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
