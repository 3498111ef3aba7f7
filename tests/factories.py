"""Small factories with explicit overrides (``gen_*``), used inside an app context."""
from __future__ import annotations

import itertools

from cinema.accounts.accounts import hash_password
from cinema.extensions import db
from cinema.models import User, UserRole

_counter = itertools.count(1)
PASSWORD = "correct-horse-42"
# One hash for every factory user: argon2 is deliberately slow.
_PASSWORD_HASH = None


def gen_user(role: UserRole = UserRole.USER, email: str | None = None,
             full_name: str | None = None, password: str = PASSWORD) -> User:
    global _PASSWORD_HASH
    n = next(_counter)
    if password == PASSWORD:
        _PASSWORD_HASH = _PASSWORD_HASH or hash_password(PASSWORD)
        password_hash = _PASSWORD_HASH
    else:
        password_hash = hash_password(password)
    user = User(email=email or f"user{n}@example.com", full_name=full_name or f"User {n}",
                role=role, password_hash=password_hash)
    db.session.add(user)
    db.session.commit()
    return user


def login(client, email: str, password: str = PASSWORD, **extra):
    return client.post("/auth/login", data={"email": email, "password": password, **extra})


# --- catalogue and bookings ------------------------------------------------------------------

from datetime import datetime, timedelta, timezone  # noqa: E402

from cinema.models import (  # noqa: E402
    Auditorium,
    Genre,
    Movie,
    Reservation,
    ReservationStatus,
    ReservedSeat,
    Seat,
    Showtime,
)
from cinema.programme import venues  # noqa: E402


def gen_genre(name: str | None = None) -> Genre:
    n = next(_counter)
    name = name or f"Genre {n}"
    genre = Genre(name=name, slug=name.lower().replace(" ", "-"))
    db.session.add(genre)
    db.session.commit()
    return genre


def gen_movie(title: str | None = None, duration_minutes: int = 100, age_rating: str = "12A",
              genres: list[Genre] = (), **fields) -> Movie:
    movie = Movie(title=title or f"Film {next(_counter)}", duration_minutes=duration_minutes,
                  age_rating=age_rating, **fields)
    movie.genres = list(genres)
    db.session.add(movie)
    db.session.commit()
    return movie


def gen_auditorium(name: str | None = None, rows: int = 3, seats_per_row: int = 4,
                   **layout) -> Auditorium:
    """An auditorium with a generated layout (3 x 4 regular seats unless told otherwise)."""
    spec = venues.LayoutSpec(rows=rows, seats_per_row=seats_per_row, **layout)
    auditorium = venues.create_auditorium(name or f"Screen {next(_counter)}", "", spec)
    db.session.commit()
    return auditorium


def seats_of(auditorium: Auditorium) -> list[Seat]:
    import sqlalchemy as sa

    return list(db.session.scalars(
        sa.select(Seat).where(Seat.auditorium_id == auditorium.id)
        .order_by(Seat.row_index, Seat.col_index)))


def gen_showtime(movie: Movie | None = None, auditorium: Auditorium | None = None,
                 starts_at: datetime | None = None, base_price_cents: int = 1000,
                 buffer_minutes: int = 15) -> Showtime:
    """A showtime (by default tomorrow 18:00 UTC), inserted directly: no 'future' check."""
    movie = movie or gen_movie()
    auditorium = auditorium or gen_auditorium()
    starts_at = starts_at or (datetime.now(timezone.utc) + timedelta(days=1)).replace(
        hour=18, minute=0, second=0, microsecond=0)
    showtime = Showtime(movie_id=movie.id, auditorium_id=auditorium.id, starts_at=starts_at,
                        ends_at=starts_at + timedelta(minutes=movie.duration_minutes
                                                      + buffer_minutes),
                        base_price_cents=base_price_cents)
    db.session.add(showtime)
    db.session.commit()
    return showtime


def gen_reservation(user: User, showtime: Showtime, seats: list[Seat],
                    status: ReservationStatus = ReservationStatus.CONFIRMED,
                    price_cents: int | None = None, hold_expires_at: datetime | None = None,
                    **fields) -> Reservation:
    """A reservation written directly (bypassing the booking service), one line per seat."""
    price = showtime.base_price_cents if price_cents is None else price_cents
    now = datetime.now(timezone.utc)
    active = status is not ReservationStatus.CANCELLED
    fields.setdefault("confirmed_at", now if status in (ReservationStatus.CONFIRMED,
                                                        ReservationStatus.COMPLETED) else None)
    reservation = Reservation(
        user_id=user.id, showtime_id=showtime.id, status=status,
        total_price_cents=price * len(seats),
        hold_expires_at=hold_expires_at or now + timedelta(minutes=10), **fields)
    for seat in seats:
        reservation.seats.append(ReservedSeat(
            showtime_id=showtime.id, seat_id=seat.id, is_active=active,
            base_price_cents=price, price_cents=price))
    db.session.add(reservation)
    db.session.commit()
    return reservation


def later_today(minutes: int = 60, now: datetime | None = None) -> datetime:
    """A start ``minutes`` from now, or nearer if that would be tomorrow in the cinema's time
    zone: the door admits only today's showtimes, so a test built on "in an hour" fails after
    23:00 without this."""
    from datetime import time as clock_time

    from cinema.clock import cinema_tz, utcnow

    now = now or utcnow()
    local = now.astimezone(cinema_tz())
    midnight = datetime.combine(local.date() + timedelta(days=1), clock_time(), local.tzinfo)
    return min(now + timedelta(minutes=minutes), midnight - timedelta(seconds=30))
