"""Factories for reviews: a verified viewer (a booking of a showtime that has ended) and
reviews written directly, bypassing the verified-viewer rule."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from cinema.extensions import db
from cinema.models import Movie, ReservationStatus, Review, User
from tests.factories import gen_auditorium, gen_reservation, gen_showtime, gen_user, seats_of


def past_showtime(movie: Movie, days_ago: int = 2):
    """A showtime of ``movie`` that started and ended ``days_ago`` days ago."""
    starts = (datetime.now(timezone.utc) - timedelta(days=days_ago)).replace(microsecond=0)
    return gen_showtime(movie, gen_auditorium(rows=1, seats_per_row=2), starts)


def gen_viewer(movie: Movie, **user_fields) -> User:
    """A patron with a CONFIRMED booking of a showtime of ``movie`` that has ended."""
    user = gen_user(**user_fields)
    showtime = past_showtime(movie)
    gen_reservation(user, showtime, seats_of(showtime.auditorium)[:1],
                    status=ReservationStatus.CONFIRMED)
    return user


def gen_review(movie: Movie, rating: int, body: str = "", user: User | None = None,
               created_at: datetime | None = None) -> Review:
    """A review written directly (no verified-viewer check), by a new patron unless given."""
    user = user or gen_user()
    at = created_at or datetime.now(timezone.utc)
    review = Review(movie_id=movie.id, user_id=user.id, rating=rating, body=body,
                    created_at=at, updated_at=at)
    db.session.add(review)
    db.session.commit()
    return review
