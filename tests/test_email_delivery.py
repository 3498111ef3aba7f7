"""Email that is never lost: real SMTP (aiosmtpd), a real RQ worker, Redis and SMTP outages,
and two workers racing for the same rows."""
from __future__ import annotations

import email
import threading
from datetime import timedelta
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from cinema import jobs, tasks
from cinema.booking import tickets
from cinema.extensions import db
from cinema.messaging import mail_delivery, notifications
from cinema.models import AuditLog, OutboxEmail, OutboxStatus, PaymentMethod, UserRole, utcnow
from tests.factories import gen_user, login
from tests.mail_factories import confirmed_booking, dispose, free_port, mail_app, run_worker


def rows():
    db.session.expire_all()
    return db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)).all()


def parts_by_type(message):
    return {part.get_content_type(): part for part in message.walk()
            if not part.is_multipart()}


def test_confirmation_arrives_with_text_html_qr_and_ics(smtp_app, smtp):
    with smtp_app.app_context():
        reservation, row = confirmed_booking(seat_count=2)
        assert row.status is OutboxStatus.PENDING and row.reservation_id == reservation.id

        assert mail_delivery.deliver_due(utcnow()) == 1

        [message] = smtp.messages
        assert message["To"] == f"Petra Patron <{reservation.user.email}>"
        assert reservation.showtime.movie.title in message["Subject"]
        parts = parts_by_type(message)
        assert set(parts) == {"text/plain", "text/html", "image/png", "text/calendar"}
        text = parts["text/plain"].get_content()
        html = parts["text/html"].get_content()
        seats = ", ".join(line.seat.label for line in reservation.seats)
        for body in (text, html):
            assert reservation.code in body
            assert reservation.showtime.movie.title in body
            assert reservation.showtime.auditorium.name in body
            assert seats in body
            assert "£20.00" in body  # two seats at £10.00: the total
            assert f"/bookings/{reservation.id}" in body
        assert "£10.00" in text  # the line items
        local_start = reservation.showtime.starts_at.astimezone(
            ZoneInfo("Europe/London")).strftime("%H:%M")
        assert local_start in text and local_start in html

        qr = parts["image/png"]
        assert qr["Content-ID"] == "<ticket-qr>" and 'src="cid:ticket-qr"' in html
        assert qr.get_content() == tickets.qr_png(tickets.sign_code(reservation.code))

        ics = parts["text/calendar"]
        assert ics.get_filename().endswith(f"{reservation.code}.ics")
        calendar = ics.get_content()
        calendar = calendar.decode() if isinstance(calendar, bytes) else calendar
        assert "BEGIN:VEVENT" in calendar and f"UID:booking-{reservation.code}@" in calendar
        assert f"DTSTART:{reservation.showtime.starts_at:%Y%m%dT%H%M%SZ}" in calendar
        assert f"SUMMARY:{reservation.showtime.movie.title}" in calendar

        [sent] = rows()
        assert sent.status is OutboxStatus.SENT and sent.attempts == 1
        assert sent.sent_at is not None and sent.locked_until is None
        assert mail_delivery.deliver_due(utcnow()) == 0  # nothing is sent twice
        assert len(smtp.messages) == 1


def test_smtp_down_keeps_the_message_pending_until_the_server_is_back(smtp_app, smtp):
    with smtp_app.app_context():
        reservation, _ = confirmed_booking()
        smtp.stop()
        now = utcnow()

        assert mail_delivery.deliver_due(now) == 0
        [row] = rows()
        assert row.status is OutboxStatus.PENDING
        assert row.attempts == 1
        assert "refused" in row.last_error.lower()
        assert row.next_attempt_at > now and row.sent_at is None

        smtp.start()  # the same port again
        assert mail_delivery.deliver_due(now) == 0  # backing off: not due yet
        assert mail_delivery.deliver_due(now + mail_delivery.backoff(1)) == 1
        [message] = smtp.messages
        assert reservation.code in message["Subject"] or reservation.code in \
            parts_by_type(message)["text/plain"].get_content()
        [row] = rows()
        assert row.status is OutboxStatus.SENT and row.attempts == 2


