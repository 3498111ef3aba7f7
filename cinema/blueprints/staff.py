"""Staff area (STAFF and ADMIN; checked once, for the whole blueprint)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_login import current_user

from cinema.access import require_roles, safe_next
from cinema.booking import checkin as checkin_service
from cinema.errors import on_error_render
from cinema.extensions import db
from cinema.forms.params import id_param
from cinema.models import Reservation, UserRole, utcnow
from cinema.rendering import render
from cinema.wording import counted

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
def check_role():
    return require_roles(UserRole.STAFF, UserRole.ADMIN)


def _checkin_page(code: str = "", found=None, error=None, door: bool = False, admitted=None):
    return render("pages/staff/checkin.html", code=code, found=found, error=error, door=door,
                  admitted=admitted)


def _door() -> bool:
    return (request.values.get("door") or "") == "1"


@bp.get("/checkin")
def checkin():
    """Admit patrons: type a booking code or scan the QR code; ``?code=`` shows the booking.

    ``?door=1`` is the door screen: the code field admits at once, and the answer is a
    full-width ADMIT or REFUSE; the booking just admitted (kept in the session by the POST
    that admitted it) is shown once, as ADMIT.
    """
    code = request.args.get("code", "").strip()
    admitted_id = session.pop("door_admitted", None)
    admitted = db.session.get(Reservation, admitted_id) if isinstance(admitted_id, int) else None
    on_error_render(lambda error: _checkin_page(code, error=error, door=_door()))
    found = checkin_service.lookup(code, utcnow()) if code else None
    return _checkin_page(code, found, door=_door(), admitted=admitted)


@bp.post("/checkin")
def admit():
    """Admit the booking (status COMPLETED); a refusal shows the booking and the reason.

    ``take_payment=1`` records the payment of an unpaid box-office booking taken at the
    counter and admits it, in one step.
    """
    code = request.form.get("code", "").strip()
    on_error_render(lambda error: _checkin_page(
        code, found=checkin_service.lookup_or_none(code, utcnow()), error=error, door=_door()))
    reservation = checkin_service.admit(code, current_user.id, utcnow(),
                                        take_payment=request.form.get("take_payment") == "1")
    session["door_admitted"] = reservation.id
    return redirect(url_for("staff.checkin", door="1") if _door() else url_for("staff.checkin"),
                    303)


@bp.get("/box-office/sell")
def sell_page():
    """The sale's address opened again (a refused sale's page is its answer): the showtimes."""
    return redirect(url_for("catalogue.showtimes"), 303)


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
    flash(f"Sold {counted(len(reservation.seats), 'seat')}, booking {reservation.code}: "
          "the ticket is below.", "success")
    return redirect(url_for("bookings.detail", reservation_id=reservation.id), 303)


@bp.post("/bookings/<id:reservation_id>/paid")
def mark_paid(reservation_id: int):
    """Record payment taken at the counter for a "pay at the box office" booking."""
    from cinema.booking import box_office

    reservation = box_office.mark_paid(reservation_id, current_user.id, utcnow())
    flash(f"Payment recorded for booking {reservation.code}.", "success")
    return redirect(safe_next(request.form.get("next"),
                              url_for("bookings.detail", reservation_id=reservation.id)), 303)
