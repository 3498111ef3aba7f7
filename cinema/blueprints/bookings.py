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
    box_office,
    exchange_holds,
    exchanges,
    promotions,
    seat_selection,
    ticket_choice,
    tickets,
)
from cinema.errors import on_error_render, wants_json
from cinema.exceptions import CancellationClosed, DomainError, Forbidden
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


@bp.get("/hold")
@login_required
def hold_page():
    """The hold's address opened again (a refused hold's page is its answer): the showtimes."""
    showtime_id = id_param(request.args, "showtime_id")
    return redirect(url_for("showtimes.detail", showtime_id=showtime_id) if showtime_id
                    else url_for("catalogue.showtimes"), 303)


@bp.get("/<id:reservation_id>/confirm")
@bp.get("/<id:reservation_id>/promo")
@bp.get("/<id:reservation_id>/tickets")
@login_required
def booking_form_page(reservation_id: int):
    """A form's address opened again (after a refusal the booking page is its answer, shown
    at that address): the booking's page, not a 405."""
    return redirect(url_for("bookings.detail", reservation_id=reservation_id), 303)


def _detail_page(reservation_id: int, error=None, reservation=None):
    """The booking's page (``reservation``: the booking, if the caller has loaded it)."""
    if reservation is None:
        reservation = bookings_query.visible_to(reservation_id, current_user.id,
                                                current_user.is_staff)
    now = utcnow()
    is_owner = reservation.user_id == current_user.id
    may_move = is_owner or _at_counter()
    not_movable = _why_not_movable(reservation, now) if may_move else None
    return render("pages/bookings/detail.html", reservation=reservation, error=error, now=now,
                  hold_live=booking.hold_is_live(reservation, now), is_owner=is_owner,
                  can_exchange=may_move and not_movable is None, at_counter=_at_counter(),
                  # Why there is no "Change showtime" (the cutoff is in the hint already).
                  exchange_note=None if not_movable is None
                  or isinstance(not_movable, CancellationClosed) else not_movable.detail,
                  promo=promotions.applied_code(reservation),
                  moves=(bookings_query.moves_of(reservation)
                         if reservation.status.value in ("CONFIRMED", "COMPLETED") else []),
                  ticket_types=price_book.ticket_types(),
                  demand_note=(price_book.demand_note(reservation.showtime, now)
                               if reservation.is_live_hold(now) else None),
                  idempotency_key=uuid.uuid4().hex, form=request.form)


def _at_counter() -> bool:
    """Staff (and admins) change bookings at the box office: any patron's, until the start, a
    booking paid in cash too (``exchange_holds``)."""
    return current_user.is_staff


def _why_not_movable(reservation, now) -> DomainError | None:
    """Why the booking cannot move to another showtime now, or None if it can."""
    try:
        exchange_holds.check_exchangeable(reservation, now, _at_counter())
    except DomainError as refusal:
        return refusal
    return None


@bp.get("/<id:reservation_id>")
@login_required
def detail(reservation_id: int):
    """The booking: countdown and payment while held, the ticket once confirmed. The held new
    seats of a booking's change are reviewed with the booking they change."""
    reservation = bookings_query.visible_to(reservation_id, current_user.id,
                                            current_user.is_staff)
    if reservation.exchange_for_id is not None and reservation.status is ReservationStatus.HELD \
            and (reservation.user_id == current_user.id or _at_counter()):
        return redirect(url_for("bookings.exchange_review",
                                reservation_id=reservation.exchange_for_id,
                                hold_id=reservation.id), 303)
    return _detail_page(reservation_id, reservation=reservation)


# The confirm form's fields and their longest acceptable values (idempotency_key: its column).
CONFIRM_FIELDS = {"payment_method": 20, "card_number": 40, "card_expiry": 10, "card_cvc": 10,
                  "idempotency_key": 80}


