"""The demo cinema loaded by ``flask seed-demo``: idempotent, so it can run on every start."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from cinema.accounts import accounts
from cinema.catalogue.posters import poster_svg
from cinema.clock import cinema_tz, local_today
from cinema.exceptions import DomainError
from cinema.extensions import db
from cinema.models import Auditorium, Genre, Movie, Showtime, User, UserRole, utcnow
from cinema.programme import scheduling, venues

DEMO_ACCOUNTS = [
    ("admin@lumen.example", "Ada Admin", "admin-demo-pass", UserRole.ADMIN),
    ("staff@lumen.example", "Sam Staff", "staff-demo-pass", UserRole.STAFF),
    ("patron@lumen.example", "Pat Patron", "patron-demo-pass", UserRole.USER),
]

AUDITORIUMS = [
    ("Screen 1", "The big one: 12 rows, premium centre rows, couple seats at the back.",
     venues.LayoutSpec(rows=12, seats_per_row=20, premium_rows=["F", "G", "H"],
                       couple_rows=["L"], aisles_after=[4, 16],
                       wheelchair=[("A", 1), ("A", 2), ("A", 19), ("A", 20)])),
    ("Screen 2", "Mid-size, one central aisle.",
     venues.LayoutSpec(rows=9, seats_per_row=14, premium_rows=["E", "F"], couple_rows=["I"],
                       aisles_after=[7], wheelchair=[("A", 1), ("A", 14)])),
    ("Screen 3 · Studio", "An intimate studio with reclining premium seats.",
     venues.LayoutSpec(rows=6, seats_per_row=10, premium_rows=["C", "D", "E", "F"],
                       aisles_after=[5], wheelchair=[("A", 5), ("A", 6)])),
]

# title, minutes, rating, genres, language, format, synopsis
FILMS = [
    ("The Lighthouse Keeper's Daughter", 118, "12A", ["Drama", "Mystery"], "English", "2D",
     "On a storm-battered island, a young woman uncovers the secret her father kept for "
     "forty years."),
    ("Orbital Drift", 142, "12A", ["Science Fiction", "Thriller"], "English", "IMAX",
     "A salvage crew finds a derelict station that is still, impossibly, broadcasting."),
    ("Paper Lanterns", 96, "PG", ["Animation", "Family"], "English", "3D",
     "Two siblings follow a runaway lantern across a city that only wakes at night."),
    ("Midnight at the Paradiso", 104, "15", ["Comedy", "Romance"], "Italian", "2D",
     "A projectionist and a critic fall out, then in, over one last screening."),
    ("Cold Harbour", 127, "15", ["Crime", "Thriller"], "English", "2D",
     "A customs officer on the Clyde follows a container that should not exist."),
    ("The Long Walk Home", 88, "U", ["Documentary"], "English", "2D",
     "A shepherd and her dogs move a flock three hundred miles across the Highlands."),
    ("Ember & Ash", 134, "12A", ["Fantasy", "Adventure"], "English", "3D",
     "The last dragon-keeper must choose between her village and the creature she raised."),
    ("Quiet Hours", 101, "15", ["Drama"], "French", "2D",
     "A night nurse, a dying composer and the symphony they finish together."),
    ("Haunt of the Hollow Pines", 99, "18", ["Horror"], "English", "2D",
     "A weekend cabin, a missing map and something walking between the trees."),
]

# Local start times per screen; a film rotation per screen and day keeps it varied.
SCREEN_TIMES = {
    "Screen 1": ["11:00", "14:15", "17:45", "21:00"],
    "Screen 2": ["12:30", "15:30", "18:30", "21:15"],
    "Screen 3 · Studio": ["13:00", "16:00", "19:15"],
}
PRICE_BY_SCREEN = {"Screen 1": 1250, "Screen 2": 1100, "Screen 3 · Studio": 1450}
DAYS = 14


@dataclass
class SeedSummary:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, count: int = 1) -> None:
        self.created[kind] = self.created.get(kind, 0) + count

    def report(self) -> str:
        lines = ["Demo data loaded (existing rows left as they were)."]
        lines += [f"  new {kind}: {n}" for kind, n in sorted(self.created.items())] or []
        lines.append("Demo accounts (email / password):")
        lines += [f"  {role.value:<5} {email} / {password}"
                  for email, _, password, role in DEMO_ACCOUNTS]
        return "\n".join(lines)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _get_or_create_genre(name: str, summary: SeedSummary) -> Genre:
    genre = db.session.scalar(sa.select(Genre).where(Genre.name == name))
    if genre is None:
        genre = Genre(name=name, slug=slugify(name))
        db.session.add(genre)
        db.session.flush()
        summary.add("genres")
    return genre


def _seed_accounts(summary: SeedSummary) -> None:
    for email, name, password, role in DEMO_ACCOUNTS:
        if accounts.find_by_email(email) is None:
            db.session.add(User(email=email, full_name=name, role=role,
                                password_hash=accounts.hash_password(password)))
            summary.add("accounts")
    db.session.flush()


def _seed_films(summary: SeedSummary) -> list[Movie]:
    poster_dir = os.path.join(current_app.instance_path, "posters")
    os.makedirs(poster_dir, exist_ok=True)
    movies = []
    for index, (title, minutes, rating, genres, language, fmt, synopsis) in enumerate(FILMS):
        movie = db.session.scalar(sa.select(Movie).where(Movie.title == title))
        if movie is None:
            movie = Movie(title=title, duration_minutes=minutes, age_rating=rating,
                          language=language, format=fmt, synopsis=synopsis,
                          release_date=date(2026, 9, 1) + timedelta(days=7 * index))
            movie.genres = [_get_or_create_genre(g, summary) for g in genres]
            db.session.add(movie)
            summary.add("films")
        filename = f"demo-{slugify(title)}.svg"
        path = os.path.join(poster_dir, filename)
        if not os.path.exists(path):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(poster_svg(title, f"{rating} · {minutes} min · {fmt}"))
        movie.poster_path = filename
        movies.append(movie)
    db.session.flush()
    return movies


def _seed_auditoriums(summary: SeedSummary) -> list[Auditorium]:
    result = []
    for name, description, spec in AUDITORIUMS:
        auditorium = db.session.scalar(sa.select(Auditorium).where(Auditorium.name == name))
        if auditorium is None:
            auditorium = venues.create_auditorium(name, description, spec)
            summary.add("auditoriums")
        result.append(auditorium)
    return result


def _seed_showtimes(movies: list[Movie], auditoriums: list[Auditorium], now: datetime,
                    summary: SeedSummary) -> None:
    tz = cinema_tz()
    buffer = current_app.config["CLEANING_BUFFER_MINUTES"]
    today = local_today(now, tz)
    for screen_no, auditorium in enumerate(auditoriums):
        existing = set(db.session.scalars(
            sa.select(Showtime.starts_at).where(Showtime.auditorium_id == auditorium.id)))
        for day in range(DAYS):
            local_day = today + timedelta(days=day)
            for slot, hhmm in enumerate(SCREEN_TIMES[auditorium.name]):
                hour, minute = map(int, hhmm.split(":"))
                starts = datetime.combine(local_day, time(hour, minute), tz).astimezone(
                    ZoneInfo("UTC"))
                if starts <= now or starts in existing:
                    continue
                movie = movies[(day * 3 + slot * 2 + screen_no * 5) % len(movies)]
                if scheduling.find_conflict(auditorium.id, starts, scheduling.end_time(
                        starts, movie.duration_minutes, buffer)):
                    continue
                price = PRICE_BY_SCREEN[auditorium.name] + (200 if movie.format != "2D" else 0)
                scheduling.create_showtime(movie.id, auditorium.id, starts, price, buffer, now)
                summary.add("showtimes")


DEMO_BOOKERS = 12


def _seed_bookings(now: datetime, summary: SeedSummary) -> None:
    """Some sales on the next showtimes, so seat maps, reports and the dashboard have
    something to show. Only on a cinema without any booking yet (so a rerun adds nothing)."""
    from cinema.booking import best_available, seatmap
    from cinema.models import Reservation, Seat

    if db.session.scalar(sa.select(sa.func.count()).select_from(Reservation)):
        return
    patron_hash = accounts.hash_password("patron-demo-pass")
    bookers = []
    for n in range(1, DEMO_BOOKERS + 1):
        email = f"demo-patron-{n:02d}@lumen.example"
        user = accounts.find_by_email(email)
        if user is None:
            user = User(email=email, full_name=f"Demo Patron {n}", password_hash=patron_hash)
            db.session.add(user)
            summary.add("accounts")
        bookers.append(user)
    patron = accounts.find_by_email(DEMO_ACCOUNTS[2][0])
    db.session.commit()
    upcoming = db.session.scalars(
        sa.select(Showtime).where(Showtime.starts_at > now + timedelta(hours=2))
        .order_by(Showtime.starts_at).limit(18)).all()
    for index, showtime in enumerate(upcoming):
        rows: dict[str, list[Seat]] = {}
        for seat in db.session.scalars(
                sa.select(Seat).where(Seat.auditorium_id == showtime.auditorium_id,
                                      Seat.is_deleted.is_(False), Seat.is_blocked.is_(False))
                .order_by(Seat.row_index, Seat.col_index)):
            rows.setdefault(seat.row_label, []).append(seat)
        labels = list(rows)
        # A few groups of 2-4 friends per showtime, side by side in the middle rows.
        groups = 3 + index % 5
        for group in range(groups):
            size = 2 + (index + group) % 3
            row = rows[labels[(len(labels) // 2 + group - groups // 2 + index) % len(labels)]]
            start = max(0, len(row) // 2 - size // 2 + ((index + group) % 3 - 1) * 3)
            chosen = [seat.id for seat in row[start:start + size]]
            user = patron if (index, group) == (2, 0) else \
                bookers[(index * 3 + group) % DEMO_BOOKERS]
            _book(user, showtime, chosen, now, summary)
    # The demo patron's group can clash with another (a single seat left, half a couple
    # seat): then the best two seats of a later showtime, so that the README's promise holds.
    booked = sa.select(Reservation.id).where(Reservation.user_id == patron.id).limit(1)
    for showtime in upcoming[2:]:
        if db.session.scalar(booked) is not None:
            break
        best = best_available.best_seats(seatmap.build(showtime, now).rows, 2)
        _book(patron, showtime, [cell.id for cell in best], now, summary)


def _book(user: User, showtime: Showtime, seat_ids: list[int], now: datetime,
          summary: SeedSummary) -> None:
    """A confirmed card booking of ``seat_ids``; nothing when the rules refuse them."""
    from cinema.booking import booking

    if not seat_ids:
        return
    try:
        held = booking.hold_seats(user.id, showtime.id, seat_ids, now)
        booking.confirm_booking(held.id, user.id, "card", now,
                                card_number="4242424242424242", card_expiry="12/34",
                                card_cvc="123", idempotency_key=f"demo-{held.id}")
        summary.add("bookings")
    except DomainError:  # an overlapping demo group: skip it
        db.session.rollback()


def seed(now: datetime | None = None) -> SeedSummary:
    """Create whatever of the demo cinema is missing, in one transaction."""
    now = now or utcnow()
    summary = SeedSummary()
    _seed_accounts(summary)
    movies = _seed_films(summary)
    auditoriums = _seed_auditoriums(summary)
    _seed_showtimes(movies, auditoriums, now, summary)
    db.session.commit()
    _seed_bookings(now, summary)
    return summary
