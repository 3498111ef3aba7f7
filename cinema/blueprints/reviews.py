"""A patron's review of a film: write, edit, delete (the author only). Each answers htmx with
the film page's reviews section and a plain form post with a redirect back to the film."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user

from cinema.access import login_required
from cinema.blueprints.catalogue import film_page
from cinema.errors import on_error_render
from cinema.forms import validate_or_raise
from cinema.forms.reviews import ReviewForm
from cinema.models import utcnow
from cinema.rendering import wants_fragment
from cinema.reviews import reviews

bp = Blueprint("reviews", __name__)


def _done(movie_id: int, message: str):
    if wants_fragment():
        return film_page(movie_id, notice=message)
    flash(message, "success")
    return redirect(url_for("catalogue.movie_detail", movie_id=movie_id, _anchor="reviews"), 303)


def _with_form(movie_id: int) -> ReviewForm:
    form = ReviewForm()
    on_error_render(lambda error: film_page(movie_id, form=form, error=error))
    validate_or_raise(form)
    return form


@bp.post("/movies/<id:movie_id>/reviews")
@login_required
def create(movie_id: int):
    """Write the signed-in patron's review of the film (verified viewers only)."""
    form = _with_form(movie_id)
    reviews.create_review(current_user.id, movie_id, form.rating.data, form.body.data, utcnow())
    return _done(movie_id, "Thank you: your review is published.")


@bp.post("/reviews/<id:review_id>/edit")
@login_required
def edit(review_id: int):
    """Save the author's changes to their review."""
    movie_id = reviews.get_review(review_id).movie_id
    form = _with_form(movie_id)
    reviews.update_review(review_id, current_user.id, form.rating.data, form.body.data,
                          utcnow())
    return _done(movie_id, "Your review has been updated.")


@bp.post("/reviews/<id:review_id>/delete")
@login_required
def delete(review_id: int):
    """Delete the author's review (they may write a new one)."""
    movie_id = reviews.get_review(review_id).movie_id
    on_error_render(lambda error: film_page(movie_id, error=error))
    reviews.delete_review(review_id, current_user.id)
    return _done(movie_id, "Your review has been deleted.")
