"""The patron's bookings: hold seats, pay, cancel, history."""
from __future__ import annotations

import uuid

from flask import Blueprint, flash, make_response, redirect, request, url_for
from flask_login import current_user

from cinema.access import login_required
from cinema.booking import (
    booking,
    booking_changes,
    bookings_query,
    promotions,
    seat_selection,
    ticket_choice,
    tickets,
)
from cinema.errors import on_error_render, wants_json
from cinema.exceptions import Forbidden
from cinema.forms.params import id_param, text_param
from cinema.models import ReservationStatus, utcnow
from cinema.money import format_money
from cinema.pricing import price_book
from cinema.rendering import render

bp = Blueprint("bookings", __name__, url_prefix="/bookings")


def showtime_page_again(showtime_id, seat_ids):
    """On a failed hold: the showtime page, the map fresh, the patron's pick kept if free."""
    def page(error):
        return render("pages/showtimes/detail.html",
                      **seat_selection.showtime_view(showtime_id, current_user.id, utcnow(),
                                                     seat_ids, error=error))

    return page


@bp.post("/hold")
@login_required
def hold():
    """Hold the chosen seats and go to the booking page to pay."""
    showtime_id = id_param(request.form, "showtime_id")
    seat_ids = request.form.getlist("seat_ids")
    if showtime_id is not None:
        on_error_render(showtime_page_again(showtime_id, seat_ids))
    reservation = booking.hold_seats(current_user.id, showtime_id, seat_ids, now=utcnow())
    return redirect(url_for("bookings.detail", reservation_id=reservation.id), 303)


def _detail_page(reservation_id: int, error=None):
    reservation = bookings_query.visible_to(reservation_id, current_user.id,
                                            current_user.is_staff)
    now = utcnow()
    return render("pages/bookings/detail.html", reservation=reservation, error=error, now=now,
                  hold_live=booking.hold_is_live(reservation, now),
                  is_owner=reservation.user_id == current_user.id,
                  promo=promotions.applied_code(reservation),
                  ticket_types=price_book.ticket_types(),
                  demand_note=(price_book.demand_note(reservation.showtime, now)
                               if reservation.is_live_hold(now) else None),
                  idempotency_key=uuid.uuid4().hex, form=request.form)


@bp.get("/<id:reservation_id>")
@login_required
def detail(reservation_id: int):
    """The booking: countdown and payment while held, the ticket once confirmed."""
    return _detail_page(reservation_id)


# The confirm form's fields and their longest acceptable values (idempotency_key: its column).
CONFIRM_FIELDS = {"payment_method": 20, "card_number": 40, "card_expiry": 10, "card_cvc": 10,
                  "idempotency_key": 80}


@bp.post("/<id:reservation_id>/confirm")
@login_required
def confirm(reservation_id: int):
    """Pay (card or at the box office) and confirm the held seats."""
    on_error_render(lambda error: _detail_page(reservation_id, error))
    form = {name: text_param(request.form, name, limit, default=None)
            for name, limit in CONFIRM_FIELDS.items()}
    reservation = booking.confirm_booking(
        reservation_id, current_user.id, form["payment_method"] or "", now=utcnow(),
        card_number=form["card_number"], card_expiry=form["card_expiry"],
        card_cvc=form["card_cvc"], idempotency_key=form["idempotency_key"])
    flash("Booking confirmed. Enjoy the film!" if reservation.paid_at else
          "Seats reserved: please pay at the box office before the film.", "success")
    return redirect(url_for("bookings.detail", reservation_id=reservation.id), 303)


@bp.post("/<id:reservation_id>/tickets")
@login_required
def choose_tickets(reservation_id: int):
    """Choose the ticket type (Adult, Child...) of each held seat and re-price the hold."""
    on_error_render(lambda error: _detail_page(reservation_id, error))
    ticket_choice.choose_ticket_types(reservation_id, current_user.id,
                                      ticket_choice.ticket_fields(request.form), now=utcnow())
    return redirect(url_for("bookings.detail", reservation_id=reservation_id), 303)