@bp.post("/<id:reservation_id>/confirm")
@login_required
def confirm(reservation_id: int):
    """Pay (card or at the box office) and confirm the held seats."""
    on_error_render(lambda error: _detail_page(reservation_id, error))
    tickets = ticket_choice.ticket_fields(request.form)
    if tickets and ticket_choice.changes_tickets(
            bookings_query.visible_to(reservation_id, current_user.id, False), tickets):
        # Ticket types changed without "Recalculate" (JavaScript off): set them, charge nothing,
        # and show the new total to pay.
        ticket_choice.choose_ticket_types(reservation_id, current_user.id, tickets, now=utcnow())
        flash("Your ticket types are set and the price is updated: check the new total, then "
              "pay.", "info")
        return redirect(url_for("bookings.detail", reservation_id=reservation_id), 303)
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


def _cancel_confirm_page(reservation_id: int):
    """The confirmation step of cancelling a confirmed booking (a page saying what will
    happen, whose button confirms), or None if the booking is not confirmed."""
    reservation = bookings_query.visible_to(reservation_id, current_user.id,
                                            current_user.is_staff)
    is_owner = reservation.user_id == current_user.id
    if not (is_owner or current_user.is_admin):
        raise Forbidden("Only the patron or an admin can cancel a booking.")
    if reservation.status is not ReservationStatus.CONFIRMED:
        return None
    return render("pages/bookings/cancel_confirm.html", reservation=reservation,
                  is_owner=is_owner,
                  action=url_for("bookings.cancel", reservation_id=reservation_id),
                  back=url_for("bookings.detail", reservation_id=reservation_id))


@bp.get("/<id:reservation_id>/cancel")
@login_required
def cancel_page(reservation_id: int):
    """The cancel's confirmation step as a page of its own, so that Back and reload work on it
    (the ticket's "Cancel booking…" opens it); a booking no longer confirmed: its page."""
    on_error_render(lambda error: _detail_page(reservation_id, error))
    return _cancel_confirm_page(reservation_id) or redirect(
        url_for("bookings.detail", reservation_id=reservation_id), 303)


@bp.post("/<id:reservation_id>/cancel")
@login_required
def cancel(reservation_id: int):
    """Cancel (and refund) a booking: the owner, or an admin. A confirmed booking without
    ``confirm=1`` gets the confirmation step first. Releasing a hold ("Release these seats")
    needs none: nothing was sold."""
    on_error_render(lambda error: _detail_page(reservation_id, error))
    if request.form.get("confirm") != "1" and not wants_json():
        page = _cancel_confirm_page(reservation_id)
        if page is not None:
            return page
    reservation = booking.cancel_booking(reservation_id, current_user.id, now=utcnow(),
                                         by_admin=current_user.is_admin)
    paid = reservation.total_price_cents if reservation.paid_at else 0
    if reservation.confirmed_at is None:  # a hold released: nothing had been booked
        flash("Seats released: they are free for others again.", "info")
    else:
        flash("Booking cancelled." + _given_back(reservation, paid), "info")
    if reservation.user_id != current_user.id:
        return redirect(url_for("bookings.detail", reservation_id=reservation.id), 303)
    return redirect(url_for("bookings.my_bookings"), 303)


def _given_back(reservation, refunded_cents: int) -> str:
    """What a cancellation's message says about the money: cash paid at the box office is given
    back there; a card is refunded ``refunded_cents`` online."""
    if reservation.paid_at_counter:
        return " What was paid at the box office is given back there."
    if not refunded_cents:
        return ""
    return f" {format_money(refunded_cents)} is being refunded to the card it was paid with."


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
        flash("Booking cancelled." + _given_back(reservation, refunded), "info")
    else:
        flash("Seats cancelled: your updated ticket is below and on its way by email."
              + _given_back(reservation, refunded), "success")
    return redirect(url_for("bookings.detail", reservation_id=reservation.id), 303)


