"""The wishlist on the real database: the Save toggle (htmx and plain posts), the list of
saved films, the daily digest of new showtimes through the outbox (two new showtimes, one
email; at most one a day), and the unsubscribe link that works without signing in."""
from __future__ import annotations

import email
import re
from datetime import timedelta
from email import policy

import pytest
import sqlalchemy as sa

from cinema.extensions import db
from cinema.models import OutboxEmail, User, WishlistItem, utcnow
from cinema.wishlist import digest, wishlist
from tests.factories import gen_auditorium, gen_movie, gen_showtime, gen_user, login


@pytest.fixture
def film(app_ctx):
    return gen_movie("Cold Harbour")


@pytest.fixture
def patron(app, film):
    user = gen_user(full_name="Pat <Ron>")
    client = app.test_client()
    login(client, user.email)
    return user, client


def _saved(user_id):
    return set(db.session.scalars(sa.select(WishlistItem.movie_id)
                                  .where(WishlistItem.user_id == user_id)))


def test_save_toggles_with_and_without_htmx(film, patron):
    user, client = patron
    plain = client.post(f"/account/wishlist/{film.id}", data={"next": "/movies?q=cold"})
    assert plain.status_code == 303 and plain.headers["Location"] == "/movies?q=cold"
    assert _saved(user.id) == {film.id}
    assert "Saved" in client.get("/movies?q=cold").get_data(as_text=True)

    swapped = client.post(f"/account/wishlist/{film.id}", headers={"HX-Request": "true"})
    body = swapped.get_data(as_text=True)
    assert swapped.status_code == 200 and "<html" not in body
    assert 'aria-pressed="false"' in body and "Save" in body
    assert _saved(user.id) == set()

    evil = client.post(f"/account/wishlist/{film.id}", data={"next": "//evil.example/"})
    assert evil.headers["Location"] == f"/movies/{film.id}"
    assert client.post("/account/wishlist/999999").status_code == 404


def test_visitors_are_asked_to_sign_in(film, client):
    page = client.get(f"/movies/{film.id}").get_data(as_text=True)
    assert "sign in first" in page
    assert client.post(f"/account/wishlist/{film.id}").status_code == 401


def test_the_wishlist_lists_saved_films_with_next_showtimes(film, patron):
    user, client = patron
    showtime = gen_showtime(film)
    gen_movie("Not Saved")
    wishlist.toggle(user.id, film.id)
    page = client.get("/account/wishlist").get_data(as_text=True)
    assert "Cold Harbour" in page and "Not Saved" not in page
    assert f"/showtimes/{showtime.id}" in page
    wishlist.toggle(user.id, film.id)
    assert "You have not saved any films yet" in client.get("/account/wishlist").get_data(
        as_text=True)


# --- the digest ---------------------------------------------------------------------------

def _schedule(film, at, created_at, screen=None):
    showtime = gen_showtime(film, screen or gen_auditorium(rows=1, seats_per_row=2), at)
    showtime.created_at = created_at
    db.session.commit()
    return showtime


def _digests():
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxEmail).where(
        OutboxEmail.kind == "wishlist_digest").order_by(OutboxEmail.id)))


def _text(row: OutboxEmail) -> str:
    message = email.message_from_bytes(row.message, policy=policy.default)
    return message.get_body(("plain",)).get_content()


def test_two_new_showtimes_make_one_email_and_at_most_one_a_day(film, patron):
    user, _ = patron
    now = utcnow()
    before = _schedule(film, now + timedelta(days=3), now - timedelta(hours=5))
    wishlist.toggle(user.id, film.id)
    item = db.session.scalar(sa.select(WishlistItem))
    item.created_at = now - timedelta(hours=4)
    db.session.commit()
    first = _schedule(film, now + timedelta(days=4, hours=1), now - timedelta(hours=2))
    second = _schedule(film, now + timedelta(days=5, hours=2), now - timedelta(hours=1))
    cancelled = _schedule(film, now + timedelta(days=6), now - timedelta(hours=1))
    cancelled.cancelled_at = now
    db.session.commit()

    assert digest.queue_digests(now) == 1
    [row] = _digests()
    text = _text(row)
    assert row.to_address == user.email and "Cold Harbour" in row.subject
    assert first.auditorium.name in text and second.auditorium.name in text
    assert before.auditorium.name not in text and cancelled.auditorium.name not in text
    assert digest.queue_digests(now) == 0  # nothing new

    later = _schedule(film, now + timedelta(days=7), now + timedelta(hours=1))
    assert digest.queue_digests(now + timedelta(hours=2)) == 0  # not twice in a day
    assert digest.queue_digests(now + timedelta(days=1, minutes=1)) == 1
    latest = _digests()[-1]
    assert later.auditorium.name in _text(latest) and first.auditorium.name not in _text(latest)


def test_html_part_escapes_the_names(film, patron):
    user, _ = patron
    film.title = "<b>Harbour</b>"
    db.session.commit()
    now = utcnow()
    wishlist.toggle(user.id, film.id)
    _schedule(film, now + timedelta(days=2), now + timedelta(seconds=1))
    assert digest.queue_digests(now + timedelta(minutes=1)) == 0  # not settled yet
    assert digest.queue_digests(now + timedelta(minutes=11)) == 1
    message = email.message_from_bytes(_digests()[0].message, policy=policy.default)
    html = message.get_body(("html",)).get_content()
    assert "&lt;b&gt;Harbour&lt;/b&gt;" in html and "Pat &lt;Ron&gt;" in html


def test_no_email_when_the_setting_is_off(film, patron):
    user, client = patron
    assert client.post("/account/wishlist/emails", data={}).status_code == 303
    db.session.expire_all()
    assert db.session.get(User, user.id).wishlist_emails is False
    now = utcnow()
    wishlist.toggle(user.id, film.id)
    _schedule(film, now + timedelta(days=2), now + timedelta(seconds=1))
    assert digest.queue_digests(now + timedelta(minutes=11)) == 0
    client.post("/account/wishlist/emails", data={"wishlist_emails": "on"})
    assert 'id="wishlist_emails" name="wishlist_emails" checked' in client.get(
        "/account").get_data(as_text=True)
    assert digest.queue_digests(now + timedelta(minutes=11)) == 1


def test_the_unsubscribe_link_works_without_signing_in(film, patron, app):
    user, _ = patron
    now = utcnow()
    wishlist.toggle(user.id, film.id)
    _schedule(film, now + timedelta(days=2), now + timedelta(seconds=1))
    digest.queue_digests(now + timedelta(minutes=11))
    link = re.search(r"Stop them: (\S+)", _text(_digests()[0])).group(1)
    path = "/" + link.split("/", 3)[3]

    visitor = app.test_client()
    confirm = visitor.get(path)
    assert confirm.status_code == 200 and "Stop these emails" in confirm.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).wishlist_emails is True  # a GET changes nothing
    assert visitor.post(path).status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).wishlist_emails is False

    forged = path[:-3] + ("abc" if not path.endswith("abc") else "xyz")
    assert visitor.get(forged).status_code == 400
    assert visitor.post("/wishlist/unsubscribe/not-a-token").status_code == 400
