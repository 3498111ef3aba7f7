"""The waitlist of a sold-out showtime on the real services: joining, strict first-come order
among parties that fit, a cancellation becoming an offer (a hold plus an email with the pay
link), an offer expiring by the clock and passing to the next party, two concurrent frees,
leaving, and the pages."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from cinema.booking import booking, booking_changes, expiry
from cinema.exceptions import AlreadyWaiting, SeatsStillFree
from cinema.extensions import db
from cinema.models import (
    OutboxEmail,
    Reservation,
    ReservationStatus,
    ReservedSeat,
    UserRole,
    WaitlistEntry,
    WaitlistStatus,
    utcnow,
)
from cinema.programme import venues
from cinema.waitlist import line, offers
from tests.factories import (
    gen_auditorium,
    gen_movie,
    gen_reservation,
    gen_showtime,
    gen_user,
    login,
    seats_of,
)


@pytest.fixture
def sold_out(app_ctx):
    """A 1 x 4 screen: seats 1-2 sold to one patron, 3 and 4 to two others."""
    screen = gen_auditorium(rows=1, seats_per_row=4)
    showtime = gen_showtime(gen_movie("Quiet Hours"), screen)
    seats = seats_of(screen)
    admin = gen_user(role=UserRole.ADMIN)
    bookings = [gen_reservation(gen_user(), showtime, group)
                for group in (seats[:2], seats[2:3], seats[3:4])]
    return showtime, seats, bookings, admin


def _entry(entry_id):
    db.session.expire_all()
    return db.session.get(WaitlistEntry, entry_id)


def _cancel(reservation, admin, now):
    booking.cancel_booking(reservation.id, admin.id, now, by_admin=True)


def _offer_emails():
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxEmail).where(
        OutboxEmail.kind == "waitlist_offer").order_by(OutboxEmail.id)))


def test_joining_needs_a_full_showtime_and_one_entry_per_patron(sold_out):
    showtime, _, bookings, admin = sold_out
    now = utcnow()
    patron = gen_user()
    entry = line.join(patron.id, showtime.id, 2, now)
    assert line.position(entry) == 1
    with pytest.raises(AlreadyWaiting):
        line.join(patron.id, showtime.id, 1, now)
    _cancel(bookings[1], admin, now)  # one seat free: the first in line (2 people) waits on
    assert _entry(entry.id).status is WaitlistStatus.WAITING
    with pytest.raises(SeatsStillFree):
        line.join(gen_user().id, showtime.id, 1, now)
    assert line.join(gen_user().id, showtime.id, 2, now).party_size == 2  # 1 free < 2 wanted


def test_first_come_among_parties_that_fit_and_an_offer_is_a_hold_with_an_email(sold_out):
    showtime, seats, bookings, admin = sold_out
    now = utcnow()
    pair, single, later = gen_user(), gen_user(), gen_user()
    first = line.join(pair.id, showtime.id, 2, now)
    second = line.join(single.id, showtime.id, 1, now + timedelta(seconds=1))
    third = line.join(later.id, showtime.id, 1, now + timedelta(seconds=2))

    _cancel(bookings[1], admin, now + timedelta(minutes=1))  # seat 3 frees: the pair cannot fit
    assert _entry(first.id).status is WaitlistStatus.WAITING
    offered = _entry(second.id)
    assert offered.status is WaitlistStatus.OFFERED
    hold = db.session.get(Reservation, offered.reservation_id)
    assert (hold.user_id, hold.status) == (single.id, ReservationStatus.HELD)
    assert [line_.seat_id for line_ in hold.seats] == [seats[2].id]
    assert hold.hold_expires_at == now + timedelta(minutes=1, seconds=1800)
    assert _entry(third.id).status is WaitlistStatus.WAITING
    assert line.position(_entry(third.id)) == 2

    [mail] = _offer_emails()
    assert mail.to_address == single.email and mail.reservation_id == hold.id
    assert f"/bookings/{hold.id}".encode() in mail.message

    _cancel(bookings[0], admin, now + timedelta(minutes=2))  # seats 1-2: the pair now fits
    paired = _entry(first.id)
    assert paired.status is WaitlistStatus.OFFERED
    assert sorted(s.seat_id for s in db.session.get(Reservation, paired.reservation_id).seats) \
        == [seats[0].id, seats[1].id]
    assert _entry(third.id).status is WaitlistStatus.WAITING


def test_an_offer_not_taken_expires_by_the_clock_and_passes_on(sold_out):
    showtime, seats, bookings, admin = sold_out
    now = utcnow()
    slow, next_ = gen_user(), gen_user()
    first = line.join(slow.id, showtime.id, 1, now)
    second = line.join(next_.id, showtime.id, 1, now + timedelta(seconds=1))
    _cancel(bookings[2], admin, now)
    assert _entry(first.id).status is WaitlistStatus.OFFERED

    later = now + timedelta(seconds=1801)
    # The seat is free for everyone by the clock alone; the periodic task passes the offer on.
    assert offers.process_waitlists(later) == 1
    assert _entry(first.id).status is WaitlistStatus.EXPIRED
    passed = _entry(second.id)
    assert passed.status is WaitlistStatus.OFFERED
    assert [s.seat_id for s in db.session.get(Reservation, passed.reservation_id).seats] == \
        [seats[3].id]


def test_a_paid_offer_is_booked(sold_out):
    showtime, _, bookings, admin = sold_out
    now = utcnow()
    patron = gen_user()
    entry = line.join(patron.id, showtime.id, 1, now)
    _cancel(bookings[2], admin, now)
    hold = db.session.get(Reservation, _entry(entry.id).reservation_id)
    assert [item.entry.id for item in line.patron_entries(patron.id)] == [entry.id]
    hold.status, hold.confirmed_at = ReservationStatus.CONFIRMED, now
    db.session.commit()
    # Paid: "My waitlist" no longer says "Seats held for you: pay now", before the sweep too.
    assert line.patron_entries(patron.id) == []
    offers.settle_offers(showtime.id, now + timedelta(hours=1))
    assert _entry(entry.id).status is WaitlistStatus.BOOKED


def test_two_concurrent_frees_offer_each_seat_once_in_order(sold_out, app):
    showtime, _, bookings, admin = sold_out
    now = utcnow()
    entries = [line.join(gen_user().id, showtime.id, 1, now + timedelta(seconds=n)).id
               for n in range(3)]
    barrier = threading.Barrier(2)
    errors = []

    def cancel(reservation_id):
        with app.app_context():
            try:
                barrier.wait()
                booking.cancel_booking(reservation_id, admin.id, now, by_admin=True)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=cancel, args=(bookings[i].id,)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    offers.process_waitlists(now)  # whatever a lost race left for the periodic task
    statuses = [_entry(entry_id).status for entry_id in entries]
    assert statuses == [WaitlistStatus.OFFERED, WaitlistStatus.OFFERED, WaitlistStatus.WAITING]
    held = db.session.execute(
        sa.select(ReservedSeat.seat_id, sa.func.count())
        .where(ReservedSeat.showtime_id == showtime.id, ReservedSeat.is_active)
        .group_by(ReservedSeat.seat_id)).all()
    assert all(count == 1 for _, count in held) and len(held) == 4
    assert len(_offer_emails()) == 2


def test_leaving_an_offer_gives_the_seats_to_the_next_party(sold_out):
    showtime, _, bookings, admin = sold_out
    now = utcnow()
    first_patron = gen_user()
    first = line.join(first_patron.id, showtime.id, 1, now)
    second = line.join(gen_user().id, showtime.id, 1, now + timedelta(seconds=1))
    _cancel(bookings[2], admin, now)
    line.leave(first_patron.id, first.id, now)
    assert _entry(first.id).status is WaitlistStatus.LEFT
    assert _entry(second.id).status is WaitlistStatus.OFFERED


def test_an_offer_lasts_waitlist_offer_seconds(sold_out, app):
    showtime, _, bookings, admin = sold_out
    app.config["WAITLIST_OFFER_SECONDS"] = 900
    now = utcnow()
    entry = line.join(gen_user().id, showtime.id, 1, now)
    _cancel(bookings[2], admin, now)
    hold = db.session.get(Reservation, _entry(entry.id).reservation_id)
    assert hold.status is ReservationStatus.HELD
    assert hold.hold_expires_at == now + timedelta(seconds=900)


def test_a_patrons_hold_expiring_goes_to_the_line_when_the_sweep_tidies_it(app_ctx):
    screen = gen_auditorium(rows=1, seats_per_row=2)
    showtime = gen_showtime(gen_movie("Sweep"), screen)
    seats = seats_of(screen)
    now = utcnow()
    gen_reservation(gen_user(), showtime, seats[:1])
    hold = booking.hold_seats(gen_user().id, showtime.id, [seats[1].id], now)
    entry = line.join(gen_user().id, showtime.id, 1, now)
    expiry.release_expired_holds(hold.hold_expires_at + timedelta(seconds=1))
    offered = _entry(entry.id)
    assert offered.status is WaitlistStatus.OFFERED
    assert [s.seat_id for s in db.session.get(Reservation, offered.reservation_id).seats] == \
        [seats[1].id]


def test_a_seat_unblocked_by_an_admin_is_offered_at_once(app_ctx):
    screen = gen_auditorium(rows=1, seats_per_row=3)
    showtime = gen_showtime(gen_movie("Blocked"), screen)
    seats = seats_of(screen)
    admin = gen_user(role=UserRole.ADMIN)
    now = utcnow()
    venues.change_seats(screen.id, [seats[2].id], "block", admin.id, now)
    gen_reservation(gen_user(), showtime, seats[:2])
    entry = line.join(gen_user().id, showtime.id, 1, now)
    venues.change_seats(screen.id, [seats[2].id], "unblock", admin.id, now)
    offered = _entry(entry.id)
    assert offered.status is WaitlistStatus.OFFERED
    assert len(_offer_emails()) == 1


def test_an_offer_gives_the_best_seats_together(app_ctx):
    screen = gen_auditorium(rows=1, seats_per_row=6)
    showtime = gen_showtime(gen_movie("Together"), screen)
    seats = seats_of(screen)
    admin = gen_user(role=UserRole.ADMIN)
    now = utcnow()
    # Seats 1, 2-3, 4, 5-6 sold, then seat 1 freed: one free seat, so a pair may join. Then
    # 5-6 free up too: the pair gets 5-6 together, not the first free seats (1 and 5).
    bookings = [gen_reservation(gen_user(), showtime, group)
                for group in (seats[:1], seats[1:3], seats[3:4], seats[4:6])]
    _cancel(bookings[0], admin, now)
    entry = line.join(gen_user().id, showtime.id, 2, now)
    _cancel(bookings[3], admin, now)
    offered = _entry(entry.id)
    assert sorted(s.seat_id for s in db.session.get(Reservation, offered.reservation_id).seats) \
        == [seats[4].id, seats[5].id]


def test_seats_cancelled_from_a_booking_go_to_the_line(sold_out):
    showtime, seats, bookings, admin = sold_out
    now = utcnow()
    entry = line.join(gen_user().id, showtime.id, 1, now)
    booking_changes.cancel_seats(bookings[0].id, [seats[1].id], admin.id, now, by_admin=True)
    offered = _entry(entry.id)
    assert offered.status is WaitlistStatus.OFFERED
    assert [s.seat_id for s in db.session.get(Reservation, offered.reservation_id).seats] == \
        [seats[1].id]


def test_a_couple_seat_is_never_offered_by_halves(app_ctx):
    screen = gen_auditorium(rows=1, seats_per_row=4, couple_rows=["A"])
    showtime = gen_showtime(gen_movie("Two by Two"), screen)
    seats = seats_of(screen)
    assert seats[0].partner_seat_id == seats[1].id  # the generator pairs A1-A2, A3-A4
    admin = gen_user(role=UserRole.ADMIN)
    now = utcnow()
    gen_reservation(gen_user(), showtime, seats[:2])
    pair = gen_reservation(gen_user(), showtime, seats[2:])
    single = line.join(gen_user().id, showtime.id, 1, now)
    couple = line.join(gen_user().id, showtime.id, 2, now + timedelta(seconds=1))
    _cancel(pair, admin, now)
    # The pair cannot seat one person alone: it goes to the first party it can seat.
    assert _entry(single.id).status is WaitlistStatus.WAITING
    offered = _entry(couple.id)
    assert offered.status is WaitlistStatus.OFFERED
    assert sorted(s.seat_id for s in db.session.get(Reservation, offered.reservation_id).seats) \
        == [seats[2].id, seats[3].id]


def test_the_pages(sold_out, app):
    showtime, _, _, admin = sold_out
    patron = gen_user()
    client = app.test_client()
    login(client, patron.email)
    page = client.get(f"/showtimes/{showtime.id}").get_data(as_text=True)
    assert "Sold out: join the waitlist" in page
    for bad in ("0", "11", "two"):
        assert client.post(f"/showtimes/{showtime.id}/waitlist",
                           data={"party_size": bad}).status_code == 422
    joined = client.post(f"/showtimes/{showtime.id}/waitlist", data={"party_size": "2"})
    assert joined.status_code == 303 and joined.headers["Location"] == "/account/waitlist"
    listing = client.get("/account/waitlist").get_data(as_text=True)
    assert "Number 1 in line" in listing and "Quiet Hours" in listing
    assert client.post(f"/showtimes/{showtime.id}/waitlist",
                       data={"party_size": "1"}).status_code == 409
    page = client.get(f"/showtimes/{showtime.id}").get_data(as_text=True)
    assert "You are on the waitlist" in page and "Join the waitlist" not in page

    htmx = {"HX-Request": "true"}
    other = app.test_client()
    login(other, gen_user().email)
    refused = other.post(f"/showtimes/{showtime.id}/waitlist", data={"party_size": "0"},
                         headers=htmx)
    assert refused.status_code == 422 and "<html" not in refused.get_data(as_text=True)
    assert "Join the waitlist" in refused.get_data(as_text=True)  # the form again, with why
    swapped = other.post(f"/showtimes/{showtime.id}/waitlist", data={"party_size": "1"},
                         headers=htmx).get_data(as_text=True)
    assert "<html" not in swapped and "number 2 in line" in swapped
    assert other.post("/showtimes/999999/waitlist", data={"party_size": "1"},
                      headers=htmx).status_code == 404

    admin_client = app.test_client()
    login(admin_client, admin.email)
    detail = admin_client.get(f"/admin/showtimes/{showtime.id}").get_data(as_text=True)
    assert "2 parties waiting (3 people)" in detail
    assert patron.email in detail and "Waiting" in detail  # the line itself, in order

    entry = line.own_entry(patron.id, showtime.id)
    assert client.post(f"/account/waitlist/{entry.id}/leave").status_code == 303
    assert "You are not on any waitlist" in client.get("/account/waitlist").get_data(
        as_text=True)
    assert client.post(f"/account/waitlist/{entry.id}/leave").status_code == 404
