"""Emails caused by events, written to the outbox in the caller's transaction.

Each function adds an ``OutboxEmail`` row to the session and does not commit: the row commits
(or rolls back) together with the event that caused it. Once that transaction commits, a quick
delivery job is enqueued for each new row (see ``_deliver_soon`` below); if Redis is down the
enqueue fails quietly and the worker's periodic sweep delivers the row instead.

Every message has a plain-text and an HTML part, rendered from ``templates/email/<name>.txt``
and ``.html``.
"""
from __future__ import annotations

import unicodedata
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, has_app_context, render_template

from cinema.booking import tickets
from cinema.extensions import db
from cinema.models import OutboxEmail, Reservation, User, utcnow
from cinema.settings import settings

QR_CID = "ticket-qr"


def queue_email(kind: str, to: str, subject: str, text: str, html: str | None = None,
                reservation_id: int | None = None, dedupe_key: str | None = None,
                attachments: list[tuple[bytes, str, str, str]] = (),
                inline_images: list[tuple[bytes, str, str]] = (),
                to_name: str | None = None) -> OutboxEmail:
    """Render a MIME message and add it to the outbox (the caller commits).

    ``attachments`` are (data, maintype, subtype, filename); ``inline_images`` are
    (png data, content id, filename), shown by the HTML part as ``<img src="cid:...">``.
    """
    sender = settings().mail_from
    message = EmailMessage()
    message["From"] = sender
    message["To"] = address_header(to_name, to)
    message["Subject"] = one_line(subject)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=_mail_domain(sender))
    # Quoted-printable and CRLF line ends: the stored bytes go to any SMTP server unchanged.
    message.set_content(text, cte="quoted-printable")
    if html:
        message.add_alternative(html, subtype="html", cte="quoted-printable")
        html_part = message.get_payload()[-1]
        for data, cid, filename in inline_images:
            html_part.add_related(data, maintype="image", subtype="png", cid=f"<{cid}>",
                                  filename=filename, disposition="inline")
    for data, maintype, subtype, filename in attachments:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    row = OutboxEmail(kind=kind, to_address=to, subject=subject[:200],
                      message=message.as_bytes(policy=SMTP),
                      reservation_id=reservation_id, dedupe_key=dedupe_key)
    db.session.add(row)
    return row


# --- the messages ----------------------------------------------------------------------------

def booking_confirmed(reservation: Reservation) -> OutboxEmail:
    """The ticket: code, film, auditorium, seats, time, line items, QR image and an .ics."""
    showtime = reservation.showtime
    ticket_url = external_url("bookings.detail", reservation_id=reservation.id)
    text, html = _render("booking_confirmed", reservation=reservation, ticket_url=ticket_url,
                         qr_cid=QR_CID)
    return queue_email(
        "booking_confirmed", reservation.user.email,
        f"Your tickets: {showtime.movie.title}, {_when(showtime.starts_at)}", text, html,
        reservation_id=reservation.id, to_name=reservation.user.full_name,
        inline_images=[(tickets.ticket_qr_png(reservation), QR_CID,
                        f"ticket-{reservation.code}.png")],
        attachments=[(tickets.calendar_event(reservation, utcnow(), ticket_url), "text",
                      "calendar", f"{_slug(showtime.movie.title)}-{reservation.code}.ics")],
    )


def booking_cancelled(reservation: Reservation, refunded_cents: int) -> OutboxEmail:
    """The booking was cancelled (by the patron or an admin), with the refund if any."""
    showtime = reservation.showtime
    text, html = _render("booking_cancelled", reservation=reservation,
                         refunded_cents=refunded_cents,
                         showtimes_url=external_url("public.index"))
    return queue_email(
        "booking_cancelled", reservation.user.email,
        f"Booking cancelled: {showtime.movie.title}, {_when(showtime.starts_at)}", text, html,
        reservation_id=reservation.id, to_name=reservation.user.full_name)


def seats_cancelled(reservation: Reservation, cancelled: list[str],
                    refunded_cents: int) -> OutboxEmail:
    """Some seats of a booking were cancelled: the refund, and the ticket reissued (same code
    and QR, the seats that remain)."""
    showtime = reservation.showtime
    ticket_url = external_url("bookings.detail", reservation_id=reservation.id)
    text, html = _render("seats_cancelled", reservation=reservation, cancelled=cancelled,
                         refunded_cents=refunded_cents, ticket_url=ticket_url, qr_cid=QR_CID)
    return queue_email(
        "seats_cancelled", reservation.user.email,
        f"Booking changed: {showtime.movie.title}, {_when(showtime.starts_at)}", text, html,
        reservation_id=reservation.id, to_name=reservation.user.full_name,
        inline_images=[(tickets.ticket_qr_png(reservation), QR_CID,
                        f"ticket-{reservation.code}.png")])


