"""Staff area (STAFF and ADMIN; checked once, for the whole blueprint)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from cinema.access import require_roles, safe_next
from cinema.booking import checkin as checkin_service
from cinema.errors import on_error_render
from cinema.forms.params import id_param
from cinema.models import UserRole, utcnow
from cinema.rendering import render

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
def check_role():
    return require_roles(UserRole.STAFF, UserRole.ADMIN)


def _checkin_page(code: str = "", found=None, error=None):
    return render("pages/staff/checkin.html", code=code, found=found, error=error)


@bp.get("/checkin")
def checkin():
    """Admit patrons: type a booking code or scan the QR code; ``?code=`` shows the booking."""
    code = request.args.get("code", "").strip()
    on_error_render(lambda error: _checkin_page(code, error=error))
    found = checkin_service.lookup(code, utcnow()) if code else None
    return _checkin_page(code, found)


@bp.post("/checkin")
def admit():
    """Admit the booking (status COMPLETED); a refusal shows the booking and the reason."""
    code = request.form.get("code", "").strip()
    on_error_render(lambda error: _checkin_page(
        code, found=checkin_service.lookup_or_none(code, utcnow()), error=error))
    reservation = checkin_service.admit(code, current_user.id, utcnow())
    seats = ", ".join(line.seat.label for line in reservation.seats)
    flash(f"Admitted {reservation.code}: {len(reservation.seats)} · "
          f"{reservation.showtime.movie.title} · {reservation.showtime.auditorium.name} · "
          f"seats {seats}", "success")
    return redirect(url_for("staff.checkin"), 303)


@bp.post("/box-office/sell")
def sell():
    """Sell the seats chosen on the showtime's map to a walk-in, paid at the counter."""
    from cinema.blueprints.bookings import showtime_page_again
    from cinema.booking import box_office

    showtime_id = id_param(request.form, "showtime_id")
    seat_ids = request.form.getlist("seat_ids")
    if showtime_id is not None:
        on_error_render(showtime_page_again(showtime_id, seat_ids))
    reservation = box_office.sell(current_user.id, showtime_id, seat_ids, utcnow(),
                                  customer_email=request.form.get("customer_email"),
                                  customer_name=request.form.get("customer_name"),
                                  promo_code=request.form.get("promo_code"),
                                  allow_single_gaps=request.form.get("allow_single_gaps") == "1",
                                  tickets={seat_id: request.form.get("ticket_type", "")
                                           for seat_id in seat_ids})
    flash(f"Sold {len(reservation.seats)} seat(s), booking {reservation.code}. "
          "Print the ticket below.", "success")
    return redirect(url_for("bookings.detail", reservation_id=reservation.id), 303)


@bp.post("/bookings/<id:reservation_id>/paid")
def mark_paid(reservation_id: int):
    """Record payment taken at the counter for a "pay at the box office" booking."""
    from cinema.booking import box_office

    reservation = box_office.mark_paid(reservation_id, current_user.id, utcnow())
    flash(f"Payment recorded for booking {reservation.code}.", "success")
    return redirect(safe_next(request.form.get("next"),
                              url_for("bookings.detail", reservation_id=reservation.id)), 303)
