"""Admin: all bookings, filtered and paginated; one booking's detail; admin cancel."""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, request, url_for
from flask_login import current_user

from cinema.blueprints.admin import bp
from cinema.booking import admin_bookings, booking
from cinema.errors import ValidationFailed, wants_json
from cinema.forms.params import id_param, page_param, text_param
from cinema.models import ReservationStatus, utcnow
from cinema.rendering import render
from cinema.reports import reports


def _filters(args) -> admin_bookings.BookingFilters:
    """The list's filters from the query string; ValidationFailed (422) for a bad value."""
    status = args.get("status") or None
    if status and status not in ReservationStatus.__members__:
        raise ValidationFailed("Unknown status.", field_errors={"status": ["Unknown."]})
    day = args.get("date") or None
    try:
        day = date.fromisoformat(day) if day else None
    except ValueError:
        raise ValidationFailed("Use a date like 2030-06-12.",
                               field_errors={"date": ["Use YYYY-MM-DD."]}) from None
    return admin_bookings.BookingFilters(
        movie_id=id_param(args, "movie_id"), showtime_id=id_param(args, "showtime_id"),
        status=ReservationStatus(status) if status else None, day=day,
        email=text_param(args, "email", 254).lower())


@bp.get("/bookings")
def bookings():
    """Every booking; filter by film, showtime, status, showtime date and patron email."""
    filters = _filters(request.args)
    page = admin_bookings.search(filters, page_param(request.args))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render("pages/admin/bookings.html", results=page, filters=filters, args=args,
                  films=reports.choices()["films"], statuses=list(ReservationStatus))


@bp.get("/bookings/<id:reservation_id>")
def bookings_detail(reservation_id: int):
    """One booking: seats with their line items, payments, history; cancel."""
    return render("pages/admin/booking_detail.html",
                  booking=admin_bookings.detail(reservation_id))


def _cancel_confirm_page(reservation_id: int):
    """The confirmation step (pages/bookings/cancel_confirm.html); a booking that can no longer
    be cancelled: its admin page."""
    reservation = admin_bookings.detail(reservation_id).reservation
    if reservation.status not in (ReservationStatus.HELD, ReservationStatus.CONFIRMED):
        return redirect(url_for("admin.bookings_detail", reservation_id=reservation_id), 303)
    return render("pages/bookings/cancel_confirm.html", reservation=reservation,
                  is_owner=reservation.user_id == current_user.id,
                  action=url_for("admin.bookings_cancel", reservation_id=reservation_id),
                  back=url_for("admin.bookings_detail", reservation_id=reservation_id))


@bp.get("/bookings/<id:reservation_id>/cancel")
def bookings_cancel_page(reservation_id: int):
    """The confirmation step as a page of its own (the booking page's "Cancel booking…" opens
    it), so that Back and reload work on it."""
    return _cancel_confirm_page(reservation_id)


@bp.post("/bookings/<id:reservation_id>/cancel")
def bookings_cancel(reservation_id: int):
    """Cancel a booking as an admin (the patron is told by email); without ``confirm=1``, the
    confirmation step first."""
    if request.form.get("confirm") != "1" and not wants_json():
        return _cancel_confirm_page(reservation_id)
    reservation = booking.cancel_booking(reservation_id, current_user.id, utcnow(),
                                         by_admin=True)
    flash(f"Booking {reservation.code} is cancelled; the patron has been emailed.", "success")
    return redirect(url_for("admin.bookings_detail", reservation_id=reservation_id), 303)
