"""What visitors see of the catalogue: films, their next showtimes, a day's programme.

Read-only. Every function takes ``now`` (aware UTC) and, where days matter, the cinema's
timezone, so tests can move the clock. Only live data is shown: films that are not deleted,
showtimes that are not deleted and start after ``now``. Cancelled showtimes are left out of
"next times" and kept, marked, in the day programme and a film's schedule (a patron who
booked one should see what happened to it).

Each function runs a fixed number of queries whatever the number of films or showtimes: a
page of films is one query, its genres one more (``Movie.genres`` loads "selectin"), and the
next showtimes of every film on the page one windowed query.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from cinema.clock import local_day_bounds
from cinema.exceptions import NotFound, ValidationFailed
from cinema.extensions import db
from cinema.models import Genre, Movie, MovieGenre, Showtime
from cinema.reviews import ratings

PER_PAGE = 12
NEXT_TIMES_PER_FILM = 4
DAY_TABS = 7
MAX_DAYS_AHEAD = 366
MAX_QUERY_LENGTH = 100
# British classification order; ratings not listed here sort after these, alphabetically.
AGE_RATING_ORDER = ["U", "PG", "12A", "12", "15", "18", "R18"]


# --- days in the cinema's timezone (cinema.clock has today and a day's bounds) -------------------

def parse_day(value: str | None, today: date) -> date:
    """The ``?date=YYYY-MM-DD`` of a request: today when absent; raises ValidationFailed
    (422) when it is not a date or more than a year ahead. Past days are returned as they are
    (the route sends the visitor to today)."""
    if not value:
        return today
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(
            "That is not a date we understand: use the form YYYY-MM-DD, e.g. "
            f"{today.isoformat()}.", field_errors={"date": ["Use YYYY-MM-DD."]}) from None
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationFailed("We only publish showtimes up to a year ahead.",
                               field_errors={"date": ["Too far ahead."]})
    return day


def day_tabs(today: date, count: int = DAY_TABS) -> list[date]:
    """The days shown as tabs: today and the next ``count - 1`` days."""
    return [today + timedelta(days=offset) for offset in range(count)]


# --- shared query pieces ----------------------------------------------------------------------

def _live_movie():
    return Movie.is_deleted.is_(False)


def _bookable_showtime(now: datetime):
    """Showtimes a visitor can still book: live, not cancelled, starting after ``now``."""
    return sa.and_(Showtime.is_deleted.is_(False), Showtime.cancelled_at.is_(None),
                   Showtime.starts_at > now)


def _shown_showtime(now: datetime):
    """Showtimes listed in a schedule: live and upcoming; cancelled ones are marked there."""
    return sa.and_(Showtime.is_deleted.is_(False), Showtime.starts_at > now)


@dataclass
class FilmCard:
    """A film with its next bookable showtimes, the lowest base price and how many remain."""

    movie: Movie
    next_showtimes: list[Showtime] = field(default_factory=list)
    price_from_cents: int | None = None
    upcoming_count: int = 0
    rating: ratings.RatingSummary = field(default_factory=ratings.RatingSummary)


def _next_showtimes(now: datetime, movie_ids: list[int] | None,
                    per_film: int) -> dict[int, FilmCard]:
    """The next ``per_film`` bookable showtimes of each film, in one windowed query.

    Keyed by movie id, in order of each film's first showtime. ``movie_ids=None`` means every
    live film.
    """
    partition = dict(partition_by=Showtime.movie_id)
    ranked = (
        sa.select(
            Showtime.id.label("showtime_id"),
            sa.func.row_number().over(order_by=(Showtime.starts_at, Showtime.id),
                                      **partition).label("rank"),
            sa.func.min(Showtime.base_price_cents).over(**partition).label("price_from"),
            sa.func.count().over(**partition).label("upcoming"),
        )
        .join(Movie, Movie.id == Showtime.movie_id)
        .where(_bookable_showtime(now), _live_movie())
    )
    if movie_ids is not None:
        if not movie_ids:
            return {}
        ranked = ranked.where(Showtime.movie_id.in_(movie_ids))
    ranked = ranked.subquery()
    rows = db.session.execute(
        sa.select(Showtime, ranked.c.price_from, ranked.c.upcoming)
        .join(ranked, ranked.c.showtime_id == Showtime.id)
        .where(ranked.c.rank <= per_film)
        .order_by(Showtime.starts_at, Showtime.id)
    ).unique().all()
    cards: dict[int, FilmCard] = {}
    for showtime, price_from, upcoming in rows:
        card = cards.setdefault(showtime.movie_id, FilmCard(
            showtime.movie, price_from_cents=price_from, upcoming_count=upcoming))
        card.next_showtimes.append(showtime)
    return cards


# --- pages ------------------------------------------------------------------------------------

def now_showing(now: datetime, per_film: int = NEXT_TIMES_PER_FILM) -> list[FilmCard]:
    """Every live film with a bookable showtime, soonest first, with its next times."""
    return _with_ratings(list(_next_showtimes(now, None, per_film).values()))


def _with_ratings(cards: list[FilmCard]) -> list[FilmCard]:
    """The cards with their films' average ratings (one query)."""
    summaries = ratings.averages([card.movie.id for card in cards])
    for card in cards:
        card.rating = summaries.get(card.movie.id, card.rating)
    return cards