@bp.post("/<id:reservation_id>/promo")
@login_required
def apply_promo(reservation_id: int):
    """Apply a promo code to the patron's held booking; an empty code removes it."""
    on_error_render(lambda error: _detail_page(reservation_id, error))
    reservation = promotions.apply_promo(reservation_id, current_user.id,
                                         request.form.get("promo_code", ""), now=utcnow())
    promo = promotions.applied_code(reservation)
    flash(f"Promo code {promo.code} applied." if promo else "Promo code removed.", "success")
    return redirect(url_for("bookings.detail", reservation_id=reservation.id), 303)


@bp.post("/<id:reservation_id>/cancel")
@login_required
def cancel(reservation_id: int):
    """Cancel (and refund) a booking: the owner, or an admin. A confirmed booking without
    ``confirm=1`` gets the confirmation step first: a page saying what will happen, whose
    button confirms. Releasing a hold ("Release these seats") needs none: nothing was sold."""
    on_error_render(lambda error: _detail_page(reservation_id, error))
    if request.form.get("confirm") != "1" and not wants_json():
        reservation = bookings_query.visible_to(reservation_id, current_user.id,
                                                current_user.is_staff)
        is_owner = reservation.user_id == current_user.id
        if not (is_owner or current_user.is_admin):
            raise Forbidden("Only the patron or an admin can cancel a booking.")
        if reservation.status is ReservationStatus.CONFIRMED:
            return render("pages/bookings/cancel_confirm.html", reservation=reservation,
                          is_owner=is_owner,
                          action=url_for("bookings.cancel", reservation_id=reservation_id),
                          back=url_for("bookings.detail", reservation_id=reservation_id))
    reservation = booking.cancel_booking(reservation_id, current_user.id, now=utcnow(),
                                         by_admin=current_user.is_admin)
    refunded = reservation.paid_at is not None
    flash("Booking cancelled." + (" Your refund is on its way." if refunded else ""), "info")
    if reservation.user_id != current_user.id:
        return redirect(url_for("bookings.detail", reservation_id=reservation.id), 303)
    return redirect(url_for("bookings.my_bookings"), 303)


@bp.get("/<id:reservation_id>/cancel-seats")
@login_required
def cancel_seats_review(reservation_id: int):
    """The seats chosen for cancelling and what comes back, before anything changes."""
    on_error_render(lambda error: _detail_page(reservation_id, error))
    reservation, leaving, amount = booking_changes.plan_cancel_seats(
        reservation_id, request.args.getlist("seat_ids"), current_user.id, utcnow(),
        by_admin=current_user.is_admin)
    return render("pages/bookings/cancel_seats.html", reservation=reservation, leaving=leaving,
                  amount=amount, everything=len(leaving) == len(reservation.seats))


@bp.post("/<id:reservation_id>/cancel-seats")
@login_required
def cancel_seats(reservation_id: int):
    """Cancel some seats of a confirmed booking (the owner, or an admin), refunding them."""
    on_error_render(lambda error: _detail_page(reservation_id, error))
    reservation, refunded = booking_changes.cancel_seats(
        reservation_id, request.form.getlist("seat_ids"), current_user.id, utcnow(),
        by_admin=current_user.is_admin)
    if reservation.status is ReservationStatus.CANCELLED:
        flash("Booking cancelled." + (" Your refund is on its way." if refunded else ""), "info")
    else:
        flash("Seats cancelled: your updated ticket is below and on its way by email."
              + (f" {format_money(refunded)} is being refunded." if refunded else ""), "success")
    return redirect(url_for("bookings.detail", reservation_id=reservation.id), 303)


@bp.get("/my")
@login_required
def my_bookings():
    """The signed-in patron's bookings, upcoming first."""
    upcoming, past = bookings_query.history_for(current_user.id)
    return render("pages/bookings/my.html", upcoming=upcoming, past=past,
                  ReservationStatus=ReservationStatus)


@bp.get("/<id:reservation_id>/qr.png")
@login_required
def ticket_qr(reservation_id: int):
    """The ticket's QR code (the signed booking code) as a PNG."""
    reservation = tickets.ticket_reservation(reservation_id, current_user.id,
                                             current_user.is_staff)
    response = make_response(tickets.ticket_qr_png(reservation))
    response.content_type = "image/png"
    return response  # Cache-Control: no-store, as every answer to a signed-in user