def test_after_the_last_attempt_the_email_fails_and_an_admin_can_retry_it(
        app, database_url, tmp_path, client):
    closed_port = free_port()  # nothing listens here
    broken = mail_app(database_url, str(tmp_path), smtp_port=closed_port, MAIL_MAX_ATTEMPTS=3)
    try:
        with broken.app_context():
            confirmed_booking()
            now = utcnow()
            for attempt in range(3):
                mail_delivery.deliver_due(now)
                now += mail_delivery.backoff(attempt + 1)
            [row] = rows()
            assert row.status is OutboxStatus.FAILED and row.attempts == 3
            assert mail_delivery.deliver_due(now + timedelta(days=1)) == 0
            row_id = row.id
    finally:
        dispose(broken)

    with app.app_context():
        admin = gen_user(role=UserRole.ADMIN)
        login(client, admin.email)
        page = client.get("/admin/outbox?status=FAILED").get_data(as_text=True)
        assert "Failed" in page and "refused" in page.lower() and "Retry" in page

        response = client.post(f"/admin/outbox/{row_id}/retry")
        assert response.status_code == 303
        [row] = rows()
        assert row.status is OutboxStatus.PENDING and row.attempts == 0
        [entry] = db.session.scalars(sa.select(AuditLog)).all()
        assert entry.action == "outbox.retry" and entry.actor_id == admin.id
        # Only a failed email can be retried.
        assert client.post(f"/admin/outbox/{row_id}/retry").status_code == 409


def test_a_permanent_refusal_fails_at_once(smtp_app, smtp):
    with smtp_app.app_context():
        reservation, _ = confirmed_booking()
        smtp.refuse.add(reservation.user.email)
        mail_delivery.deliver_due(utcnow())
        [row] = rows()
        assert row.status is OutboxStatus.FAILED and row.attempts == 1
        assert "550" in row.last_error or "refused" in row.last_error
        assert smtp.messages == []


def test_without_smtp_messages_are_written_as_eml_files(app, app_ctx):
    reservation, _ = confirmed_booking()
    assert mail_delivery.deliver_due(utcnow()) == 1
    [path] = [path for path in (Path(app.instance_path) / "mail").glob("*.eml")
              if reservation.code.encode() in path.read_bytes()]
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert reservation.code in parts_by_type(message)["text/plain"].get_content()
    assert rows()[0].status is OutboxStatus.SENT


def test_two_workers_never_send_one_row_twice(smtp_app, smtp):
    with smtp_app.app_context():
        for n in range(40):
            notifications.queue_email("test", f"patron{n}@example.com", f"Message {n}",
                                      f"Body {n}")
        db.session.commit()

    barrier = threading.Barrier(2)
    sent_counts = []

    def worker():
        with smtp_app.app_context():
            barrier.wait()
            sent_counts.append(mail_delivery.deliver_due(utcnow(), limit=100))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    subjects = sorted(message["Subject"] for message in smtp.messages)
    assert subjects == sorted(f"Message {n}" for n in range(40))  # each exactly once
    assert sum(sent_counts) == 40
    with smtp_app.app_context():
        assert {row.status for row in rows()} == {OutboxStatus.SENT}
        assert all(row.attempts == 1 for row in rows())


def test_a_real_rq_worker_delivers_right_after_the_commit(app, database_url, tmp_path, smtp,
                                                          private_redis):
    application = mail_app(database_url, str(tmp_path), smtp_port=smtp.port,
                           redis_url=private_redis.url)
    try:
        with application.app_context():
            reservation, _ = confirmed_booking()
            code = reservation.code
            assert jobs.queue().count == 1  # deliver_one, enqueued after the commit
        run_worker(application)
        [message] = smtp.messages
        assert code in parts_by_type(message)["text/plain"].get_content()
        with application.app_context():
            assert rows()[0].status is OutboxStatus.SENT
    finally:
        dispose(application)


