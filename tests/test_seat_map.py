"""The seat map: states, accessibility, live refresh without re-rendering, server-side prices."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app

from cinema.booking import booking
from cinema.extensions import db
from cinema.models import ReservationStatus, SeatType
from cinema.pricing import engine, price_book
from tests.booking_helpers import hold, now, patron_client, setup_showtime
from tests.factories import gen_reservation, gen_user

HTMX = {"HX-Request": "true"}


def test_map_shows_each_state_and_labels_seats_for_screen_readers(app, app_ctx):
    showtime, seats = setup_showtime(premium_rows=["C"], aisles_after=[2])
    seats[0].is_blocked = True
    db.session.commit()
    gen_reservation(gen_user(), showtime, [seats[1]], status=ReservationStatus.CONFIRMED)
    gen_reservation(gen_user(), showtime, [seats[2]], status=ReservationStatus.HELD)
    gen_reservation(gen_user(), showtime, [seats[3]], status=ReservationStatus.HELD,
                    hold_expires_at=now() - timedelta(minutes=1))  # expired: free again
    me, client = patron_client(app)
    hold(client, showtime, [seats[4]])
    page = client.get(f"/showtimes/{showtime.id}").get_data(as_text=True)
    assert 'class="screen"' in page and 'class="gap"' in page
    for state in ("state-blocked", "state-sold", "state-held", "state-mine", "state-free"):
        assert state in page, state
    assert page.count('name="seat_ids"') == len(seats)
    assert f'value="{seats[4].id}" checked' in page  # my hold is pre-selected
    assert "Row A seat 1, Regular" in page and "not available" in page
    assert "Row C seat 1, Premium" in page
    free_label = f'Row A seat 4, Regular, {"£10.00"}, free'
    assert free_label in page or "Row A seat 4, Regular" in page
    assert f'value="{seats[1].id}"  disabled' in page or \
        f'value="{seats[1].id}" disabled' in page.replace("  ", " ")


def test_seat_map_partial_is_a_fragment_and_skips_unchanged_renders(app, app_ctx):
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    url = f"/showtimes/{showtime.id}/seats"
    first = client.get(url, headers=HTMX)
    assert first.status_code == 200 and b"<html" not in first.data
    assert "HX-Request" in first.headers["Vary"]
    etag = first.headers["ETag"]
    again = client.get(url, headers={**HTMX, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    version = etag.split('"')[1]
    assert client.get(f"{url}?v={version}&sel=1", headers=HTMX).status_code in (200, 204)
    unchanged = client.get(url, query_string={"v": version}, headers=HTMX)
    assert unchanged.status_code == 204
    # Someone else takes a seat: the version moves and the map is rendered again.
    _, other = patron_client(app)
    assert hold(other, showtime, seats[:1]).status_code == 303
    changed = client.get(url, query_string={"v": version}, headers=HTMX)
    assert changed.status_code == 200 and b"state-held" in changed.data


def test_version_moves_when_a_hold_expires_by_the_clock(app, app_ctx):
    from cinema.booking import seatmap

    showtime, seats = setup_showtime()
    booking.hold_seats(gen_user().id, showtime.id, [seats[0].id], now=now())
    t0 = now()
    later = t0 + timedelta(seconds=current_app.config["HOLD_SECONDS"] + 5)
    assert seatmap.version(showtime, t0, None, None) != seatmap.version(showtime, later, None,
                                                                         None)


def test_summary_is_priced_by_the_server(app, app_ctx):
    showtime, seats = setup_showtime(premium_rows=["A"])
    _, client = patron_client(app)
    response = client.get(f"/showtimes/{showtime.id}/summary",
                          query_string={"seat_ids": [seats[0].id, seats[5].id]}, headers=HTMX)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in text
    facts, rules = engine.ShowtimeFacts.of(showtime), price_book.enabled_rules()
    expected = sum(engine.price_seat(facts, t, price_book.settings(), rules).price_cents
                   for t in (SeatType.PREMIUM, SeatType.REGULAR))
    from cinema.money import format_money

    assert format_money(expected) in text
    assert "A1" in text and "B2" in text


def test_seeded_rules_keep_matinee_weekend_and_seat_type_prices(app_ctx):
    settings, rules = price_book.settings(), price_book.enabled_rules()
    london = settings.timezone

    def at(when, base=1000):
        return engine.ShowtimeFacts(when.astimezone(timezone.utc), base)

    weekday_afternoon = at(datetime(2030, 3, 5, 14, 0, tzinfo=london))
    weekday_evening = at(datetime(2030, 3, 5, 19, 0, tzinfo=london))
    saturday = at(datetime(2030, 3, 9, 14, 0, tzinfo=london))
    matinee = engine.price_seat(weekday_afternoon, SeatType.REGULAR, settings, rules)
    assert (matinee.time_rule, matinee.price_cents) == ("Matinee", 800)
    evening = engine.price_seat(weekday_evening, SeatType.PREMIUM, settings, rules)
    assert (evening.time_rule, evening.price_cents) == (None, 1300)
    weekend = engine.price_seat(saturday, SeatType.COUPLE, settings, rules)
    assert (weekend.time_rule, weekend.price_cents) == ("Weekend", 1550)
    cheap = engine.price_seat(at(datetime(2030, 3, 5, 14, 0, tzinfo=london), 100),
                               SeatType.REGULAR, settings, rules)
    assert cheap.price_cents == 0  # never negative
    for items in (matinee, evening, weekend, cheap):
        assert items.price_cents == (items.base_price_cents + items.seat_type_adjustment_cents
                                     + items.time_adjustment_cents)


def test_anonymous_visitors_see_the_map_and_a_sign_in_link(app, app_ctx, client):
    showtime, _ = setup_showtime()
    page = client.get(f"/showtimes/{showtime.id}").get_data(as_text=True)
    assert 'id="seat-map"' in page and "Sign in to book" in page
    assert client.get("/showtimes/987654").status_code == 404


def test_the_summary_says_how_long_seats_are_held(app, app_ctx):
    showtime, _ = setup_showtime()
    _, client = patron_client(app)
    said = {}
    for seconds in (600, 60, 90):
        app.config["HOLD_SECONDS"] = seconds
        try:
            said[seconds] = client.get(f"/showtimes/{showtime.id}").text
        finally:
            app.config["HOLD_SECONDS"] = 600
    assert "Seats are held for 10 minutes while you pay." in said[600]
    assert "Seats are held for 1 minute while you pay." in said[60]
    assert "Seats are held for 90 seconds while you pay." in said[90]
