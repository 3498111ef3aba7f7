"""Admin: moderate patrons' reviews (hide with a reason the author sees, restore)."""
from __future__ import annotations

import csv
import io

from flask import make_response, request

from cinema.blueprints.admin import bp
from cinema.blueprints.admin.flow import actor_id, done, now
from cinema.errors import on_error_render
from cinema.forms import validate_or_raise
from cinema.forms.params import page_param
from cinema.forms.reviews import HideReviewForm
from cinema.rendering import render
from cinema.reports import report_csv
from cinema.reviews import reviews


def _state() -> str:
    state = request.args.get("state", "all")
    return state if state in reviews.MODERATION_STATES else "all"


def _list_page(error=None, failed_id=None, form=None):
    state = _state()
    return render("pages/admin/reviews.html", state=state, states=reviews.MODERATION_STATES,
                  reviews=reviews.list_for_moderation(page_param(request.args), state),
                  error=error, failed_id=failed_id, failed_form=form)


CSV_MAX_ROWS = 10_000


@bp.get("/reviews", endpoint="reviews")
def reviews_list():
    """Every review, newest first, with hide and restore; ``?format=csv`` downloads them."""
    if request.args.get("format") == "csv":
        return _csv(_state())
    return _list_page()


def _csv(state: str):
    """The reviews of the tab as CSV; every text cell through report_csv.cell (a review or a
    name starting with ``=`` stays text in a spreadsheet)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", "film", "author", "email", "rating", "review", "written_at_utc",
                     "hidden_at_utc", "hidden_reason"])
    page = reviews.list_for_moderation(1, state, per_page=CSV_MAX_ROWS)
    for review in page.items:
        writer.writerow([report_csv.cell(value) for value in (
            review.id, review.movie.title, review.user.full_name, review.user.email,
            review.rating, review.body, review.created_at.isoformat(),
            review.hidden_at.isoformat() if review.hidden_at else "", review.hidden_reason)])
    response = make_response(out.getvalue())
    response.headers["Content-Type"] = report_csv.CONTENT_TYPE
    response.headers["Content-Disposition"] = f'attachment; filename="reviews-{state}.csv"'
    return response


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
