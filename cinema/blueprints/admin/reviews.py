"""Admin: moderate patrons' reviews (hide with a reason the author sees, restore)."""
from __future__ import annotations

from flask import request

from cinema.blueprints.admin import bp
from cinema.blueprints.admin.flow import actor_id, done, now
from cinema.errors import on_error_render
from cinema.forms import validate_or_raise
from cinema.forms.params import page_param
from cinema.forms.reviews import HideReviewForm
from cinema.rendering import render
from cinema.reviews import reviews


def _state() -> str:
    state = request.args.get("state", "all")
    return state if state in reviews.MODERATION_STATES else "all"


def _list_page(error=None, failed_id=None, form=None):
    state = _state()
    return render("pages/admin/reviews.html", state=state, states=reviews.MODERATION_STATES,
                  reviews=reviews.list_for_moderation(page_param(request.args), state),
                  error=error, failed_id=failed_id, failed_form=form)


@bp.get("/reviews", endpoint="reviews")
def reviews_list():
    """Every review, newest first, with hide and restore."""
    return _list_page()


@bp.post("/reviews/<id:review_id>/hide")
def reviews_hide(review_id: int):
    """Hide a review from everyone but its author, with the reason they will see."""
    form = HideReviewForm()
    on_error_render(lambda error: _list_page(error, review_id, form))
    validate_or_raise(form)
    reviews.hide_review(review_id, actor_id(), form.reason.data, now())
    return done("Review hidden. Its author sees it with your reason.", "admin.reviews",
                state=_state())


@bp.post("/reviews/<id:review_id>/restore")
def reviews_restore(review_id: int):
    """Show a hidden review again."""
    on_error_render(lambda error: _list_page(error))
    reviews.restore_review(review_id, actor_id())
    return done("Review restored.", "admin.reviews", state=_state())