def booking_exchanged(reservation: Reservation, old_showtime, old_seats: list[str],
                      difference_cents: int) -> OutboxEmail:
    """The booking moved to another showtime: the new ticket (same code and QR), and the
    difference charged (positive) or refunded (negative) to the card, settled in cash at the
    counter, or due there."""
    showtime = reservation.showtime
    ticket_url = external_url("bookings.detail", reservation_id=reservation.id)
    text, html = _render("booking_exchanged", reservation=reservation,
                         old_when=_when(old_showtime.starts_at, "%A %d %B, %H:%M"),
                         old_seats=old_seats, difference_cents=difference_cents,
                         by_card=reservation.payment_method.value == "CARD",
                         in_cash=reservation.paid_at_counter,
                         ticket_url=ticket_url, qr_cid=QR_CID)
    return queue_email(
        "booking_exchanged", reservation.user.email,
        f"Booking moved: {showtime.movie.title}, {_when(showtime.starts_at)}", text, html,
        reservation_id=reservation.id, to_name=reservation.user.full_name,
        inline_images=[(tickets.ticket_qr_png(reservation), QR_CID,
                        f"ticket-{reservation.code}.png")])


def unpaid_released(reservation: Reservation, minutes: int) -> OutboxEmail:
    """A "pay at the box office" booking still unpaid ``minutes`` before the start was released."""
    showtime = reservation.showtime
    text, html = _render("unpaid_released", reservation=reservation, minutes=minutes,
                         showtimes_url=external_url("public.index"))
    return queue_email(
        "unpaid_released", reservation.user.email,
        f"Seats released: {showtime.movie.title}, {_when(showtime.starts_at)}", text, html,
        reservation_id=reservation.id, to_name=reservation.user.full_name)


def showtime_cancelled(reservation: Reservation) -> OutboxEmail:
    """The cinema cancelled the showtime: the booking is cancelled, and refunded in full if it
    was paid by card (the refund itself runs after the cancelling commit; cash paid at the
    counter is given back there). At most one per booking (``dedupe_key``)."""
    showtime = reservation.showtime
    by_card = reservation.paid_at is not None and not reservation.paid_at_counter
    text, html = _render("showtime_cancelled", reservation=reservation,
                         refunded_cents=reservation.total_price_cents if by_card else 0,
                         showtimes_url=external_url("public.index"))
    return queue_email(
        "showtime_cancelled", reservation.user.email,
        f"Cancelled by the cinema: {showtime.movie.title}, {_when(showtime.starts_at)}",
        text, html, reservation_id=reservation.id, to_name=reservation.user.full_name,
        dedupe_key=f"showtime-cancelled:{reservation.id}")


def welcome(user: User) -> OutboxEmail:
    """Sent on signup."""
    text, html = _render("welcome", user=user, home_url=external_url("public.index"),
                         account_url=external_url("account.index"))
    return queue_email("welcome", user.email,
                       f"Welcome to {settings().cinema_name}", text, html,
                       to_name=user.full_name)


def password_reset(user: User, reset_url: str) -> OutboxEmail:
    """The one-hour, single-use link to choose a new password."""
    text, html = _render("password_reset", user=user, reset_url=reset_url)
    return queue_email("password_reset", user.email,
                       f"Reset your {settings().cinema_name} password", text, html,
                       to_name=user.full_name)


def reminder(reservation: Reservation) -> OutboxEmail:
    """A few hours before the showtime; at most one per booking (``dedupe_key``)."""
    showtime = reservation.showtime
    ticket_url = external_url("bookings.detail", reservation_id=reservation.id)
    text, html = _render("reminder", reservation=reservation, ticket_url=ticket_url)
    return queue_email(
        "reminder", reservation.user.email,
        f"Reminder: {showtime.movie.title}, {_when(showtime.starts_at)}",
        text, html, reservation_id=reservation.id, dedupe_key=f"reminder:{reservation.id}",
        to_name=reservation.user.full_name)


