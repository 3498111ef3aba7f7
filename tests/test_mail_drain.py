"""A backlog of email drains at SMTP speed once the server is back: batches over one
connection, each row exactly once even with two senders, and retries scheduled per row."""
from __future__ import annotations

import threading
from collections import Counter

import sqlalchemy as sa

from cinema import jobs
from cinema.extensions import db
from cinema.messaging import mail_delivery, notifications
from cinema.models import OutboxEmail, OutboxStatus, utcnow
from tests.mail_factories import dispose, mail_app, run_worker


def queue_emails(count: int, *, to=lambda n: f"patron{n}@example.com") -> None:
    for n in range(count):
        notifications.queue_email("test", to(n), f"Message {n}", f"Body {n}")
    db.session.commit()


def rows_by_address() -> dict[str, OutboxEmail]:
    db.session.expire_all()
    return {row.to_address: row for row in db.session.scalars(sa.select(OutboxEmail))}


def message_id_counts(smtp) -> Counter:
    return Counter(message["Message-ID"] for message in smtp.messages)


def test_500_emails_queued_during_an_outage_go_out_once_each_in_one_sweep(smtp_app, smtp):
    with smtp_app.app_context():
        queue_emails(500)
        smtp.stop()
        now = utcnow()
        # The server is down: the sweep gives up at once, counting one attempt on one row.
        assert mail_delivery.deliver_due(now) == 0
        attempts = Counter(row.attempts for row in rows_by_address().values())
        assert attempts == {0: 499, 1: 1}
        assert all(row.locked_until is None for row in rows_by_address().values())

    smtp.start()  # back, on the same port
    sent = []

    def sweep():
        with smtp_app.app_context():
            sent.append(mail_delivery.deliver_due(now, seconds=3600))

    senders = [threading.Thread(target=sweep) for _ in range(2)]  # two workers at once
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    assert sum(sent) == 499  # every row not backing off, in this one sweep

    with smtp_app.app_context():
        assert mail_delivery.deliver_due(now + mail_delivery.backoff(1)) == 1  # the probed row
        assert {row.status for row in rows_by_address().values()} == {OutboxStatus.SENT}
    counts = message_id_counts(smtp)
    assert len(counts) == 500 and set(counts.values()) == {1}  # each exactly once
    # Batches share a connection: far fewer connections than messages.
    assert len(smtp.peers) <= 2 * (500 // mail_delivery.BATCH + 2)


def test_a_deferred_recipient_backs_off_alone_while_the_others_go_out(smtp_app, smtp):
    with smtp_app.app_context():
        queue_emails(6)
        smtp.defer.add("patron2@example.com")  # 450: try later
        smtp.refuse.add("patron4@example.com")  # 550: never
        now = utcnow()

        assert mail_delivery.deliver_due(now) == 4
        rows = rows_by_address()
        deferred, refused = rows["patron2@example.com"], rows["patron4@example.com"]
        assert deferred.status is OutboxStatus.PENDING and deferred.attempts == 1
        assert deferred.next_attempt_at == now + mail_delivery.backoff(1)
        assert "450" in deferred.last_error
        assert refused.status is OutboxStatus.FAILED and "550" in refused.last_error
        others = [row for address, row in rows.items() if address not in
                  {"patron2@example.com", "patron4@example.com"}]
        assert all(row.status is OutboxStatus.SENT and row.attempts == 1 for row in others)
        assert len(smtp.peers) == 1  # the refusals did not cost the connection

        assert mail_delivery.deliver_due(now) == 0  # not due yet
        second = now + mail_delivery.backoff(1)
        assert mail_delivery.deliver_due(second) == 0  # deferred again
        deferred = rows_by_address()["patron2@example.com"]
        assert deferred.attempts == 2
        assert deferred.next_attempt_at == second + mail_delivery.backoff(2)

        smtp.defer.clear()
        assert mail_delivery.deliver_due(second + mail_delivery.backoff(2)) == 1
        deferred = rows_by_address()["patron2@example.com"]
        assert deferred.status is OutboxStatus.SENT and deferred.attempts == 3
    assert sorted(message["To"] for message in smtp.messages) == sorted(
        f"patron{n}@example.com" for n in (0, 1, 2, 3, 5))


def test_quick_delivery_counts_no_attempt_while_the_server_is_down(smtp_app, smtp):
    with smtp_app.app_context():
        queue_emails(1)
        [row] = rows_by_address().values()
        smtp.stop()
        assert mail_delivery.deliver_one(row.id) is False
        row = rows_by_address()["patron0@example.com"]
        assert row.attempts == 0 and row.locked_until is None
        assert row.status is OutboxStatus.PENDING
        smtp.start()
        assert mail_delivery.deliver_due(utcnow()) == 1  # due at once: no backoff to wait for
    assert len(smtp.messages) == 1


def test_a_run_that_reaches_its_bound_hands_over_to_a_fresh_job(app, database_url, tmp_path,
                                                                smtp, private_redis):
    application = mail_app(database_url, str(tmp_path), smtp_port=smtp.port,
                           redis_url=private_redis.url)
    try:
        with application.app_context():
            queue_emails(30)
            jobs.queue().empty()  # the quick-delivery jobs: this test is about the sweep
            assert mail_delivery.drain_outbox(limit=10) == 10
            assert jobs.queue().count == 1  # the next run, enqueued at once
        run_worker(application)
        with application.app_context():
            assert {row.status for row in rows_by_address().values()} == {OutboxStatus.SENT}
            assert jobs.queue().count == 0  # the last run found nothing left
        counts = message_id_counts(smtp)
        assert len(counts) == 30 and set(counts.values()) == {1}
    finally:
        dispose(application)


def test_a_sent_row_whose_bookkeeping_meets_a_restarting_database_is_not_sent_again(
        smtp_app, smtp, monkeypatch):
    # The database went away between the SMTP send and the row's "sent" commit: the write waits
    # for it to come back, so the row is not left claimed and sent again when its lease runs out.
    mark_sent, failures = mail_delivery._mark_sent, []

    def database_restarting_twice(row):
        if len(failures) < 2:
            failures.append(row.id)
            raise sa.exc.OperationalError("UPDATE outbox_emails", {}, Exception("server closed"))
        mark_sent(row)

    monkeypatch.setattr(mail_delivery, "_mark_sent", database_restarting_twice)
    monkeypatch.setattr(mail_delivery.time, "sleep", lambda seconds: None)
    with smtp_app.app_context():
        queue_emails(3, to=lambda n: f"restart{n}@example.com")
        now = utcnow()
        assert mail_delivery.deliver_due(now) == 3
        assert {row.status for row in rows_by_address().values()} == {OutboxStatus.SENT}
        assert mail_delivery.deliver_due(now + mail_delivery.LEASE * 2) == 0
    assert len(failures) == 2 and len(smtp.messages) == 3
