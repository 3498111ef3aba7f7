"""Names and email addresses: control characters refused at every entry point, internationalised
addresses refused with a message, and emails that still go out for rows stored before."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from cinema.accounts import contact_details
from cinema.extensions import db
from cinema.messaging import mail_delivery, reminders
from cinema.models import OutboxEmail, Reservation, ReservationStatus, User, UserRole
from tests.booking_helpers import APPROVE, JSON, hold, now, patron_client, setup_showtime
from tests.factories import PASSWORD, gen_reservation, gen_user, login

LEGACY_NAME = "Pat\r\nBcc: evil@attacker.example\r\n\x00Doe"
BAD_NAMES = ["Pat\r\nDoe", "Pat\nDoe", "Pat\x00Doe", "Pat\tDoe", "Pat\u202eeoD", "x" * 121, ""]
BAD_EMAILS = ["user@exämple.com", "jörg@example.com", "a\r\n@example.com", "a\x00@b.com",
              "no-at-sign", "x" * 250 + "@example.com"]


def test_a_legacy_name_with_line_breaks_still_confirms_cancels_and_gets_reminders(
        app, app_ctx, smtp_app, smtp):
    """A user row written before the checks, CR/LF and NUL in its name: paying by card,
    cancelling (patron and admin) and the reminder run all work, and every email goes out with
    the name on one line (no header injected)."""
    legacy = gen_user(full_name=LEGACY_NAME.replace("\x00", ""))  # PostgreSQL refuses NUL
    legacy.full_name = LEGACY_NAME.replace("\x00", "") + "\x7f"
    db.session.commit()
    showtime, seats = setup_showtime(starts_in=timedelta(days=2))
    client = app.test_client()
    assert login(client, legacy.email).status_code == 303

    first = hold(client, showtime, seats[:1]).headers["Location"]
    assert client.post(f"{first}/confirm", data=APPROVE).status_code == 303
    assert client.post(f"{first}/cancel", data={"confirm": "1"}).status_code == 303
    second = hold(client, showtime, seats[1:2]).headers["Location"]
    assert client.post(f"{second}/confirm", data=APPROVE).status_code == 303
    admin = app.test_client()
    assert login(admin, gen_user(role=UserRole.ADMIN).email).status_code == 303
    second_id = int(second.rsplit("/", 1)[1])
    assert admin.post(f"/admin/bookings/{second_id}/cancel", data={"confirm": "1"}).status_code == 303

    # The reminder run, with the legacy patron and another one in its window.
    soon = setup_showtime(starts_in=timedelta(hours=2))
    for user in (legacy, gen_user()):
        booking = gen_reservation(user, soon[0], [soon[1][0 if user is legacy else 1]])
        booking.confirmed_at = now() - timedelta(days=1)
    db.session.commit()
    assert reminders.queue_reminders(now()) == 2

    with smtp_app.app_context():
        assert mail_delivery.deliver_due(now() + timedelta(minutes=1)) == 6
    kinds = sorted(row.kind for row in db.session.scalars(sa.select(OutboxEmail)))
    assert kinds == ["booking_cancelled", "booking_cancelled", "booking_confirmed",
                     "booking_confirmed", "reminder", "reminder"]
    to_legacy = [message for rcpts, message in smtp.received if rcpts == [legacy.email]]
    assert len(to_legacy) == 5
    for message in to_legacy:
        assert message["Bcc"] is None
        assert str(message["To"]) == f'"Pat Bcc: evil@attacker.example Doe" <{legacy.email}>'
    assert [rcpts for rcpts, _ in smtp.received].count([legacy.email]) == 5


@pytest.mark.parametrize("name", BAD_NAMES)
def test_names_with_control_characters_are_refused_at_signup_and_on_the_profile(
        app, app_ctx, name):
    client = app.test_client()
    response = client.post("/auth/signup", data={
        "email": "new@example.com", "full_name": name, "password": PASSWORD,
        "password_confirm": PASSWORD})
    assert response.status_code == (400 if "\x00" in name else 422)  # NUL: refused first
    assert db.session.scalar(sa.select(User).where(User.email == "new@example.com")) is None

    user, patron = patron_client(app)
    response = patron.post("/account/profile", headers=JSON,
                           data={"full_name": name, "email": user.email})
    assert response.status_code == (400 if "\x00" in name else 422)
    assert "\x00" in name or "full_name" in response.get_json()["errors"]


@pytest.mark.parametrize("address", BAD_EMAILS)
def test_internationalised_and_broken_addresses_are_refused_with_a_message(
        app, app_ctx, address):
    client = app.test_client()
    response = client.post("/auth/signup", headers=JSON, data={
        "email": address, "full_name": "Pat", "password": PASSWORD,
        "password_confirm": PASSWORD})
    assert response.status_code == (400 if "\x00" in address else 422)
    assert "\x00" in address or "email" in response.get_json()["errors"]
    if not address.isascii() and "\x00" not in address and "\r" not in address:
        page = client.post("/auth/signup", data={
            "email": address, "full_name": "Pat", "password": PASSWORD,
            "password_confirm": PASSWORD}).get_data(as_text=True)
        assert "Internationalised email addresses are not supported" in page


def test_the_box_office_checks_the_customer_name_and_email(app, app_ctx):
    showtime, seats = setup_showtime()
    _, staff = patron_client(app, role=UserRole.STAFF)
    sale = {"showtime_id": showtime.id, "seat_ids": [seats[0].id]}
    for fields, field in (({"customer_email": "pat@example.com", "customer_name": "A\r\nB"},
                           "customer_name"),
                          ({"customer_email": "pat@exämple.com"}, "customer_email"),
                          ({"customer_email": "pat@example.com", "customer_name": "x" * 500},
                           "customer_name"),
                          # A walk-in sale has no account of its own to keep a name on.
                          ({"customer_name": "Pat Doe"}, "customer_name")):
        response = staff.post("/staff/box-office/sell", headers=JSON, data={**sale, **fields})
        assert response.status_code == 422, fields
        assert field in response.get_json()["errors"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation).where(
        Reservation.status != ReservationStatus.CANCELLED)) == 0
    response = staff.post("/staff/box-office/sell", data={
        **sale, "customer_email": " Pat@Example.com ", "customer_name": "  Pat   Doe "})
    assert response.status_code == 303
    patron = db.session.scalar(sa.select(User).where(User.email == "pat@example.com"))
    assert patron.full_name == "Pat Doe"


def test_the_service_checks_apply_whatever_the_entry_point():
    assert contact_details.clean_name("  Zoë  \u200fO'Neil 🎬 ") == "Zoë \u200fO'Neil 🎬"
    assert contact_details.clean_email(" Pat@Example.COM ") == "pat@example.com"
    for name in BAD_NAMES:
        with pytest.raises(contact_details.ValidationFailed):
            contact_details.clean_name(name)
    for address in BAD_EMAILS:
        with pytest.raises(contact_details.ValidationFailed):
            contact_details.clean_email(address)