def wishlist_digest(user: User, films: list, more: int, unsubscribe_url: str,
                    dedupe_key: str) -> OutboxEmail:
    """New showtimes of the patron's saved films: ``films`` is [(movie, [showtime, ...])], with
    ``more`` not listed; at most one a day per patron (``dedupe_key``), with an unsubscribe link
    that works without signing in."""
    text, html = _render("wishlist_digest", user=user, films=films, more=more,
                         unsubscribe_url=unsubscribe_url,
                         wishlist_url=external_url("wishlist.index"))
    titles = ", ".join(movie.title for movie, _ in films)
    return queue_email("wishlist_digest", user.email, f"New showtimes for {titles}"[:200],
                       text, html, to_name=user.full_name, dedupe_key=dedupe_key)


def waitlist_offer(entry, hold: Reservation) -> OutboxEmail:
    """Seats freed for the first party in a showtime's waitlist: the hold made for them and
    the link to pay before it expires. At most one per waitlist entry (``dedupe_key``)."""
    showtime = entry.showtime
    text, html = _render("waitlist_offer", entry=entry, hold=hold, showtime=showtime,
                         pay_url=external_url("bookings.detail", reservation_id=hold.id))
    return queue_email(
        "waitlist_offer", entry.user.email,
        f"Seats for you: {showtime.movie.title}, pay by {_when(hold.hold_expires_at, '%H:%M')}",
        text, html, reservation_id=hold.id, to_name=entry.user.full_name,
        dedupe_key=f"waitlist-offer:{entry.id}")


# --- headers ---------------------------------------------------------------------------------
# Names, titles and addresses come from the database, where rows written before today's checks
# (or by other paths) may hold line breaks or non-ASCII: a header built from them must neither
# raise (which would roll back the booking that sends it) nor let a CR/LF start a new header.

def one_line(text: str | None) -> str:
    """``text`` for a header: control characters (CR, LF, NUL, tab, ...) as single spaces."""
    return " ".join("".join(" " if unicodedata.category(ch) == "Cc" else ch
                            for ch in text or "").split())


def address_header(name: str | None, address: str) -> Address:
    """The To header's value: the display name on one line (RFC 2047-encoded when it is not
    ASCII, by the email package) and the address with an internationalised domain in its
    ASCII (IDNA) form. Never raises; an address that cannot be parsed goes out as it is and
    its delivery failure is recorded in the outbox."""
    local, at, domain = "".join(one_line(address).split()).rpartition("@")
    if not at:
        local, domain = domain, ""
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        pass  # not a valid domain: left as it is, the SMTP server will refuse it
    try:
        return Address(display_name=one_line(name), username=local, domain=domain)
    except (ValueError, TypeError):
        return Address(username=local or address, domain=domain)


# --- helpers ---------------------------------------------------------------------------------

def _render(name: str, **context) -> tuple[str, str]:
    return (render_template(f"email/{name}.txt", **context),
            render_template(f"email/{name}.html", **context))


def _when(value, fmt: str = "%a %d %b, %H:%M") -> str:
    from cinema.clock import format_local

    return format_local(value, fmt)


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())[:40]


def _mail_domain(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2] or "cinema.invalid"


def external_url(endpoint: str, **values) -> str:
    """An absolute URL for an email, always on ``SITE_URL``.

    Never the current request's host: the Host header is whatever the client sent, and a
    password reset link built from it would hand the token to another site.
    """
    parts = urlsplit(settings().site_url)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                                       url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


# --- quick delivery once the transaction commits ---------------------------------------------

_NEW_ROWS = "cinema_new_outbox_ids"


def _remember_new_rows(session, flush_context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, OutboxEmail)]
    if ids:
        session.info.setdefault(_NEW_ROWS, []).extend(ids)


def _deliver_soon(session) -> None:
    ids = session.info.pop(_NEW_ROWS, None)
    if ids and has_app_context():
        from cinema.messaging import mail_delivery

        mail_delivery.enqueue_delivery(ids)


def _forget_new_rows(session) -> None:
    session.info.pop(_NEW_ROWS, None)


_LISTENERS = (("after_flush", _remember_new_rows), ("after_commit", _deliver_soon),
              ("after_rollback", _forget_new_rows))


def deliver_after_commit() -> None:
    """Enqueue the quick delivery of the outbox rows a transaction added once it commits.

    Called by create_app (nothing listens on import); safe to call again: the listeners are
    process-wide, on every session, and added once."""
    for event, listener in _LISTENERS:
        if not sa.event.contains(so.Session, event, listener):
            sa.event.listen(so.Session, event, listener)
