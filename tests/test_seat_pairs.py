"""Seats sold together: couple seats only in their pairs, a companion seat only with its wheelchair
space. The layout generator and the layout editor set the pairs; the hold service enforces them
for every way in (the seat map form, JSON, the box office, the API); best available respects them.
"""
from __future__ import annotations

import pytest

from cinema.booking import best_available, seat_pairs
from cinema.booking.seatmap import FREE, SeatCell, SeatRow
from cinema.exceptions import SeatPairSplit, ValidationFailed
from cinema.extensions import db
from cinema.models import Seat, SeatType, UserRole
from cinema.programme import venues
from tests.booking_helpers import JSON, hold, now, patron_client, setup_showtime
from tests.factories import gen_user


def by_label(seats):
    return {seat.label: seat for seat in seats}


def partner_of(seats, label):
    partner_id = seats[label].partner_seat_id
    return next((s.label for s in seats.values() if s.id == partner_id), None)


# --- the layout generator ---------------------------------------------------------------------

def test_the_generator_pairs_couple_seats_in_each_block_and_gives_wheelchair_spaces_companions():
    spec = venues.LayoutSpec(rows=2, seats_per_row=7, couple_rows=["B"], aisles_after=[3],
                             wheelchair=[("A", 1), ("A", 7)])
    seats = {f"{s['row_label']}{s['number']}": s for s in venues.generate_seats(spec)}
    # Row B: block 1-3 pairs 1+2 (3 left over: a regular seat), block 4-7 pairs 4+5 and 6+7.
    assert [(n, seats[f"B{n}"]["partner_number"]) for n in range(1, 8)] == [
        (1, 2), (2, 1), (3, None), (4, 5), (5, 4), (6, 7), (7, 6)]
    assert seats["B3"]["seat_type"] is SeatType.REGULAR
    assert seats["B4"]["seat_type"] is SeatType.COUPLE
    # A1's companion is beside it to the right; A7 has no seat to its right, so A6.
    assert seats["A1"]["partner_number"] == 2 and seats["A2"]["partner_number"] == 1
    assert seats["A7"]["partner_number"] == 6 and seats["A6"]["partner_number"] == 7


def test_two_wheelchair_spaces_side_by_side_each_get_the_next_seat_out(app_ctx):
    showtime, seats = setup_showtime(rows=1, seats_per_row=6, wheelchair=[("A", 3), ("A", 4)])
    seats = by_label(seats)
    assert partner_of(seats, "A3") == "A2" and partner_of(seats, "A4") == "A5"
    assert partner_of(seats, "A1") is None and partner_of(seats, "A6") is None


# --- the hold service -------------------------------------------------------------------------

@pytest.fixture
def paired(app_ctx):
    """A1 a wheelchair space with companion A2 (A3, A4 regular); B1+B2 and B3+B4 couple pairs."""
    showtime, seats = setup_showtime(rows=2, seats_per_row=4, couple_rows=["B"],
                                     wheelchair=[("A", 1)])
    seats = by_label(seats)
    assert partner_of(seats, "A1") == "A2" and partner_of(seats, "B1") == "B2"
    return showtime, seats


def test_half_a_couple_seat_is_refused_naming_its_partner(app, paired):
    showtime, seats = paired
    _, client = patron_client(app)
    response = hold(client, showtime, [seats["B1"]], headers=JSON)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error_code"] == "SEAT_PAIR_SPLIT" and body["seats"] == ["B1", "B2"]
    assert "B1 and B2 are a couple seat" in body["detail"]
    page = hold(client, showtime, [seats["B2"]])  # the form: the map again, saying why
    assert page.status_code == 422 and b"B2 and B1 are a couple seat" in page.data
    assert hold(client, showtime, [seats["B1"], seats["B2"]]).status_code == 303


def test_a_companion_seat_needs_its_wheelchair_space_but_the_space_may_go_alone(app, paired):
    showtime, seats = paired
    _, client = patron_client(app)
    response = hold(client, showtime, [seats["A2"]], headers=JSON)
    assert response.status_code == 422
    assert "companion seat of wheelchair space A1" in response.get_json()["detail"]
    assert hold(client, showtime, [seats["A1"], seats["A2"]]).status_code == 303
    _, other = patron_client(app)
    showtime2, seats2 = setup_showtime(rows=1, seats_per_row=6, wheelchair=[("A", 1)])
    assert hold(other, showtime2, [by_label(seats2)["A1"]]).status_code == 303


