"""Reading ratings: a film's summary and page of reviews, card averages, the Bayesian score.

Only visible reviews count (not hidden by an admin, of a live film). The film list sorted by
rating uses a Bayesian average, so a film with one 5-star review does not jump above a film
with forty reviews averaging 4.6:

    score = (m * C + sum of the film's ratings) / (m + number of the film's ratings)

``m`` (PRIOR_COUNT) is how many "typical" ratings every film starts with, and ``C`` is the
mean of every visible rating of every live film (NEUTRAL_MEAN when there are none). A film
without reviews scores exactly ``C``; each review pulls its score towards its own average.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from cinema.extensions import db
from cinema.models import Movie, Review

PRIOR_COUNT = 5
NEUTRAL_MEAN = 3.0
REVIEWS_PER_PAGE = 10


def _visible():
    return sa.and_(Review.hidden_at.is_(None), Review.is_deleted.is_(False))


@dataclass(frozen=True)
class RatingSummary:
    """A film's visible ratings: count, average and how many of each star (5 down to 1)."""

    count: int = 0
    total: int = 0
    stars: dict[int, int] = field(default_factory=dict)

    @property
    def average(self) -> float | None:
        return round(self.total / self.count, 1) if self.count else None

    def distribution(self) -> list[tuple[int, int, int]]:
        """(stars, count, percent of all) from 5 stars down to 1, for the bar."""
        return [(star, self.stars.get(star, 0),
                 round(100 * self.stars.get(star, 0) / self.count) if self.count else 0)
                for star in range(5, 0, -1)]


def film_summary(movie_id: int) -> RatingSummary:
    """The film's visible ratings (one query)."""
    rows = db.session.execute(
        sa.select(Review.rating, sa.func.count())
        .where(Review.movie_id == movie_id, _visible()).group_by(Review.rating)).all()
    stars = {rating: count for rating, count in rows}
    return RatingSummary(count=sum(stars.values()),
                         total=sum(rating * count for rating, count in stars.items()),
                         stars=stars)


def film_reviews(movie_id: int, page: int, per_page: int = REVIEWS_PER_PAGE,
                 except_user_id: int | None = None):
    """One page (Flask-SQLAlchemy pagination) of the film's visible reviews, newest first; a
    page past the end is the last page. ``except_user_id`` leaves out that patron's review
    (the film page shows it apart, as theirs)."""
    stmt = (sa.select(Review).where(Review.movie_id == movie_id, _visible())
            .order_by(Review.created_at.desc(), Review.id.desc()))
    if except_user_id is not None:
        stmt = stmt.where(Review.user_id != except_user_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    last = max(1, -(-total // per_page))
    return db.paginate(stmt, page=min(max(page, 1), last), per_page=per_page, error_out=False)


def averages(movie_ids: list[int]) -> dict[int, RatingSummary]:
    """Card summaries (count and average only) of the given films, in one query."""
    if not movie_ids:
        return {}
    rows = db.session.execute(
        sa.select(Review.movie_id, sa.func.count(), sa.func.sum(Review.rating))
        .where(Review.movie_id.in_(movie_ids), _visible()).group_by(Review.movie_id)).all()
    return {movie_id: RatingSummary(count=count, total=int(total))
            for movie_id, count, total in rows}


def overall_mean() -> float:
    """C: the mean of every visible rating of every live film (NEUTRAL_MEAN if none)."""
    mean = db.session.scalar(
        sa.select(sa.func.avg(Review.rating)).join(Movie, Movie.id == Review.movie_id)
        .where(_visible(), Movie.is_deleted.is_(False)))
    return float(mean) if mean is not None else NEUTRAL_MEAN


def bayesian_score(prior_mean: float, prior_count: int = PRIOR_COUNT):
    """A column expression of each film's Bayesian score (see the module docstring), for
    ordering a query over ``Movie``; a correlated subquery on the film's visible reviews."""
    sums = (sa.select(sa.func.coalesce(sa.func.sum(Review.rating), 0))
            .where(Review.movie_id == Movie.id, _visible()).scalar_subquery())
    counts = (sa.select(sa.func.count()).where(Review.movie_id == Movie.id, _visible())
              .scalar_subquery())
    numerator = sa.cast(prior_count * prior_mean, sa.Float) + sums
    return numerator / (prior_count + counts), counts
