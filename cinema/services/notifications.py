"""Emails caused by events, written to the outbox in the caller's transaction.

Each function adds an ``OutboxEmail`` row to the session and does not commit: the row commits
(or rolls back) together with the event that caused it. The worker delivers it later.
"""
from __future__ import annotations

from email.message import EmailMessage

from flask import current_app

from cinema.extensions import db
from cinema.models import OutboxEmail


def queue_email(kind: str, to: str, subject: str, text: str, html: str | None = None,
                reservation_id: int | None = None, dedupe_key: str | None = None,
                attachments: list[tuple[bytes, str, str, str]] = ()) -> OutboxEmail:
    """Render a MIME message and add it to the outbox (the caller commits).

    ``attachments`` are (data, maintype, subtype, filename).
    """
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for data, maintype, subtype, filename in attachments:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    row = OutboxEmail(kind=kind, to_address=to, subject=subject, message=message.as_bytes(),
                      reservation_id=reservation_id, dedupe_key=dedupe_key)
    db.session.add(row)
    return row