@dataclass(frozen=True)
class MovieFilters:
    """The search and filters of the film list, as given (already trimmed)."""

    q: str = ""
    genre: str = ""
    language: str = ""
    format: str = ""
    age_rating: str = ""
    sort: str = ""  # "" (by title) or "rating" (Bayesian average, best first)

    @classmethod
    def from_args(cls, args) -> "MovieFilters":
        """From a request's query arguments; unknown keys are ignored, long text is cut and
        control characters (PostgreSQL refuses NUL in text) are dropped."""
        def text(name: str, limit: int = 60) -> str:
            printable = "".join(ch if ch.isprintable() else " " for ch in args.get(name, ""))
            return " ".join(printable.split())[:limit]

        return cls(q=text("q", MAX_QUERY_LENGTH), genre=text("genre"),
                   language=text("language"), format=text("format"),
                   age_rating=text("age_rating"),
                   sort="rating" if args.get("sort") == "rating" else "")

    @property
    def active(self) -> bool:
        return any((self.q, self.genre, self.language, self.format, self.age_rating))

    def as_args(self) -> dict[str, str]:
        """The non-empty filters, for building links (pagination keeps the search)."""
        return {name: value for name, value in vars(self).items() if value}


@dataclass(frozen=True)
class Page:
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_item(self) -> int:
        return 0 if self.total == 0 else (self.number - 1) * self.per_page + 1

    @property
    def last_item(self) -> int:
        return min(self.total, self.number * self.per_page)


@dataclass
class MovieSearch:
    filters: MovieFilters
    page: Page
    cards: list[FilmCard]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered_movies(filters: MovieFilters):
    stmt = sa.select(Movie).where(_live_movie())
    # Every word of the search must appear somewhere in the title, in any order: "drift orb"
    # finds "Orbital Drift".
    for word in filters.q.split():
        stmt = stmt.where(Movie.title.ilike(f"%{_escape_like(word)}%", escape="\\"))
    if filters.genre:
        stmt = stmt.where(Movie.genres.any(
            sa.and_(Genre.slug == filters.genre, Genre.is_deleted.is_(False))))
    if filters.language:
        stmt = stmt.where(Movie.language == filters.language)
    if filters.format:
        stmt = stmt.where(Movie.format == filters.format)
    if filters.age_rating:
        stmt = stmt.where(Movie.age_rating == filters.age_rating)
    return stmt