def test_the_box_office_and_the_service_refuse_a_split_pair_too(app, paired):
    from cinema.booking import box_office

    showtime, seats = paired
    staff = gen_user(role=UserRole.STAFF)
    with pytest.raises(SeatPairSplit):
        box_office.sell(staff.id, showtime.id, [seats["B3"].id], now())
    db.session.rollback()
    assert box_office.sell(staff.id, showtime.id, [seats["B3"].id, seats["B4"].id], now())


def test_the_seat_map_joins_pairs_and_names_the_partner(app, paired):
    showtime, seats = paired
    _, client = patron_client(app)
    page = client.get(f"/showtimes/{showtime.id}").get_data(as_text=True)
    assert "couple seat, sold as a pair with B2" in page
    assert "companion seat, sold only with wheelchair space A1" in page
    assert f'data-partner="{seats["B2"].id}" data-pair="couple"' in page
    assert "Companion seat (booked with the wheelchair space beside it)" in page


# --- best available ---------------------------------------------------------------------------

def cell(seat_id, number, seat_type=SeatType.REGULAR, partner=None):
    return SeatCell(seat_id, "A", number, number - 1, seat_type, FREE, partner)


def test_best_available_never_splits_a_couple_pair_nor_offers_a_companion_seat():
    couple = SeatType.COUPLE
    row = SeatRow("A", [cell(1, 1, SeatType.WHEELCHAIR, 2), cell(2, 2, partner=1),
                        cell(3, 3, couple, 4), cell(4, 4, couple, 3),
                        cell(5, 5, couple, 6), cell(6, 6, couple, 5)])
    for n in (1, 3, 5):  # no run of an odd size can hold whole couple pairs here
        assert best_available.best_seats([row], n) == []
    assert [c.id for c in best_available.best_seats([row], 2)] in ([3, 4], [5, 6])
    assert [c.id for c in best_available.best_seats([row], 4)] == [3, 4, 5, 6]


def test_the_rule_is_a_plain_function_of_the_seats():
    class S:
        def __init__(self, id, label, seat_type, partner):
            self.id, self.label, self.seat_type, self.partner_seat_id = id, label, seat_type, partner

    labels = {1: "A1", 2: "A2"}
    seat_pairs.check([S(1, "A1", SeatType.WHEELCHAIR, 2)], labels.get)  # the space alone: fine
    with pytest.raises(SeatPairSplit, match="companion seat of wheelchair space A1"):
        seat_pairs.check([S(2, "A2", SeatType.REGULAR, 1)], labels.get)
    seat_pairs.check([S(1, "A1", SeatType.COUPLE, 2), S(2, "A2", SeatType.COUPLE, 1)], labels.get)


# --- the layout editor ------------------------------------------------------------------------

def test_an_admin_pairs_and_unpairs_seats_and_a_type_change_drops_the_link(app_ctx):
    admin = gen_user(role=UserRole.ADMIN)
    showtime, seats = setup_showtime(rows=2, seats_per_row=4)
    auditorium_id, seats = showtime.auditorium_id, by_label(seats)

    def fresh():
        return by_label(db.session.scalars(
            db.select(Seat).where(Seat.auditorium_id == auditorium_id)).all())

    venues.change_seats(auditorium_id, [seats["A1"].id, seats["A2"].id], "type:COUPLE",
                        admin.id, now())
    venues.change_seats(auditorium_id, [seats["A1"].id, seats["A2"].id], "pair", admin.id, now())
    assert partner_of(fresh(), "A1") == "A2" and partner_of(fresh(), "A2") == "A1"
    venues.change_seats(auditorium_id, [seats["A1"].id], "type:REGULAR", admin.id, now())
    assert partner_of(fresh(), "A1") is None and partner_of(fresh(), "A2") is None

    venues.change_seats(auditorium_id, [seats["B1"].id], "type:WHEELCHAIR", admin.id, now())
    venues.change_seats(auditorium_id, [seats["B1"].id, seats["B2"].id], "pair", admin.id, now())
    assert partner_of(fresh(), "B2") == "B1"
    venues.change_seats(auditorium_id, [seats["B2"].id], "unpair", admin.id, now())
    assert partner_of(fresh(), "B1") is None

    for picked, why in ([["A1", "B1"], "not side by side"], [["A3", "A4"], "Pair two couple seats"],
                        [["A1"], "exactly two seats"]):
        with pytest.raises(ValidationFailed, match=why):
            venues.change_seats(auditorium_id, [seats[label].id for label in picked], "pair",
                                admin.id, now())
        db.session.rollback()
