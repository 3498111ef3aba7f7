"""The patron's bookings."""
from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from cinema.access import login_required
from cinema.rendering import render
from cinema.services import bookings_query

bp = Blueprint("bookings", __name__, url_prefix="/bookings")


@bp.get("/my")
@login_required
def my_bookings():
    """The signed-in patron's bookings, upcoming first."""
    upcoming, past = bookings_query.history_for(current_user.id)
    return render("pages/bookings/my.html", upcoming=upcoming, past=past)
