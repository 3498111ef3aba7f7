"""Check-in at the door: admitting by typed code or signed QR code, and every refusal."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from itsdangerous import Signer

from cinema import exceptions
from cinema.booking import checkin, tickets
from cinema.extensions import db
from cinema.models import AuditLog, CancelReason, ReservationStatus, UserRole, utcnow
from tests.factories import gen_reservation, gen_showtime, gen_user, login, seats_of

JSON = {"Accept": "application/json"}
# 19:30 in London on a summer day; the showtime is the same evening.
NOW = datetime(2030, 6, 1, 18, 30, tzinfo=timezone.utc)


def booking(status=ReservationStatus.CONFIRMED, starts_at=NOW + timedelta(hours=1), **fields):
    showtime = gen_showtime(starts_at=starts_at)
    patron = gen_user(full_name="Petra Patron")
    return gen_reservation(patron, showtime, seats_of(showtime.auditorium)[:2], status=status,
                           **fields)


@pytest.fixture
def staff(app_ctx):
    return gen_user(role=UserRole.STAFF, full_name="Dora Door")


def test_a_typed_code_admits_the_booking_once_and_is_audited(staff):
    reservation = booking()
    typed = " " + reservation.code[:5].lower() + "-" + reservation.code[5:] + " "

    found = checkin.lookup(typed, NOW)
    assert found.reservation.id == reservation.id and found.admissible

    admitted = checkin.admit(typed, staff.id, NOW)
    assert admitted.status is ReservationStatus.COMPLETED
    assert admitted.admitted_by == staff.id and admitted.admitted_at == NOW
    [entry] = db.session.scalars(sa.select(AuditLog)).all()
    assert (entry.action, entry.actor_id, entry.entity_id) == \
        ("booking.admit", staff.id, reservation.id)
    assert entry.after["status"] == "COMPLETED"


def test_a_scanned_qr_code_admits_the_booking(staff):
    reservation = booking()
    assert checkin.admit(tickets.sign_code(reservation.code), staff.id, NOW).status is \
        ReservationStatus.COMPLETED


def test_an_unknown_code_is_refused(staff):
    booking()
    with pytest.raises(exceptions.CodeUnknown) as refused:
        checkin.admit("ABCDEFGHJK", staff.id, NOW)
    assert refused.value.error_code == "CODE_UNKNOWN" and refused.value.status_code == 404
    with pytest.raises(exceptions.CodeUnknown):
        checkin.lookup("not a code!", NOW)


@pytest.mark.parametrize("forge", ["altered signature", "other secret", "altered code"])
def test_a_forged_or_altered_qr_code_is_refused(staff, forge):
    reservation = booking()
    other = booking()
    token = tickets.sign_code(reservation.code)
    code, _, signature = token.partition(".")
    forged = {
        "altered signature": f"{code}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}",
        "other secret": Signer("not-our-secret", salt="ticket").sign(code).decode(),
        "altered code": f"{other.code}.{signature}",
    }[forge]
    with pytest.raises(exceptions.CodeForged) as refused:
        checkin.admit(forged, staff.id, NOW)
    assert refused.value.error_code == "CODE_FORGED"
    db.session.expire_all()
    assert reservation.status is ReservationStatus.CONFIRMED
    assert other.status is ReservationStatus.CONFIRMED


def test_a_cancelled_booking_is_refused(staff):
    reservation = booking(status=ReservationStatus.CANCELLED,
                          cancel_reason=CancelReason.PATRON, cancelled_at=NOW - timedelta(days=1))
    with pytest.raises(exceptions.BookingCancelled) as refused:
        checkin.admit(reservation.code, staff.id, NOW)
    assert refused.value.error_code == "BOOKING_CANCELLED"
    assert "cancelled (patron)" in refused.value.detail


def test_a_held_booking_is_refused(staff):
    reservation = booking(status=ReservationStatus.HELD)
    with pytest.raises(exceptions.BookingHeld) as refused:
        checkin.admit(reservation.code, staff.id, NOW)
    assert refused.value.error_code == "BOOKING_HELD"


def test_an_admitted_booking_is_refused_saying_when_and_by_whom(staff):
    reservation = booking()
    checkin.admit(reservation.code, staff.id, NOW)
    other_staff = gen_user(role=UserRole.STAFF)
    with pytest.raises(exceptions.AlreadyAdmitted) as refused:
        checkin.admit(reservation.code, other_staff.id, NOW + timedelta(minutes=5))
    assert refused.value.error_code == "ALREADY_ADMITTED"
    assert "19:30" in refused.value.detail and "Dora Door" in refused.value.detail
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 1


def test_a_booking_for_another_day_is_refused(staff):
    tomorrow = booking(starts_at=NOW + timedelta(days=1))
    yesterday = booking(starts_at=NOW - timedelta(days=1))
    for reservation in (tomorrow, yesterday):
        with pytest.raises(exceptions.WrongDay) as refused:
            checkin.admit(reservation.code, staff.id, NOW)
        assert refused.value.error_code == "WRONG_DAY"
        assert "not today" in refused.value.detail


def test_today_means_the_cinemas_local_day(staff):
    # 23:30 UTC on 31 May is 00:30 on 1 June in London: the same local day as NOW.
    reservation = booking(starts_at=datetime(2030, 5, 31, 23, 30, tzinfo=timezone.utc))
    assert checkin.lookup(reservation.code, NOW).admissible


# --- the page -------------------------------------------------------------------------------

def today_booking(**fields):
    return booking(starts_at=utcnow(), **fields)


def test_the_page_shows_the_booking_and_admits_it_in_one_click(app, client, staff):
    reservation = today_booking()
    login(client, staff.email)
    page = client.get(f"/staff/checkin?code={reservation.code}").get_data(as_text=True)
    assert reservation.showtime.movie.title in page
    assert ", ".join(line.seat.label for line in reservation.seats) in page
    assert "Confirmed" in page and "Admit 2 people" in page

    response = client.post("/staff/checkin", data={"code": reservation.code})
    assert response.status_code == 303
    assert "Admitted" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert reservation.status is ReservationStatus.COMPLETED


def test_the_page_gives_the_reason_for_a_refusal(app, client, staff):
    reservation = today_booking(status=ReservationStatus.HELD)
    login(client, staff.email)
    page = client.get(f"/staff/checkin?code={reservation.code}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-error-code="BOOKING_HELD"' in text and "Admit" not in text.split("<main")[1]

    response = client.post("/staff/checkin", data={"code": reservation.code})
    assert response.status_code == 409
    assert 'data-error-code="BOOKING_HELD"' in response.get_data(as_text=True)

    unknown = client.get("/staff/checkin?code=ZZZZZZZZZZ")
    assert unknown.status_code == 404 and b"CODE_UNKNOWN" in unknown.data
    forged = client.get("/staff/checkin?code=" + reservation.code + ".forgedsignature")
    assert forged.status_code == 422 and b"CODE_FORGED" in forged.data


def test_refusals_answer_json_with_their_error_code(app, client, staff):
    reservation = today_booking()
    login(client, staff.email)
    assert client.post("/staff/checkin", data={"code": reservation.code},
                       headers=JSON).status_code == 303
    response = client.post("/staff/checkin", data={"code": reservation.code}, headers=JSON)
    assert response.status_code == 409
    assert response.get_json()["error_code"] == "ALREADY_ADMITTED"


def test_patrons_cannot_use_the_checkin(app_ctx, client):
    patron = gen_user()
    login(client, patron.email)
    assert client.get("/staff/checkin").status_code == 403
