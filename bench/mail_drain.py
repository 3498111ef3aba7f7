"""How fast a backlog of outbox rows drains to a local SMTP server (aiosmtpd, in-process).

Run by `make bench` (never by `make test`). It creates a database of its own (dropped at the
end), migrates it, queues BENCH_MAIL_ROWS booking-sized emails (text, HTML and a 20 kB
attachment, about the size of a ticket with its QR code and .ics), then runs the sweep
(``mail_delivery.deliver_due``) once with one sender and once with two senders at the same time
(two workers), and prints rows/s, SMTP connections used and that every message arrived exactly
once. The SMTP server shares the 2 cores with PostgreSQL and the senders: read the figures as
a floor, not as what a real relay accepts.

Environment: BENCH_PG_SERVER_URL (default postgresql://postgres@127.0.0.1:5432),
BENCH_MAIL_ROWS (default 2000).
"""
from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from cinema.extensions import db  # noqa: E402
from cinema.messaging import mail_delivery, notifications  # noqa: E402
from cinema.models import utcnow  # noqa: E402
from tests.load_support import create_database, drop_database, migrate  # noqa: E402
from tests.mail_factories import SmtpSink, dispose, mail_app  # noqa: E402

PG_SERVER_URL = os.environ.get("BENCH_PG_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
ROWS = int(os.environ.get("BENCH_MAIL_ROWS", "2000"))
ATTACHMENT = os.urandom(20_000)


def queue_backlog(app, count: int, tag: str) -> None:
    with app.app_context():
        for n in range(count):
            notifications.queue_email(
                "bench", f"patron{n}@example.com", f"{tag} {n}", f"Your tickets, number {n}.\n" * 20,
                f"<p>Your tickets, number {n}.</p>" * 20,
                attachments=[(ATTACHMENT, "application", "octet-stream", "ticket.bin")])
        db.session.commit()


def drain(app, senders: int) -> tuple[int, float]:
    sent: list[int] = []
    barrier = threading.Barrier(senders)

    def sweep():
        with app.app_context():
            barrier.wait()
            sent.append(mail_delivery.deliver_due(utcnow(), limit=10 * ROWS, seconds=3600))

    threads = [threading.Thread(target=sweep) for _ in range(senders)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(sent), time.perf_counter() - started


def main() -> None:
    name = f"cinema_bench_mail_{uuid.uuid4().hex[:8]}"
    database_url = create_database(PG_SERVER_URL, name)
    smtp = SmtpSink().start()
    try:
        migrate(database_url)
        app = mail_app(database_url.replace("postgresql://", "postgresql+psycopg://"),
                       tempfile.mkdtemp(), smtp_port=smtp.port)
        print(f"{ROWS} queued emails of about {len(ATTACHMENT) // 1000 + 5} kB each, "
              f"batches of {mail_delivery.BATCH} per SMTP connection")
        for senders in (1, 2):
            tag = f"run{senders}"
            queue_backlog(app, ROWS, tag)
            before = len(smtp.messages)
            peers_before = len(smtp.peers)
            sent, seconds = drain(app, senders)
            arrived = Counter(m["Message-ID"] for m in smtp.messages[before:])
            print(f"  {senders} sender(s): {sent} sent in {seconds:.2f} s = {sent / seconds:,.0f}/s; "
                  f"{len(smtp.peers) - peers_before} SMTP connections; "
                  f"{len(arrived)} distinct messages, duplicates: "
                  f"{sum(c - 1 for c in arrived.values())}")
        dispose(app)
    finally:
        smtp.stop()
        drop_database(PG_SERVER_URL, name)


if __name__ == "__main__":
    main()