@bp.get("/<id:reservation_id>/exchange")
@login_required
def exchange(reservation_id: int):
    """Moving a booking to another showtime of the same film: the showtimes to choose from."""
    on_error_render(lambda error: _detail_page(reservation_id, error))
    booking_ = exchange_holds.booking_to_move(reservation_id, current_user.id,
                                          at_counter=_at_counter())
    now = utcnow()
    exchange_holds.check_exchangeable(booking_, now, _at_counter())
    return render("pages/bookings/exchange.html", reservation=booking_, at_counter=_at_counter(),
                  showtimes=exchange_holds.other_showtimes(booking_, now))


def _exchange_seats_page(reservation_id: int, showtime_id: int, requested=None,
                         find_best: bool = False):
    def page(error=None):
        booking_ = exchange_holds.booking_to_move(reservation_id, current_user.id,
                                                  at_counter=_at_counter())
        now = utcnow()
        exchange_holds.check_exchangeable(booking_, now, _at_counter())
        showtime = exchange_holds.target_showtime(booking_, showtime_id, now)
        count = len(booking_.seats) if find_best else None
        # The map as the patron sees it: the new seats being held for the change are theirs.
        return render("pages/showtimes/detail.html",
                      **seat_selection.showtime_view(showtime.id, booking_.user_id, now,
                                                     requested, error=error, best=count),
                      exchange=booking_)

    return page


@bp.get("/<id:reservation_id>/exchange/<id:showtime_id>")
@login_required
def exchange_seats(reservation_id: int, showtime_id: int):
    """The new showtime's seat map, to choose as many seats as the booking has."""
    on_error_render(lambda error: _detail_page(reservation_id, error))
    requested = request.args.getlist("seat_ids") if "seat_ids" in request.args else None
    # "Find seats" finds as many as the booking has, whatever count the address asks for.
    find_best = bool(request.args.get("best", "").strip())
    return _exchange_seats_page(reservation_id, showtime_id, requested, find_best)()


@bp.post("/<id:reservation_id>/exchange/<id:showtime_id>")
@login_required
def exchange_hold(reservation_id: int, showtime_id: int):
    """Hold the new seats, then review the change (nothing about the booking changes yet)."""
    seat_ids = request.form.getlist("seat_ids")
    on_error_render(lambda error: _exchange_seats_page(reservation_id, showtime_id, seat_ids)(
        error))
    hold = exchange_holds.hold_exchange(reservation_id, current_user.id, showtime_id, seat_ids,
                                        utcnow(), at_counter=_at_counter())
    return redirect(url_for("bookings.exchange_review", reservation_id=reservation_id,
                            hold_id=hold.id), 303)


def _exchange_review_page(reservation_id: int, hold_id: int, error=None):
    plan = exchanges.plan_exchange(reservation_id, hold_id, current_user.id, utcnow(),
                                   at_counter=_at_counter())
    return render("pages/bookings/exchange_review.html", plan=plan, reservation=plan.booking,
                  hold=plan.hold, error=error, form=request.form,
                  for_patron=plan.booking.user_id != current_user.id,
                  walk_in=box_office.is_walk_in(plan.booking.user))


@bp.get("/<id:reservation_id>/exchange/hold/<id:hold_id>")
@login_required
def exchange_review(reservation_id: int, hold_id: int):
    """Old and new seats side by side and the difference, before anything is paid. Once the
    change is made (the page reloaded, or gone back to), the booking's page."""
    on_error_render(lambda error: _detail_page(reservation_id, error))
    if exchanges.finished(reservation_id, hold_id, current_user.id, at_counter=_at_counter()):
        flash("This change has been made already: the booking is on its new showtime.", "info")
        return redirect(url_for("bookings.detail", reservation_id=reservation_id), 303)
    return _exchange_review_page(reservation_id, hold_id)


@bp.get("/<id:reservation_id>/exchange/<id:hold_id>/confirm")
@login_required
def exchange_confirm_page(reservation_id: int, hold_id: int):
    """The confirm's address opened again (after a refused card the page is its answer): the
    review."""
    return redirect(url_for("bookings.exchange_review", reservation_id=reservation_id,
                            hold_id=hold_id), 303)


