"""/api/v1 for patrons coming back: the wishlist, reviews and ratings, and the waitlist of a
sold-out showtime, through the same services as the pages (cinema/wishlist, cinema/reviews,
cinema/waitlist); the admins' moderation of reviews and a showtime's waitlist counts."""
from __future__ import annotations

import marshmallow as ma
from flask import url_for
from marshmallow import fields, validate

from cinema.blueprints.api.catalogue import MovieCardSchema, _Card
from cinema.blueprints.api.core import ApiBlueprint, api_user
from cinema.blueprints.api.schemas import ID_CONVERTER, PageArgs, Text, UtcDateTime, page_body, paged
from cinema.catalogue import catalogue
from cinema.models import UserRole, WaitlistStatus, utcnow
from cinema.models.review import MAX_HIDE_REASON, MAX_REVIEW_BODY
from cinema.programme import scheduling
from cinema.reviews import ratings, reviews
from cinema.waitlist import line
from cinema.wishlist import wishlist

wishlist_blp = ApiBlueprint("api_wishlist", __name__, url_prefix="/api/v1/wishlist",
                            description="The patron's saved films")
reviews_blp = ApiBlueprint("api_reviews", __name__, url_prefix="/api/v1",
                           description="Reviews and ratings of films by verified viewers")
waitlist_blp = ApiBlueprint("api_waitlist", __name__, url_prefix="/api/v1",
                            description="The waitlist of sold-out showtimes")
admin_only = reviews_blp.auth(UserRole.ADMIN)


# --- wishlist ---------------------------------------------------------------------------------

class SavedSchema(ma.Schema):
    movie_id = fields.Integer(required=True)
    saved = fields.Boolean(required=True)


class WishlistEmailsSchema(ma.Schema):
    enabled = fields.Boolean(required=True, metadata={
        "description": "at most one email a day about new showtimes of saved films"})


@wishlist_blp.route("", methods=["GET"])
@wishlist_blp.auth()
@wishlist_blp.response(200, MovieCardSchema(many=True))
def list_saved():
    """The patron's saved films, most recently saved first, with their next showtimes."""
    movies = wishlist.saved_movies(api_user().id)
    return [_Card(card) for card in catalogue.film_cards(movies, utcnow())]


@wishlist_blp.route(f"/<{ID_CONVERTER}:movie_id>", methods=["PUT"])
@wishlist_blp.auth()
@wishlist_blp.response(200, SavedSchema)
def save(movie_id: int):
    """Save a film (saving it twice changes nothing; 404 for a missing film)."""
    return {"movie_id": movie_id, "saved": wishlist.save(api_user().id, movie_id)}


@wishlist_blp.route(f"/<{ID_CONVERTER}:movie_id>", methods=["DELETE"])
@wishlist_blp.auth()
@wishlist_blp.response(200, SavedSchema)
def forget(movie_id: int):
    """Take a film off the wishlist (a film not on it is no error)."""
    return {"movie_id": movie_id, "saved": wishlist.forget(api_user().id, movie_id)}


@wishlist_blp.route("/emails", methods=["PUT"])
@wishlist_blp.auth()
@wishlist_blp.arguments(WishlistEmailsSchema)
@wishlist_blp.response(200, WishlistEmailsSchema)
def set_emails(args):
    """Turn the daily email about new showtimes of saved films on or off."""
    wishlist.set_emails(api_user().id, args["enabled"])
    return args


# --- reviews ----------------------------------------------------------------------------------

class ReviewArgs(ma.Schema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5),
                            metadata={"example": 4})
    body = Text(MAX_REVIEW_BODY, load_default="", metadata={"example": "Worth the big screen."})


class ReviewSchema(ma.Schema):
    id = fields.Integer(required=True)
    movie_id = fields.Integer(required=True)
    author = fields.Function(lambda review: review.user.public_name, required=True,
                             metadata={"description": "first name and last initial"})
    rating = fields.Integer(required=True)
    body = fields.String(required=True, metadata={"description": "plain text, never HTML"})
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class OwnReviewSchema(ReviewSchema):
    hidden = fields.Function(lambda review: review.is_hidden, required=True)
    hidden_reason = fields.String(allow_none=True, required=True,
                                  metadata={"description": "why an admin hid it (its author sees it)"})


