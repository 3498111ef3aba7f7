"""Admin: all bookings, filtered and paginated; one booking's detail; admin cancel."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from cinema.blueprints.admin import bp
from cinema.booking import admin_bookings, booking
from cinema.forms.params import page_param
from cinema.models import ReservationStatus, utcnow
from cinema.rendering import render
from cinema.reports import reports


@bp.get("/bookings")
def bookings():
    """Every booking; filter by film, showtime, status, showtime date and patron email."""
    filters = admin_bookings.BookingFilters.parse(request.args)
    page = admin_bookings.search(filters, page_param(request.args))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render("pages/admin/bookings.html", results=page, filters=filters, args=args,
                  films=reports.choices()["films"], statuses=list(ReservationStatus))


@bp.get("/bookings/<id:reservation_id>")
def bookings_detail(reservation_id: int):
    """One booking: seats with their line items, payments, history; cancel."""
    return render("pages/admin/booking_detail.html",
                  booking=admin_bookings.detail(reservation_id))


@bp.post("/bookings/<id:reservation_id>/cancel")
def bookings_cancel(reservation_id: int):
    """Cancel a booking as an admin (the patron is told by email)."""
    reservation = booking.cancel_booking(reservation_id, current_user.id, utcnow(),
                                         by_admin=True)
    flash(f"Booking {reservation.code} is cancelled; the patron has been emailed.", "success")
    return redirect(url_for("admin.bookings_detail", reservation_id=reservation_id), 303)