def search_movies(filters: MovieFilters, page: int | None, now: datetime,
                  per_page: int = PER_PAGE) -> MovieSearch:
    """One page of live films matching ``filters``, by title (or by Bayesian rating, see
    cinema/reviews/ratings.py), each with its next times and average rating.

    A page number below 1 or past the end falls back to the first or last page.
    """
    stmt = _filtered_movies(filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    pages = max(1, math.ceil(total / per_page))
    number = min(max(page or 1, 1), pages)
    order = [sa.func.lower(Movie.title), Movie.id]
    if filters.sort == "rating":
        score, count = ratings.bayesian_score(ratings.overall_mean())
        order = [score.desc(), count.desc(), *order]
    movies = db.session.scalars(
        stmt.order_by(*order).limit(per_page).offset((number - 1) * per_page)).all()
    return MovieSearch(filters=filters, page=Page(number, per_page, total),
                       cards=film_cards(list(movies), now))


def film_cards(movies: list[Movie], now: datetime, per_film: int = 3) -> list[FilmCard]:
    """Cards of the given films, in that order, with their next times and ratings."""
    upcoming = _next_showtimes(now, [movie.id for movie in movies], per_film=per_film)
    return _with_ratings([upcoming.get(movie.id) or FilmCard(movie) for movie in movies])


@dataclass(frozen=True)
class FilterOptions:
    genres: list[Genre]
    languages: list[str]
    formats: list[str]
    age_ratings: list[str]


def _rating_key(rating: str) -> tuple[int, str]:
    try:
        return AGE_RATING_ORDER.index(rating), rating
    except ValueError:
        return len(AGE_RATING_ORDER), rating


def filter_options() -> FilterOptions:
    """The choices of the film filters: what the live films actually have (two queries)."""
    genres = db.session.scalars(
        sa.select(Genre)
        .where(Genre.is_deleted.is_(False),
               Genre.id.in_(sa.select(MovieGenre.genre_id)
                            .join(Movie, Movie.id == MovieGenre.movie_id)
                            .where(_live_movie())))
        .order_by(Genre.name)).all()
    rows = db.session.execute(
        sa.select(Movie.language, Movie.format, Movie.age_rating).where(_live_movie())
        .distinct()).all()
    return FilterOptions(
        genres=list(genres),
        languages=sorted({row.language for row in rows}),
        formats=sorted({row.format for row in rows}),
        age_ratings=sorted({row.age_rating for row in rows}, key=_rating_key),
    )


def get_movie(movie_id: int) -> Movie:
    """A live film; raises NotFound for a missing or deleted one."""
    movie = db.session.get(Movie, movie_id)
    if movie is None or movie.is_deleted:
        raise NotFound("We could not find that film.")
    return movie


@dataclass
class ScheduleDay:
    day: date
    showtimes: list[Showtime]


def film_schedule(movie_id: int, now: datetime, tz: ZoneInfo) -> list[ScheduleDay]:
    """A film's upcoming showtimes grouped by the cinema's local day (cancelled ones kept,
    to be marked)."""
    showtimes = db.session.scalars(
        sa.select(Showtime)
        .where(Showtime.movie_id == movie_id, _shown_showtime(now))
        .order_by(Showtime.starts_at, Showtime.id)).unique().all()
    return [ScheduleDay(day, list(group)) for day, group in
            groupby(showtimes, key=lambda showtime: showtime.starts_at.astimezone(tz).date())]


@dataclass
class ProgrammeFilm:
    movie: Movie
    showtimes: list[Showtime]

    @property
    def price_from_cents(self) -> int | None:
        prices = [s.base_price_cents for s in self.showtimes if not s.is_cancelled]
        return min(prices) if prices else None


def day_programme(day: date, now: datetime, tz: ZoneInfo,
                  movie_id: int | None = None) -> list[ProgrammeFilm]:
    """The showtimes of one local day still to start, grouped by film (films in order of
    their first showtime that day). One query, plus one for the films' genres."""
    start, end = local_day_bounds(day, tz)
    stmt = (
        sa.select(Showtime)
        .join(Movie, Movie.id == Showtime.movie_id)
        .where(_shown_showtime(now), _live_movie(),
               Showtime.starts_at >= start, Showtime.starts_at < end)
        .order_by(Showtime.starts_at, Showtime.id)
    )
    if movie_id is not None:
        stmt = stmt.where(Showtime.movie_id == movie_id)
    films: dict[int, ProgrammeFilm] = {}
    for showtime in db.session.scalars(stmt).unique():
        films.setdefault(showtime.movie_id, ProgrammeFilm(showtime.movie, [])) \
            .showtimes.append(showtime)
    return list(films.values())
