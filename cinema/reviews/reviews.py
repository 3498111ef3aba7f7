"""Writing reviews: the verified-viewer rule, one review per patron per film, edits by the
author, and moderation by admins (hide with a reason, restore; both in the audit log).

Every function takes plain ids and ``now`` and commits its own transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from cinema import audit
from cinema.exceptions import (
    AlreadyReviewed,
    Conflict,
    Forbidden,
    NotAVerifiedViewer,
    NotFound,
    ValidationFailed,
)
from cinema.extensions import db
from cinema.models import Movie, Reservation, ReservationStatus, Review, Showtime
from cinema.models.review import MAX_HIDE_REASON, MAX_REVIEW_BODY


@dataclass(frozen=True)
class Eligibility:
    """Whether a patron may review a film, and if not, why (shown where the form would be)."""

    allowed: bool
    reason: str = ""


def _seen_it(user_id: int, movie_id: int, now: datetime):
    """A booking of this film admitted at the door, or confirmed for a showtime that has
    ended (not cancelled): either proves the patron had a seat for it."""
    return sa.exists().where(
        Reservation.user_id == user_id, Reservation.is_deleted.is_(False),
        Reservation.showtime_id == Showtime.id, Showtime.movie_id == movie_id,
        sa.or_(Reservation.status == ReservationStatus.COMPLETED,
               sa.and_(Reservation.status == ReservationStatus.CONFIRMED,
                       Showtime.ends_at <= now, Showtime.cancelled_at.is_(None))))


def eligibility(user_id: int | None, movie_id: int, now: datetime) -> Eligibility:
    """May this patron (None: a visitor) review the film at ``now``?"""
    if user_id is None:
        return Eligibility(False, "Sign in to review this film. Reviews are written by patrons "
                                  "who saw it here.")
    if db.session.scalar(sa.select(_seen_it(user_id, movie_id, now))):
        return Eligibility(True)
    upcoming = db.session.scalar(
        sa.select(sa.func.min(Showtime.ends_at))
        .join(Reservation, Reservation.showtime_id == Showtime.id)
        .where(Reservation.user_id == user_id, Showtime.movie_id == movie_id,
               Reservation.status == ReservationStatus.CONFIRMED, Showtime.ends_at > now,
               Showtime.cancelled_at.is_(None)))
    if upcoming is not None:
        return Eligibility(False, "You can review this film once your showtime has ended.",)
    return Eligibility(False, "Only patrons who saw this film here can review it: book a "
                              "showtime, and after it you can tell others what you thought.")


def _clean(rating, body: str | None) -> tuple[int, str]:
    """The rating (1-5, required) and the body (trimmed, at most MAX_REVIEW_BODY characters);
    raises ValidationFailed (422) naming the field."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailed("Please choose a rating from 1 to 5 stars.",
                               field_errors={"rating": ["Choose from 1 to 5 stars."]})
    text = (body or "").replace("\x00", "").strip()
    if len(text) > MAX_REVIEW_BODY:
        raise ValidationFailed(f"A review can be at most {MAX_REVIEW_BODY:,} characters.",
                               field_errors={"body": [f"At most {MAX_REVIEW_BODY:,} characters."]})
    return rating, text


def _live_movie(movie_id: int) -> Movie:
    movie = db.session.get(Movie, movie_id)
    if movie is None or movie.is_deleted:
        raise NotFound("We could not find that film.")
    return movie


def create_review(user_id: int, movie_id: int, rating, body: str | None,
                  now: datetime) -> Review:
    """The patron's review of the film. Raises NotFound (no such film), NotAVerifiedViewer
    (403, with the reason), ValidationFailed (422) and AlreadyReviewed (409, also when a
    concurrent request wrote one first: the unique constraint decides)."""
    _live_movie(movie_id)
    rating, text = _clean(rating, body)
    allowed = eligibility(user_id, movie_id, now)
    if not allowed.allowed:
        raise NotAVerifiedViewer(allowed.reason)
    review = Review(user_id=user_id, movie_id=movie_id, rating=rating, body=text,
                    created_by=user_id, created_at=now, updated_at=now)
    db.session.add(review)
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        if "uq_reviews_patron_film" in str(error.orig):
            raise AlreadyReviewed() from None
        raise
    return review


