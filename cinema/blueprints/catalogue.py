"""What's on: the film list with its active search, a film's page, the day programme."""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, redirect, request, url_for

from cinema.access import optional_user
from cinema.catalogue import catalogue
from cinema.clock import cinema_tz, local_today
from cinema.forms.params import id_param, page_param
from cinema.forms.reviews import ReviewForm
from cinema.models import utcnow
from cinema.rendering import render, wants_fragment
from cinema.reviews import ratings, reviews
from cinema.wishlist import wishlist

bp = Blueprint("catalogue", __name__)


@bp.app_template_filter("local_date")
def local_date(value: datetime) -> date:
    """An aware UTC datetime's calendar day in the cinema's timezone."""
    return local_today(value)


def _movies_context() -> dict:
    now = utcnow()
    filters = catalogue.MovieFilters.from_args(request.args)
    search = catalogue.search_movies(filters, page_param(request.args), now)
    return dict(search=search, options=catalogue.filter_options(),
                today=local_today(now, cinema_tz()), saved_ids=_saved_ids())


def _saved_ids() -> set[int]:
    """The films the signed-in patron saved (their Save buttons show "Saved")."""
    user = optional_user()
    return wishlist.saved_ids(user.id if user else None)


@bp.get("/movies")
def movies():
    """Films by title, searched and filtered; HTMX asks for the results alone."""
    context = _movies_context()
    response = render("pages/catalogue/movies.html", "partials/_movie_results.html", **context)
    if wants_fragment():
        # The address bar gets the tidy form of the search (no empty filters, no page 1), so a
        # shared link reads like the search it is.
        search = context["search"]
        page = search.page.number if search.page.number > 1 else None
        response.headers["HX-Push-Url"] = url_for(".movies", page=page,
                                                  **search.filters.as_args())
    return response


def _film_context(movie_id: int) -> dict:
    """A film and its upcoming showtimes by day, for its page and its showtimes page."""
    now, tz = utcnow(), cinema_tz()
    movie = catalogue.get_movie(movie_id)
    return dict(movie=movie, schedule=catalogue.film_schedule(movie.id, now, tz),
                today=local_today(now, tz))


def _reviews_context(movie_id: int, page: int, form=None, error=None, notice=None) -> dict:
    """The film page's reviews: the summary, a page of the others' reviews, and the visitor's
    own review (hidden or not) apart, or the reason they cannot write one."""
    user = optional_user()
    own = reviews.own_review(user.id, movie_id) if user else None
    if form is None:
        form = ReviewForm(formdata=None, data={"rating": own.rating, "body": own.body}
                          if own else None)
    return dict(rating=ratings.film_summary(movie_id),
                reviews_page=ratings.film_reviews(movie_id, page,
                                                  except_user_id=own.user_id if own else None),
                own_review=own,
                eligibility=None if own else reviews.eligibility(
                    user.id if user else None, movie_id, utcnow()),
                review_form=form, review_error=error, review_notice=notice,
                oob_rating=wants_fragment())  # htmx: the headline average follows the swap


def film_page(movie_id: int, page: int = 1, status: int = 200, **review_state):
    """The film's page, or its reviews section alone for htmx (``review_state``: the review
    form, its error or a notice, see ``_reviews_context``)."""
    context = _film_context(movie_id)
    context["saved_ids"] = _saved_ids()
    return render("pages/catalogue/movie_detail.html", "partials/_reviews.html", status=status,
                  **context, **_reviews_context(context["movie"].id, page, **review_state))


@bp.get("/movies/<id:movie_id>")
def movie_detail(movie_id: int):
    """A film: poster, synopsis, details, its upcoming showtimes by day and its reviews."""
    return film_page(movie_id, page_param(request.args, "reviews_page"))


@bp.get("/showtimes")
def showtimes():
    """One day's programme in the cinema's timezone, with tabs for the coming week."""
    now = utcnow()
    tz = cinema_tz()
    today = local_today(now, tz)
    movie_id = id_param(request.args, "movie_id")
    movie = catalogue.get_movie(movie_id) if movie_id is not None else None
    day = catalogue.parse_day(request.args.get("date"), today)
    if day < today:
        # A shared link to a day that has passed: today's programme is the useful answer.
        return redirect(url_for(".showtimes", movie_id=movie_id))
    return render("pages/catalogue/showtimes.html", day=day, today=today, movie=movie,
                  tabs=catalogue.day_tabs(today),
                  programme=catalogue.day_programme(day, now, tz, movie_id))


@bp.get("/showtimes/movie/<id:movie_id>")
def movie_showtimes(movie_id: int):
    """Every upcoming showtime of one film, by day."""
    return render("pages/catalogue/movie_showtimes.html", **_film_context(movie_id))
