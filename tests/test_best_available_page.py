""""Find me N seats" on the showtime page: the best seats together come back ticked, with and
without JavaScript, for patrons and at the box office."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from cinema.extensions import db
from cinema.models import Reservation, UserRole
from tests.booking_helpers import hold, patron_client, setup_showtime
from tests.factories import gen_user
from tests.test_browser_booking import sign_in


def checked(html: str) -> set[int]:
    return {int(v) for v in re.findall(r'name="seat_ids" value="(\d+)" checked', html)}


@pytest.fixture
def hall(app_ctx):
    showtime, seats = setup_showtime(rows=4, seats_per_row=8, aisles_after=[2, 6])
    return showtime, {f"{s.row_label}{s.number}": s for s in seats}


def test_best_seats_come_back_ticked_for_the_patron_and_the_box_office(app, hall):
    showtime, seats = hall
    for role in (UserRole.USER, UserRole.STAFF):
        _, client = patron_client(app, role=role)
        page = client.get(f"/showtimes/{showtime.id}?best=4")
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        # 4 rows: the ideal is row C (two thirds back); the middle block is seats 3-6.
        assert checked(html) == {seats[f"C{n}"].id for n in (3, 4, 5, 6)}
        assert "We have ticked C3, C4, C5, C6 for you" in html


def test_taken_seats_move_the_pick_and_none_together_says_so(app, hall):
    showtime, seats = hall
    _, other = patron_client(app)
    assert hold(other, showtime, [seats[f"C{n}"] for n in range(1, 9)]).status_code == 303
    _, client = patron_client(app)
    html = client.get(f"/showtimes/{showtime.id}?best=4").get_data(as_text=True)
    assert "We have ticked B3, B4, B5, B6 for you" in html  # C is full: B and D tie, B is nearer
    html = client.get(f"/showtimes/{showtime.id}?best=5").get_data(as_text=True)
    assert "There are no 5 seats together any more" in html and not checked(html)
    # Two of a block of four: not the middle two, which would strand one seat each side.
    html = client.get(f"/showtimes/{showtime.id}?best=2").get_data(as_text=True)
    assert "We have ticked B3, B4 for you" in html


@pytest.mark.parametrize("value", ["0", "11", "x", "3.5", "-1"])
def test_a_party_size_outside_one_to_ten_is_refused(client, hall, value):
    showtime, _ = hall
    page = client.get(f"/showtimes/{showtime.id}?best={value}")
    assert page.status_code == 422
    html = page.get_data(as_text=True)  # the page itself, with the message by the form
    assert 'id="seat-map"' in html and "a whole number from 1 to 10" in html


@pytest.mark.browser
def test_find_seats_then_hold_with_and_without_javascript(browser_page, hall):
    showtime, seats = hall
    user = gen_user(full_name="Bea Booker")
    page = browser_page
    sign_in(page, user)
    page.goto(f"/showtimes/{showtime.id}")
    page.get_by_label("Find me").fill("4")
    page.get_by_role("button", name="Find seats").click()
    expect(page.get_by_role("status").filter(has_text="We have ticked C3, C4, C5, C6 for you")).to_be_visible()
    expect(page.get_by_role("checkbox", name=re.compile(r"^Row C seat 6,"))).to_be_checked()
    page.get_by_role("button", name=re.compile("Hold")).click()
    expect(page).to_have_url(re.compile(r"/bookings/\d+$"))
    reservation = db.session.scalars(sa.select(Reservation).where(Reservation.user_id == user.id)).one()
    assert {s.seat_id for s in reservation.seats} == {seats[f"C{n}"].id for n in (3, 4, 5, 6)}