def test_email_confirmed_while_redis_is_down_arrives_once_redis_is_back(
        app, database_url, tmp_path, smtp, private_redis):
    application = mail_app(database_url, str(tmp_path), smtp_port=smtp.port,
                           redis_url=private_redis.url)
    try:
        private_redis.stop()
        with application.app_context():
            reservation, _ = confirmed_booking()  # the enqueue fails, quietly
            code = reservation.code
            assert rows()[0].status is OutboxStatus.PENDING
        assert smtp.messages == []

        private_redis.start()  # back, empty: the quick-delivery job was never stored
        with application.app_context():
            assert jobs.queue().count == 0
            # What worker.py's ticker does every minute: enqueue the periodic sweep.
            jobs.queue().enqueue(tasks.periodic_tick)
        run_worker(application)

        [message] = smtp.messages
        assert code in parts_by_type(message)["text/plain"].get_content()
        with application.app_context():
            assert rows()[0].status is OutboxStatus.SENT
    finally:
        dispose(application)


def test_deliver_one_skips_a_row_already_sent(smtp_app, smtp):
    with smtp_app.app_context():
        _, row = confirmed_booking()
        assert mail_delivery.deliver_one(row.id) is True
        assert mail_delivery.deliver_one(row.id) is False
        assert len(smtp.messages) == 1


def test_signup_queues_a_welcome_email(app, client):
    client.post("/auth/signup", data={"email": "new@example.com", "full_name": "New Patron",
                                      "password": "s3cret-pass", "password_confirm": "s3cret-pass"})
    with app.app_context():
        [row] = rows()
        assert row.kind == "welcome" and row.to_address == "new@example.com"
        message = email.message_from_bytes(row.message, policy=policy.default)
        assert "New Patron" in parts_by_type(message)["text/plain"].get_content()
        assert set(parts_by_type(message)) == {"text/plain", "text/html"}


def test_cancellation_emails_tell_about_the_refund(app_ctx):
    reservation, _ = confirmed_booking()
    reservation.paid_at = reservation.confirmed_at
    cancelled = notifications.booking_cancelled(reservation, refunded_cents=2000)
    by_cinema = notifications.showtime_cancelled(reservation)
    db.session.commit()
    for row in (cancelled, by_cinema):
        message = email.message_from_bytes(row.message, policy=policy.default)
        text = parts_by_type(message)["text/plain"].get_content()
        assert "refunded £20.00" in text and reservation.code in text
        assert reservation.showtime.movie.title in row.subject
    assert cancelled.kind == "booking_cancelled" and by_cinema.kind == "showtime_cancelled"


def test_an_unpaid_booking_cancelled_with_its_showtime_is_promised_no_refund(app_ctx):
    reservation, _ = confirmed_booking()
    row = notifications.showtime_cancelled(reservation)
    db.session.commit()
    text = parts_by_type(email.message_from_bytes(row.message, policy=policy.default))["text/plain"]
    assert "refund" not in text.get_content() and reservation.code in text.get_content()


def test_a_booking_paid_at_the_counter_and_cancelled_sends_the_patron_to_the_counter(app_ctx):
    reservation, _ = confirmed_booking()
    reservation.payment_method, reservation.paid_at = PaymentMethod.BOX_OFFICE, utcnow()
    rows = [notifications.showtime_cancelled(reservation),
            notifications.booking_cancelled(reservation, 0)]
    db.session.commit()
    for row in rows:
        text = parts_by_type(email.message_from_bytes(row.message, policy=policy.default))
        for part in ("text/plain", "text/html"):
            content = text[part].get_content()
            assert "at the box office: please collect your refund there." in content, row.kind
            assert "Nothing had been paid" not in content