class ModeratedReviewSchema(OwnReviewSchema):
    user_id = fields.Integer(required=True)
    hidden_at = UtcDateTime(allow_none=True, required=True)


class StarsSchema(ma.Schema):
    stars = fields.Integer(required=True)
    count = fields.Integer(required=True)
    percent = fields.Integer(required=True)


class RatingSchema(ma.Schema):
    average = fields.Float(allow_none=True, required=True,
                           metadata={"description": "one decimal; null without reviews"})
    count = fields.Integer(required=True)
    distribution = fields.Method("_distribution", required=True,
                                 metadata={"description": "5 stars down to 1"})

    def _distribution(self, summary) -> list[dict]:
        return [{"stars": stars, "count": count, "percent": percent}
                for stars, count, percent in summary.distribution()]


class ReviewPageSchema(paged(ReviewSchema, "ReviewList")):
    rating = fields.Nested(RatingSchema, required=True)


class EligibilitySchema(ma.Schema):
    may_review = fields.Boolean(required=True)
    reason = fields.String(required=True, metadata={"description": "why not, for people"})
    review = fields.Nested(OwnReviewSchema, allow_none=True, required=True)


class ModerationArgs(PageArgs):
    state = fields.String(load_default="all", validate=validate.OneOf(reviews.MODERATION_STATES))


class HideArgs(ma.Schema):
    reason = Text(MAX_HIDE_REASON, min_length=1, required=True,
                  metadata={"description": "shown to the author", "example": "Spoilers"})


@reviews_blp.route(f"/movies/<{ID_CONVERTER}:movie_id>/reviews", methods=["GET"])
@reviews_blp.arguments(PageArgs, location="query")
@reviews_blp.response(200, ReviewPageSchema)
def film_reviews(args, movie_id: int):
    """A film's rating (average, count, distribution) and its visible reviews, newest first."""
    catalogue.get_movie(movie_id)
    page = ratings.film_reviews(movie_id, args["page"], per_page=args["limit"])
    next_url = url_for("api_reviews.film_reviews", movie_id=movie_id, page=page.page + 1,
                       limit=args["limit"]) if page.has_next and page.page == args["page"] else None
    return {**page_body(page.items, page.page, args["limit"], page.total, next_url),
            "rating": ratings.film_summary(movie_id)}


@reviews_blp.route(f"/movies/<{ID_CONVERTER}:movie_id>/reviews/mine", methods=["GET"])
@reviews_blp.auth()
@reviews_blp.response(200, EligibilitySchema)
def my_review(movie_id: int):
    """The caller's review of the film (hidden or not), or whether they may write one and why
    not."""
    catalogue.get_movie(movie_id)
    user_id = api_user().id
    own = reviews.own_review(user_id, movie_id)
    if own is not None:
        return {"may_review": False, "reason": "You have reviewed this film: edit your review.",
                "review": own}
    allowed = reviews.eligibility(user_id, movie_id, utcnow())
    return {"may_review": allowed.allowed, "reason": allowed.reason, "review": None}


@reviews_blp.route(f"/movies/<{ID_CONVERTER}:movie_id>/reviews", methods=["POST"])
@reviews_blp.auth()
@reviews_blp.arguments(ReviewArgs)
@reviews_blp.response(201, OwnReviewSchema)
def create_review(args, movie_id: int):
    """Review a film: verified viewers only (403 with the reason), once (409)."""
    return reviews.create_review(api_user().id, movie_id, args["rating"], args["body"], utcnow())


@reviews_blp.route(f"/reviews/<{ID_CONVERTER}:review_id>", methods=["PUT"])
@reviews_blp.auth()
@reviews_blp.arguments(ReviewArgs)
@reviews_blp.response(200, OwnReviewSchema)
def update_review(args, review_id: int):
    """Change the caller's review (403 for another patron's)."""
    return reviews.update_review(review_id, api_user().id, args["rating"], args["body"], utcnow())


@reviews_blp.route(f"/reviews/<{ID_CONVERTER}:review_id>", methods=["DELETE"])
@reviews_blp.auth()
@reviews_blp.response(204)
def delete_review(review_id: int):
    """Delete the caller's review (they may write a new one)."""
    reviews.delete_review(review_id, api_user().id)


