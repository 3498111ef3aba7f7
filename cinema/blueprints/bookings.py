"""The patron's bookings."""
from __future__ import annotations

from flask import Blueprint, make_response
from flask_login import current_user

from cinema.access import login_required
from cinema.rendering import render
from cinema.services import bookings_query, tickets

bp = Blueprint("bookings", __name__, url_prefix="/bookings")


@bp.get("/my")
@login_required
def my_bookings():
    """The signed-in patron's bookings, upcoming first."""
    upcoming, past = bookings_query.history_for(current_user.id)
    return render("pages/bookings/my.html", upcoming=upcoming, past=past)


@bp.get("/<int:reservation_id>")
@login_required
def detail(reservation_id: int):
    """A booking (owner, staff, admin): the ticket once confirmed, else status and prices."""
    reservation = tickets.viewable_reservation(reservation_id, current_user.id,
                                               current_user.role)
    return render("pages/bookings/detail.html", reservation=reservation)


@bp.get("/<int:reservation_id>/qr.png")
@login_required
def ticket_qr(reservation_id: int):
    """The ticket's QR code (the signed booking code) as a PNG."""
    reservation = tickets.ticket_reservation(reservation_id, current_user.id, current_user.role)
    response = make_response(tickets.ticket_qr_png(reservation))
    response.content_type = "image/png"
    response.cache_control.private = True
    response.cache_control.max_age = 3600
    return response
