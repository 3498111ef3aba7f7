"""The waitlist of a sold-out showtime: join (a plain form post, or htmx), see your place in
line on /account/waitlist and leave it."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from cinema.access import login_required
from cinema.errors import on_error_render
from cinema.forms.params import int_param
from cinema.models import utcnow
from cinema.programme import scheduling
from cinema.rendering import render, wants_fragment
from cinema.settings import settings
from cinema.waitlist import line

bp = Blueprint("waitlist", __name__)


@bp.post("/showtimes/<id:showtime_id>/waitlist")
@login_required
def join(showtime_id: int):
    """Join the showtime's waitlist with a party of ``party_size``."""
    now = utcnow()
    if wants_fragment():  # htmx: a refusal shows in the section, with the form again
        showtime = scheduling.get_showtime(showtime_id)  # a missing one: the usual 404
        on_error_render(lambda error: render(
            "partials/_waitlist_form.html", status=error.status_code, waitlist_error=error,
            showtime=showtime, free=line.free_seats_of(showtime.id, now)))
    size = int_param(request.form, "party_size", 1, 1, settings().max_seats_per_hold)
    entry = line.join(current_user.id, showtime_id, size, now)
    if wants_fragment():
        return render("partials/_waitlist_joined.html", waitlist_entry=entry,
                      position=line.position(entry))
    flash(f"You are number {line.position(entry)} on the waitlist. We will email you when "
          "seats come free.", "success")
    return redirect(url_for("waitlist.index"), 303)


@bp.get("/account/waitlist")
@login_required
def index():
    """The patron's waitlists with their place in line."""
    return render("pages/account/waitlist.html", entries=line.patron_entries(current_user.id))


@bp.post("/account/waitlist/<id:entry_id>/leave")
@login_required
def leave(entry_id: int):
    """Leave a waitlist (an offered hold is given up too)."""
    line.leave(current_user.id, entry_id, utcnow())
    flash("You have left the waitlist.", "success")
    return redirect(url_for("waitlist.index"), 303)