def own_review(user_id: int, movie_id: int) -> Review | None:
    """The patron's review of the film, hidden or not, or None."""
    return db.session.scalar(sa.select(Review).where(Review.user_id == user_id,
                                                     Review.movie_id == movie_id))


def _authors_review(review_id: int, user_id: int) -> Review:
    review = db.session.get(Review, review_id)
    if review is None:
        raise NotFound("We could not find that review.")
    if review.user_id != user_id:
        raise Forbidden("Only its author can change a review.")
    return review


def update_review(review_id: int, user_id: int, rating, body: str | None,
                  now: datetime) -> Review:
    """The author's new rating and text. A hidden review stays hidden (an admin restores it).
    Raises NotFound, Forbidden (not the author) and ValidationFailed."""
    review = _authors_review(review_id, user_id)
    review.rating, review.body = _clean(rating, body)
    review.updated_at = now
    db.session.commit()
    return review


def delete_review(review_id: int, user_id: int) -> int:
    """Delete the author's review; returns its film's id. Raises NotFound and Forbidden."""
    review = _authors_review(review_id, user_id)
    movie_id = review.movie_id
    db.session.delete(review)
    db.session.commit()
    return movie_id


# --- moderation -------------------------------------------------------------------------------

def get_review(review_id: int) -> Review:
    """Any review, for the admins; raises NotFound."""
    review = db.session.get(Review, review_id)
    if review is None:
        raise NotFound("We could not find that review.")
    return review


def _moderation_snapshot(review: Review) -> dict:
    return audit.snapshot(review, ["rating", "hidden_at", "hidden_reason"])


def hide_review(review_id: int, admin_id: int, reason: str, now: datetime) -> Review:
    """Hide a review from everyone but its author, who sees ``reason``. Raises NotFound,
    ValidationFailed (no reason, or too long) and Conflict (already hidden)."""
    text = " ".join((reason or "").replace("\x00", "").split())
    if not text or len(text) > MAX_HIDE_REASON:
        raise ValidationFailed("Please give the reason the author will see (at most "
                               f"{MAX_HIDE_REASON} characters).",
                               field_errors={"reason": [f"1 to {MAX_HIDE_REASON} characters."]})
    review = get_review(review_id)
    if review.is_hidden:
        raise Conflict("That review is already hidden.")
    before = _moderation_snapshot(review)
    review.hidden_at, review.hidden_reason, review.hidden_by = now, text, admin_id
    audit.record(admin_id, "review.hide", "review", review.id,
                 f"Hid a review of {review.movie.title}: {text}"[:300],
                 before=before, after=_moderation_snapshot(review))
    db.session.commit()
    return review


def restore_review(review_id: int, admin_id: int) -> Review:
    """Show a hidden review again. Raises NotFound and Conflict (not hidden)."""
    review = get_review(review_id)
    if not review.is_hidden:
        raise Conflict("That review is not hidden.")
    before = _moderation_snapshot(review)
    review.hidden_at = review.hidden_reason = review.hidden_by = None
    audit.record(admin_id, "review.restore", "review", review.id,
                 f"Restored a review of {review.movie.title}"[:300],
                 before=before, after=_moderation_snapshot(review))
    db.session.commit()
    return review


MODERATION_STATES = ("all", "visible", "hidden")


def list_for_moderation(page: int, state: str = "all", per_page: int = 30):
    """Reviews newest first for the admins (Flask-SQLAlchemy pagination), all of them or only
    the visible or hidden ones (an unknown ``state`` means all)."""
    stmt = sa.select(Review).order_by(Review.created_at.desc(), Review.id.desc())
    if state == "hidden":
        stmt = stmt.where(Review.hidden_at.is_not(None))
    elif state == "visible":
        stmt = stmt.where(Review.hidden_at.is_(None))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)