@bp.post("/<id:reservation_id>/exchange/<id:hold_id>/confirm")
@login_required
def exchange_confirm(reservation_id: int, hold_id: int):
    """Pay or refund the difference and move the booking to the new seats."""
    def page(error):
        try:
            return _exchange_review_page(reservation_id, hold_id, error)
        except DomainError:  # the hold is gone: the booking's page says what happened
            return _detail_page(reservation_id, error)

    on_error_render(page)
    done = exchanges.complete_exchange(
        reservation_id, hold_id, current_user.id, utcnow(),
        card_number=request.form.get("card_number"), card_expiry=request.form.get("card_expiry"),
        card_cvc=request.form.get("card_cvc"), at_counter=_at_counter())
    moved, difference = done.booking, done.difference
    if not done.moved_now:  # sent again (a second tab, a resent form): nothing more happened
        flash("This change had been made already: nothing more was charged, refunded or due.",
              "info")
        return redirect(url_for("bookings.detail", reservation_id=moved.id), 303)
    if moved.user_id != current_user.id:
        flash(f"Booking {moved.code} has moved to the new showtime." + _difference_at_counter(
            moved, difference), "success")
        return redirect(url_for("bookings.detail", reservation_id=moved.id), 303)
    money = ""
    if difference and moved.payment_method.value == "CARD":
        money = (f" We charged the difference of {format_money(difference)} to your card."
                 if difference > 0 else
                 f" {format_money(-difference)} is being refunded to your card.")
    flash("Your booking has moved: your new ticket is below and on its way by email." + money,
          "success")
    return redirect(url_for("bookings.detail", reservation_id=moved.id), 303)


def _difference_at_counter(moved, difference: int) -> str:
    """What staff do with the difference of a change they made for a patron."""
    if not difference:
        return " The price is the same."
    amount = format_money(abs(difference))
    if moved.paid_at_counter:
        return (f" Take {amount} in cash from the customer." if difference > 0 else
                f" Give {amount} back to the customer in cash.")
    if moved.payment_method.value == "CARD":
        return (f" {amount} was charged to the customer's card." if difference > 0 else
                f" {amount} is being refunded to the customer's card.")
    return f" The new total, {format_money(moved.total_price_cents)}, is paid at the box office."


@bp.post("/<id:reservation_id>/exchange/<id:hold_id>/release")
@login_required
def exchange_release(reservation_id: int, hold_id: int):
    """Give up the change: the new seats are freed, the booking stays as it is."""
    on_error_render(lambda error: _detail_page(reservation_id, error))
    exchange_holds.release(reservation_id, hold_id, current_user.id, utcnow(),
                           at_counter=_at_counter())
    flash("Your booking is unchanged." if not _at_counter() else "The booking is unchanged.",
          "info")
    return redirect(url_for("bookings.detail", reservation_id=reservation_id), 303)


@bp.get("/")
@login_required
def index():
    """``/bookings`` (a typed or shortened address) is "My bookings"."""
    return redirect(url_for("bookings.my_bookings"), 301)


@bp.get("/my")
@login_required
def my_bookings():
    """The signed-in patron's bookings: upcoming (soonest first), past, then cancelled ones
    (latest showtime first). Holds that never became a booking (expired, replaced) are left
    out: they are not bookings."""
    upcoming, past = bookings_query.history_for(current_user.id)
    cancelled = [r for r in upcoming + past if r.status is ReservationStatus.CANCELLED]
    cancelled.sort(key=lambda r: r.showtime.starts_at, reverse=True)
    return render("pages/bookings/my.html",
                  upcoming=[r for r in upcoming if r.status is not ReservationStatus.CANCELLED],
                  past=[r for r in past if r.status is not ReservationStatus.CANCELLED],
                  cancelled=[r for r in cancelled if bookings_query.was_a_booking(r)],
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