@reviews_blp.route("/admin/reviews", methods=["GET"])
@admin_only
@reviews_blp.arguments(ModerationArgs, location="query")
@reviews_blp.response(200, paged(ModeratedReviewSchema, "ModeratedReviewPage"))
def moderation_list(args):
    """Every review newest first (``state``: all, visible or hidden), for moderation."""
    page = reviews.list_for_moderation(args["page"], args["state"], per_page=args["limit"])
    next_url = url_for("api_reviews.moderation_list", page=args["page"] + 1,
                       limit=args["limit"], state=args["state"]) if page.has_next else None
    return page_body(page.items, args["page"], args["limit"], page.total, next_url)


@reviews_blp.route(f"/admin/reviews/<{ID_CONVERTER}:review_id>/hide", methods=["POST"])
@admin_only
@reviews_blp.arguments(HideArgs)
@reviews_blp.response(200, ModeratedReviewSchema)
def hide(args, review_id: int):
    """Hide a review from everyone but its author, with the reason they see (audit-logged)."""
    return reviews.hide_review(review_id, api_user().id, args["reason"], utcnow())


@reviews_blp.route(f"/admin/reviews/<{ID_CONVERTER}:review_id>/restore", methods=["POST"])
@admin_only
@reviews_blp.response(200, ModeratedReviewSchema)
def restore(review_id: int):
    """Show a hidden review again (audit-logged)."""
    return reviews.restore_review(review_id, api_user().id)


# --- waitlist ---------------------------------------------------------------------------------

class JoinArgs(ma.Schema):
    party_size = fields.Integer(required=True, strict=True, validate=validate.Range(1, 100),
                                metadata={"description": "1 to MAX_SEATS_PER_HOLD",
                                          "example": 2})


class WaitlistEntrySchema(ma.Schema):
    id = fields.Integer(required=True)
    showtime_id = fields.Integer(required=True)
    party_size = fields.Integer(required=True)
    status = fields.Function(lambda e: e.status.value, required=True,
                             metadata={"enum": [status.value for status in WaitlistStatus]})
    position = fields.Method("_position", allow_none=True, required=True,
                             metadata={"description": "1 = next in line; null once not waiting"})
    reservation_id = fields.Integer(allow_none=True, required=True,
                                    metadata={"description": "the hold offered: pay it at "
                                                             "/api/v1/bookings/{id}/confirm"})
    offered_at = UtcDateTime(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)

    def _position(self, entry) -> int | None:
        return line.position(entry) if entry.status is WaitlistStatus.WAITING else None


class WaitlistCountsSchema(ma.Schema):
    showtime_id = fields.Integer(required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                         metadata={"description": "entries by status, and people_waiting"})


@waitlist_blp.route(f"/showtimes/<{ID_CONVERTER}:showtime_id>/waitlist", methods=["POST"])
@waitlist_blp.auth()
@waitlist_blp.arguments(JoinArgs)
@waitlist_blp.response(201, WaitlistEntrySchema)
def join(args, showtime_id: int):
    """Join a sold-out (or nearly) showtime's waitlist; 409 SEATS_STILL_FREE when the party
    fits in the free seats, 409 ALREADY_WAITING when already in line."""
    return line.join(api_user().id, showtime_id, args["party_size"], utcnow())


@waitlist_blp.route("/waitlist", methods=["GET"])
@waitlist_blp.auth()
@waitlist_blp.response(200, WaitlistEntrySchema(many=True))
def my_waitlists():
    """The caller's live waitlist entries with their place in line."""
    return [patron_entry.entry for patron_entry in line.patron_entries(api_user().id)]


@waitlist_blp.route(f"/waitlist/<{ID_CONVERTER}:entry_id>", methods=["DELETE"])
@waitlist_blp.auth()
@waitlist_blp.response(200, WaitlistEntrySchema)
def leave(entry_id: int):
    """Leave a waitlist (a hold offered to the caller is given up too)."""
    return line.leave(api_user().id, entry_id, utcnow())


@waitlist_blp.route(f"/admin/showtimes/<{ID_CONVERTER}:showtime_id>/waitlist", methods=["GET"])
@waitlist_blp.auth(UserRole.ADMIN)
@waitlist_blp.response(200, WaitlistCountsSchema)
def counts(showtime_id: int):
    """A showtime's waitlist by status, and how many people wait (admin)."""
    scheduling.get_showtime(showtime_id)
    return {"showtime_id": showtime_id, "counts": line.counts(showtime_id)}
