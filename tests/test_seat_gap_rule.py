"""The single-seat gap rule on real holds: refused with SINGLE_SEAT_GAP naming the seat and the
shift, switchable by SEAT_GAP_RULE, and skippable by the box office sale by sale."""
from __future__ import annotations

import pytest

from cinema.models import UserRole
from tests.booking_helpers import JSON, hold, patron_client, setup_showtime


@pytest.fixture
def gap_rule(app):
    app.config["SEAT_GAP_RULE"] = True
    yield
    app.config["SEAT_GAP_RULE"] = False


@pytest.fixture
def row_of_six(app_ctx):
    showtime, seats = setup_showtime(rows=1, seats_per_row=6)
    return showtime, {f"{s.row_label}{s.number}": s for s in seats}


def test_a_hold_that_strands_a_seat_is_refused_naming_it_and_the_shift(app, gap_rule, row_of_six):
    showtime, seats = row_of_six
    _, client = patron_client(app)
    response = hold(client, showtime, [seats["A2"], seats["A3"]], headers=JSON)
    assert response.status_code == 422
    body = response.get_json()
    assert body["error_code"] == "SINGLE_SEAT_GAP" and body["seat"] == "A1"
    assert body["suggestion"] == ["A1", "A2"]
    assert "seat A1 on its own" in body["detail"] and "Choose A1, A2 instead" in body["detail"]
    page = hold(client, showtime, [seats["A2"], seats["A3"]])  # the form: the map again, with why
    assert page.status_code == 422 and b"seat A1 on its own" in page.data
    assert hold(client, showtime, [seats["A1"], seats["A2"]]).status_code == 303


def test_a_gap_against_a_taken_seat_and_a_replaced_hold(app, gap_rule, row_of_six):
    showtime, seats = row_of_six
    _, other = patron_client(app)
    assert hold(other, showtime, [seats["A1"], seats["A2"]]).status_code == 303
    _, client = patron_client(app)
    refused = hold(client, showtime, [seats["A4"], seats["A5"]], headers=JSON)
    assert refused.status_code == 422 and refused.get_json()["seat"] == "A3"
    # The patron's own earlier hold is replaced, so its seats count as free for the check.
    assert hold(client, showtime, [seats["A5"], seats["A6"]]).status_code == 303
    assert hold(client, showtime, [seats["A3"], seats["A4"]]).status_code == 303


def test_the_rule_can_be_switched_off(app, row_of_six):
    showtime, seats = row_of_six
    assert app.config["SEAT_GAP_RULE"] is False
    _, client = patron_client(app)
    assert hold(client, showtime, [seats["A2"], seats["A3"]]).status_code == 303


def test_the_box_office_may_skip_the_rule_for_a_sale(app, gap_rule, row_of_six):
    showtime, seats = row_of_six
    _, staff = patron_client(app, role=UserRole.STAFF)
    data = {"showtime_id": showtime.id, "seat_ids": [seats["A2"].id]}
    refused = staff.post("/staff/box-office/sell", data=data, headers=JSON)
    assert refused.status_code == 422 and refused.get_json()["error_code"] == "SINGLE_SEAT_GAP"
    sold = staff.post("/staff/box-office/sell", data={**data, "allow_single_gaps": "1"})
    assert sold.status_code == 303
