"""The seat-map poll: an unchanged map is answered from Redis alone, a changed one re-rendered;
the full render is one statement for the map and its version. Counts of statements, never
times (docs/PERFORMANCE.md has the figures)."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa

from cinema.booking import booking, seat_stamps, seatmap
from cinema.extensions import db
from cinema.models import SeatType
from cinema.money import format_money
from cinema.pricing import price_book
from cinema.programme import cancellation, venues
from tests.booking_helpers import hold, now, patron_client, setup_showtime
from tests.factories import gen_user

HTMX = {"HX-Request": "true"}


@contextmanager
def statements():
    """The SQL statements sent to the database inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def first_render(client, showtime):
    url = f"/showtimes/{showtime.id}/seats"
    response = client.get(url, headers=HTMX)
    assert response.status_code == 200
    return url, response.headers["ETag"], response.headers["ETag"].split('"')[1]


def test_an_unchanged_poll_touches_no_database(app, app_ctx):
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    assert hold(client, showtime, seats[:1]).status_code == 303
    url, etag, version = first_render(client, showtime)
    with statements() as seen:
        polled = client.get(url, query_string={"v": version}, headers=HTMX)
        revalidated = client.get(url, headers={**HTMX, "If-None-Match": etag})
    assert polled.status_code == 204 and polled.data == b""
    assert revalidated.status_code == 304 and revalidated.data == b""
    assert polled.headers["ETag"] == revalidated.headers["ETag"] == etag
    assert seen == []


def test_the_remembered_version_is_the_one_the_database_gives(app, app_ctx):
    showtime, seats = setup_showtime()
    user = gen_user()
    booking.hold_seats(user.id, showtime.id, [seats[0].id], now=now())
    t = now()
    computed = seatmap.version(showtime, t, user.id, ["1", "2"])
    assert seatmap.recalled_version(showtime.id, t, user.id, ["1", "2"]) == computed
    assert seatmap.recalled_version(showtime.id, t, None, None) == \
        seatmap.version(showtime, t, None, None)


def test_the_remembered_version_lapses_when_the_next_hold_expires(app, app_ctx):
    showtime, seats = setup_showtime()
    booking.hold_seats(gen_user().id, showtime.id, [seats[0].id], now=now())
    t = now()
    seatmap.version(showtime, t, None, None)
    assert seatmap.recalled_version(showtime.id, t, None, None) is not None
    later = t + timedelta(seconds=app.config["HOLD_SECONDS"] + 1)
    assert seatmap.recalled_version(showtime.id, later, None, None) is None


def test_a_change_anyone_makes_moves_the_version_and_the_poll_renders(app, app_ctx):
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    url, _, version = first_render(client, showtime)
    _, other = patron_client(app)
    assert hold(other, showtime, seats[:1]).status_code == 303
    changed = client.get(url, query_string={"v": version}, headers=HTMX)
    assert changed.status_code == 200 and b"state-held" in changed.data
    assert changed.headers["ETag"].split('"')[1] != version


def test_a_layout_edit_or_a_cancellation_is_seen_at_the_next_poll(app, app_ctx):
    showtime, seats = setup_showtime()
    admin = gen_user()
    _, client = patron_client(app)
    url, _, version = first_render(client, showtime)
    venues.change_seats(showtime.auditorium_id, [seats[5].id], "block", admin.id, now())
    blocked = client.get(url, query_string={"v": version}, headers=HTMX)
    assert blocked.status_code == 200 and b"state-blocked" in blocked.data
    version = blocked.headers["ETag"].split('"')[1]
    cancellation.cancel_showtime(showtime.id, admin.id, now())
    cancelled = client.get(url, query_string={"v": version}, headers=HTMX)
    assert cancelled.status_code == 200


def test_a_full_render_reads_the_map_in_one_statement_and_the_layout_once(app, app_ctx):
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    assert hold(client, showtime, seats[:2]).status_code == 303
    first_render(client, showtime)
    with statements() as seen:
        again = client.get(f"/showtimes/{showtime.id}/seats", headers=HTMX)
    assert again.status_code == 200 and again.data.count(b"state-mine") == 2
    # The user loader, the showtime, and one statement for claims and version (the pricing
    # book's version among them); no seats read, and no pricing rule or ticket type either:
    # the prices beside the map come from the book kept for that version.
    assert len(seen) == 3, seen
    assert not any(s.lstrip().startswith(("SELECT seats.", "SELECT pricing_rules.",
                                          "SELECT ticket_types.")) for s in seen), seen


def test_a_changed_price_shows_at_once_and_holds_share_the_book(app, app_ctx):
    from cinema.models import PricingRule
    from cinema.pricing.price_book import PricingBook

    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    url = f"/showtimes/{showtime.id}/seats"
    first_render(client, showtime)
    kept = PricingBook._kept
    assert hold(client, showtime, seats[:1]).status_code == 303
    assert PricingBook._kept is kept  # the hold found the render's book under its version
    db.session.add(PricingRule(name="Flat 3 off", amount_cents=-300))
    db.session.commit()
    with statements() as seen:
        page = client.get(url, headers=HTMX)
    assert page.status_code == 200
    assert any(s.lstrip().startswith("SELECT pricing_rules.") for s in seen)  # read again
    assert PricingBook._kept is not kept and any(
        rule.name == "Flat 3 off" for rule in PricingBook._kept[1])
    fresh = price_book.type_prices(showtime, [SeatType.REGULAR], now())[SeatType.REGULAR]
    assert format_money(fresh) in page.get_data(as_text=True)


def test_without_a_remembered_version_the_poll_still_answers_unchanged(app, app_ctx):
    showtime, _ = setup_showtime()
    _, client = patron_client(app)
    url, _, version = first_render(client, showtime)
    from cinema.extensions import get_redis

    get_redis().delete(seat_stamps._memo_key(showtime.id))
    assert client.get(url, query_string={"v": version}, headers=HTMX).status_code == 204
