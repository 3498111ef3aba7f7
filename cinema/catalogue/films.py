"""Films for admins: create, edit, soft-delete and restore, with genres and posters.

A deleted film keeps its row, showtimes and bookings (history and reports need them); it only
disappears from public pages. A film with showtimes still to come cannot be deleted: cancel
those first, so no patron holds a ticket for a film that vanished.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from cinema import audit
from cinema.catalogue import posters
from cinema.exceptions import InvalidState, NotFound
from cinema.extensions import db
from cinema.models import Genre, Movie, Showtime
from cinema.wording import counted

MOVIE_FIELDS = ["title", "synopsis", "duration_minutes", "age_rating", "language", "format",
                "release_date", "trailer_url", "poster_path", "is_deleted"]
AGE_RATINGS = ["U", "PG", "12A", "12", "15", "18"]
FORMATS = ["2D", "3D", "IMAX", "IMAX 3D", "4DX", "Dolby Cinema"]


@dataclass
class FilmData:
    """What the film form gives; ``new_genres`` are names to create (or reuse) as genres."""

    title: str
    duration_minutes: int
    age_rating: str
    synopsis: str = ""
    language: str = "English"
    format: str = "2D"
    release_date: date | None = None
    trailer_url: str | None = None
    genre_ids: list[int] = field(default_factory=list)
    new_genres: list[str] = field(default_factory=list)


def _snapshot(movie: Movie) -> dict:
    return {**audit.snapshot(movie, MOVIE_FIELDS), "genres": [g.name for g in movie.genres]}


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "genre"


def all_genres() -> list[Genre]:
    return list(db.session.scalars(
        sa.select(Genre).where(Genre.is_deleted.is_(False)).order_by(Genre.name)))


def resolve_genres(genre_ids: list[int], new_names: list[str], actor_id: int) -> list[Genre]:
    """The chosen genres plus the named ones, created when no genre has that name (any case)."""
    genres = list(db.session.scalars(sa.select(Genre).where(Genre.id.in_(genre_ids or [0]))))
    for name in new_names:
        name = " ".join(name.split())[:60]
        if not name:
            continue
        genre = db.session.scalar(sa.select(Genre).where(sa.func.lower(Genre.name) == name.lower()))
        if genre is None:
            genre = db.session.scalar(sa.select(Genre).where(Genre.slug == slugify(name)))
        if genre is None:
            genre = Genre(name=name, slug=slugify(name), created_by=actor_id)
            db.session.add(genre)
            db.session.flush()
            audit.record(actor_id, "genre.create", "genre", genre.id, f"created genre {name}",
                         after={"name": name})
        if genre not in genres:
            genres.append(genre)
    return sorted(genres, key=lambda g: g.name)


def list_movies(query: str = "", show: str = "live", page: int = 1, per_page: int = 25):
    """Films for the admin list: ``show`` is "live", "deleted" or "all"; newest first."""
    stmt = sa.select(Movie).order_by(Movie.is_deleted, Movie.release_date.desc().nulls_last(),
                                     Movie.title)
    if show == "live":
        stmt = stmt.where(Movie.is_deleted.is_(False))
    elif show == "deleted":
        stmt = stmt.where(Movie.is_deleted.is_(True))
    if query.strip():
        stmt = stmt.where(sa.func.lower(Movie.title).like(f"%{query.strip().lower()}%"))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def get_movie(movie_id: int) -> Movie:
    """A film, deleted or not (admins see both)."""
    movie = db.session.get(Movie, movie_id)
    if movie is None:
        raise NotFound("No such film.")
    return movie


def _apply(movie: Movie, data: FilmData, actor_id: int) -> None:
    movie.title = data.title.strip()
    movie.synopsis = data.synopsis.strip()
    movie.duration_minutes = data.duration_minutes
    movie.age_rating = data.age_rating
    movie.language = data.language.strip() or "English"
    movie.format = data.format
    movie.release_date = data.release_date
    movie.trailer_url = data.trailer_url or None
    movie.genres = resolve_genres(data.genre_ids, data.new_genres, actor_id)


def create_movie(data: FilmData, actor_id: int, poster: bytes | None = None) -> Movie:
    """Add a film (and its poster, checked first). Audited, committed."""
    if poster:
        posters.check_poster(poster)
    movie = Movie(created_by=actor_id)
    _apply(movie, data, actor_id)
    db.session.add(movie)
    db.session.flush()
    if poster:
        movie.poster_path = posters.store_poster(movie.id, poster)
    audit.record(actor_id, "movie.create", "movie", movie.id, f"added film {movie.title}",
                 after=_snapshot(movie))
    db.session.commit()
    return movie


def update_movie(movie_id: int, data: FilmData, actor_id: int, poster: bytes | None = None,
                 remove_poster: bool = False) -> Movie:
    """Edit a film; a new poster replaces the old one, ``remove_poster`` goes back to the
    generated placeholder. Audited, committed."""
    movie = get_movie(movie_id)
    if poster:
        posters.check_poster(poster)
    before = _snapshot(movie)
    old_poster = movie.poster_path
    _apply(movie, data, actor_id)
    if poster:
        movie.poster_path = posters.store_poster(movie.id, poster)
    elif remove_poster:
        movie.poster_path = None
    after = _snapshot(movie)
    if after != before:  # saving an unchanged form is not a change worth a log line
        audit.record(actor_id, "movie.update", "movie", movie.id, f"edited film {movie.title}",
                     before=before, after=after)
    db.session.commit()
    if movie.poster_path != old_poster:
        posters.discard_poster(old_poster)
    return movie


def upcoming_showtime_count(movie_id: int, now: datetime) -> int:
    return db.session.scalar(sa.select(sa.func.count(Showtime.id)).where(
        Showtime.movie_id == movie_id, Showtime.ends_at > now,
        Showtime.cancelled_at.is_(None), Showtime.is_deleted.is_(False))) or 0


def delete_movie(movie_id: int, actor_id: int, now: datetime) -> Movie:
    """Soft-delete a film: hidden from patrons, kept for history. Raises InvalidState while it
    has showtimes still to come."""
    movie = get_movie(movie_id)
    if movie.is_deleted:
        raise InvalidState(f"{movie.title} is already deleted.")
    upcoming = upcoming_showtime_count(movie.id, now)
    if upcoming:
        raise InvalidState(f"{movie.title} has {counted(upcoming, 'showtime')} still to come. "
                           "Cancel them first, then delete the film.")
    movie.is_deleted = True
    audit.record(actor_id, "movie.delete", "movie", movie.id, f"deleted film {movie.title}",
                 before={"is_deleted": False}, after={"is_deleted": True})
    db.session.commit()
    return movie


def restore_movie(movie_id: int, actor_id: int) -> Movie:
    """Bring a deleted film back to the public pages. Audited, committed."""
    movie = get_movie(movie_id)
    if not movie.is_deleted:
        raise InvalidState(f"{movie.title} is not deleted.")
    movie.is_deleted = False
    audit.record(actor_id, "movie.restore", "movie", movie.id, f"restored film {movie.title}",
                 before={"is_deleted": True}, after={"is_deleted": False})
    db.session.commit()
    return movie
