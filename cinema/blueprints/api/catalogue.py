"""/api/v1/movies: the film list with its search and filters, a film, and the same search as a
JSON body."""
from __future__ import annotations

import marshmallow as ma
from flask import url_for
from marshmallow import fields, validate

from cinema.blueprints.api.core import ApiBlueprint
from cinema.blueprints.api.schemas import ID_CONVERTER, PageArgs, Text, UtcDateTime, page_body, paged
from cinema.catalogue import catalogue
from cinema.models import utcnow

blp = ApiBlueprint("api_movies", __name__, url_prefix="/api/v1/movies",
                   description="The film catalogue")


class MovieFilterArgs(PageArgs):
    q = Text(catalogue.MAX_QUERY_LENGTH, load_default="")
    genre = Text(60, load_default="", metadata={"description": "genre slug"})
    language = Text(60, load_default="")
    format = Text(60, load_default="")
    age_rating = Text(60, load_default="")
    sort = fields.String(load_default="", validate=validate.OneOf(["", "title", "rating"]),
                         metadata={"description": "title (default) or rating: a Bayesian average, "
                                                  "so films with few reviews do not jump to the top"})


class GenreSchema(ma.Schema):
    name = fields.String(required=True)
    slug = fields.String(required=True)


class MovieSchema(ma.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    synopsis = fields.String(required=True)
    duration_minutes = fields.Integer(required=True)
    age_rating = fields.String(required=True)
    language = fields.String(required=True)
    format = fields.String(required=True)
    release_date = fields.Date(allow_none=True, required=True)
    genres = fields.List(fields.Nested(GenreSchema), required=True)


class ShowtimeRefSchema(ma.Schema):
    id = fields.Integer(required=True)
    starts_at = UtcDateTime(required=True)


class CardRatingSchema(ma.Schema):
    average = fields.Float(allow_none=True, required=True,
                           metadata={"description": "visible reviews, one decimal; null if none"})
    count = fields.Integer(required=True)


class MovieCardSchema(MovieSchema):
    next_showtimes = fields.List(fields.Nested(ShowtimeRefSchema), required=True)
    price_from_cents = fields.Integer(allow_none=True, required=True,
                                      metadata={"description": "lowest base price, in cents"})
    rating = fields.Nested(CardRatingSchema, required=True)


MoviePage = paged(MovieCardSchema, "MoviePage")


class _Card:
    """A FilmCard read like a movie, with its next times and lowest price."""

    def __init__(self, card: catalogue.FilmCard):
        self._card = card
        self.next_showtimes = card.next_showtimes
        self.price_from_cents = card.price_from_cents
        self.rating = card.rating

    def __getattr__(self, name):
        return getattr(self._card.movie, name)


def search(args: dict, endpoint: str) -> dict:
    """One page of films for these filters, with the link to the next page."""
    filters = catalogue.MovieFilters.from_args(args)
    result = catalogue.search_movies(filters, args["page"], utcnow(), per_page=args["limit"])
    page = result.page
    next_url = url_for(endpoint, page=page.number + 1, limit=args["limit"],
                       **filters.as_args()) if page.has_next and args["page"] == page.number \
        else None
    return page_body([_Card(card) for card in result.cards], page.number, args["limit"],
                     page.total, next_url)


@blp.route("", methods=["GET"])
@blp.arguments(MovieFilterArgs, location="query")
@blp.response(200, MoviePage)
def list_movies(args):
    """Live films by title, searched (every word of ``q`` in the title) and filtered."""
    return search(args, "api_movies.list_movies")


@blp.route("/search", methods=["POST"])
@blp.arguments(MovieFilterArgs)
@blp.response(200, MoviePage)
def search_movies(args):
    """The same search as ``GET /movies``, with the filters in a JSON body."""
    return search(args, "api_movies.list_movies")


@blp.route(f"/<{ID_CONVERTER}:movie_id>", methods=["GET"])
@blp.response(200, MovieSchema)
def get_movie(movie_id: int):
    """A live film (404 for a missing or deleted one)."""
    return catalogue.get_movie(movie_id)

