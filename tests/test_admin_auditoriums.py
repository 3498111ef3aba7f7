"""Admin auditoriums: the layout generator and its preview, seat edits that refuse to strand a
booking, and the audit log page."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from cinema.exceptions import InvalidState
from cinema.extensions import db
from cinema.models import AuditLog, Auditorium, ReservationStatus, Seat, SeatType, UserRole
from cinema.programme import venues
from tests.admin_factories import admin_client
from tests.factories import gen_auditorium, gen_reservation, gen_showtime, gen_user, seats_of

LAYOUT = {"name": "Screen 9", "description": "Test screen", "rows": "4", "seats_per_row": "6",
          "premium_rows": "C-D", "couple_rows": "", "aisles_after": "3",
          "wheelchair": "A1, A6"}


@pytest.fixture
def admin(app_ctx, app):
    return admin_client(app)


def by_label(auditorium):
    return {seat.label: seat for seat in seats_of(auditorium)}


def test_the_generator_builds_rows_premium_rows_aisles_and_wheelchair_spaces(admin):
    client, user = admin
    response = client.post("/admin/auditoriums", data=LAYOUT)
    assert response.status_code == 303
    auditorium = db.session.scalar(sa.select(Auditorium))
    assert response.headers["Location"].endswith(f"/admin/auditoriums/{auditorium.id}/seats")
    seats = by_label(auditorium)
    assert len(seats) == 24
    assert seats["A1"].seat_type is SeatType.WHEELCHAIR and seats["A6"].seat_type is SeatType.WHEELCHAIR
    assert seats["C2"].seat_type is SeatType.PREMIUM and seats["D6"].seat_type is SeatType.PREMIUM
    assert seats["B2"].seat_type is SeatType.REGULAR
    assert (seats["A3"].col_index, seats["A4"].col_index) == (2, 4)  # the aisle after 3
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "auditorium.create"))
    assert entry.actor_id == user.id and entry.after["layout"]["premium_rows"] == ["C", "D"]


@pytest.mark.parametrize("change, message", [
    ({"name": ""}, "This field is required"),
    ({"rows": "27"}, "1 to 26 rows."),
    ({"seats_per_row": "0"}, "1 to 40 seats."),
    ({"premium_rows": "Q"}, "No such row: Q."),
    ({"premium_rows": "1st"}, "is not a row letter"),
    ({"wheelchair": "A9"}, "Wheelchair places must be existing seats"),
    ({"wheelchair": "front"}, "is not a seat"),
    ({"aisles_after": "6"}, "Aisles go after a seat number inside the row."),
])
def test_generator_errors_rerender_the_form(admin, change, message):
    client, _ = admin
    response = client.post("/admin/auditoriums", data={**LAYOUT, **change})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Auditorium.id))) == 0


def test_a_taken_name_is_a_field_error(admin):
    client, _ = admin
    gen_auditorium("Screen 9")
    response = client.post("/admin/auditoriums", data=LAYOUT)
    assert response.status_code == 422
    assert "Already used by another auditorium." in response.get_data(as_text=True)


def test_the_preview_shows_the_map_without_saving(admin):
    client, _ = admin
    page = client.post("/admin/auditoriums/preview", data=LAYOUT).get_data(as_text=True)
    assert "seat seat-wheelchair state-free" in page and "seat seat-premium" in page
    assert page.count('class="gap"') == 4  # one aisle in each of 4 rows
    fragment = client.post("/admin/auditoriums/preview", data=LAYOUT,
                           headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and b"<html" not in fragment.data
    assert b'id="layout-preview"' in fragment.data
    bad = client.post("/admin/auditoriums/preview", data={**LAYOUT, "rows": "0"},
                      headers={"HX-Request": "true"})
    assert bad.status_code == 422 and b"1 to 26 rows." in bad.data
    assert db.session.scalar(sa.select(sa.func.count(Auditorium.id))) == 0


def test_batch_edit_changes_types_blocks_and_removes_seats(admin):
    client, _ = admin
    auditorium = gen_auditorium("Batch", rows=3, seats_per_row=4)
    seats = by_label(auditorium)
    url = f"/admin/auditoriums/{auditorium.id}/seats"
    assert client.post(url, data={"seat_ids": [seats["A1"].id, seats["A2"].id],
                                  "action": "type:COUPLE"}).status_code == 303
    assert client.post(url, data={"rows": "C", "action": "block"}).status_code == 303
    assert client.post(url, data={"seat_ids": [seats["B4"].id], "action": "remove"}).status_code == 303
    db.session.expire_all()
    seats = {s.label: s for s in db.session.scalars(sa.select(Seat).where(
        Seat.auditorium_id == auditorium.id))}
    assert seats["A1"].seat_type is SeatType.COUPLE and seats["A2"].seat_type is SeatType.COUPLE
    assert all(seats[f"C{n}"].is_blocked for n in range(1, 5))
    assert seats["B4"].is_deleted is True  # soft: the row stays for history
    page = client.get(url).get_data(as_text=True)
    assert "Seat B4" not in page and "Seat C1, Regular, blocked" in page
    actions = db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["seats.type", "seats.block", "seats.remove"]


def test_batch_form_errors(admin):
    client, _ = admin
    auditorium = gen_auditorium()
    url = f"/admin/auditoriums/{auditorium.id}/seats"
    response = client.post(url, data={"action": "block"})
    assert response.status_code == 422 and "Select at least one seat." in response.get_data(as_text=True)
    response = client.post(url, data={"rows": "A", "action": "paint"})
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)


def test_a_layout_change_that_would_strand_a_sold_seat_is_refused(admin):
    client, _ = admin
    auditorium = gen_auditorium("Busy", rows=2, seats_per_row=4)
    seats = by_label(auditorium)
    showtime = gen_showtime(auditorium=auditorium)
    gen_reservation(gen_user(), showtime, [seats["A2"]])
    url = f"/admin/auditoriums/{auditorium.id}/seats"
    for action in ("remove", "block", "type:PREMIUM"):
        response = client.post(url, data={"seat_ids": [seats["A1"].id, seats["A2"].id],
                                          "action": action})
        assert response.status_code == 409, action
        assert "A2 is sold or held for a showtime still to come" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(Seat, seats["A1"].id).is_deleted  # all or nothing
    assert db.session.get(Seat, seats["A1"].id).seat_type is SeatType.REGULAR
    # Unblocking never strands anyone.
    assert client.post(url, data={"seat_ids": [seats["A2"].id], "action": "unblock"}).status_code == 303


def test_only_live_claims_on_showtimes_to_come_lock_a_seat(app_ctx):
    now = datetime.now(timezone.utc)
    auditorium = gen_auditorium(rows=1, seats_per_row=4)
    a1, a2, a3, a4 = seats_of(auditorium)
    past = gen_showtime(auditorium=auditorium, starts_at=now - timedelta(days=2))
    future = gen_showtime(auditorium=auditorium)
    gen_reservation(gen_user(), past, [a1])  # a showtime that is over
    gen_reservation(gen_user(), future, [a2], status=ReservationStatus.HELD,
                    hold_expires_at=now - timedelta(minutes=1))  # an expired hold
    gen_reservation(gen_user(), future, [a3], status=ReservationStatus.CANCELLED)
    gen_reservation(gen_user(), future, [a4], status=ReservationStatus.HELD,
                    hold_expires_at=now + timedelta(minutes=5))  # a live hold
    assert [s.label for s in venues.seats_in_use([a1.id, a2.id, a3.id, a4.id], now)] == ["A4"]
    admin = gen_user(role=UserRole.ADMIN)
    venues.change_seats(auditorium.id, [a1.id, a2.id, a3.id], "remove", admin.id, now)
    with pytest.raises(InvalidState, match="A4"):
        venues.change_seats(auditorium.id, [a4.id], "block", admin.id, now)


def test_the_detail_page_previews_the_map_with_booked_seats(admin):
    client, _ = admin
    auditorium = gen_auditorium("Mapped", rows=2, seats_per_row=3)
    seats = by_label(auditorium)
    gen_reservation(gen_user(), gen_showtime(auditorium=auditorium), [seats["B2"]])
    page = client.get(f"/admin/auditoriums/{auditorium.id}").get_data(as_text=True)
    assert 'title="B2, Regular, booked"' in page and "state-sold" in page
    assert page.count('class="seat seat-regular state-free"') == 5


def test_rename_and_delete(admin):
    client, _ = admin
    auditorium = gen_auditorium("Old")
    response = client.post(f"/admin/auditoriums/{auditorium.id}/edit",
                           data={"name": "New", "description": "Renamed"})
    assert response.status_code == 303
    busy = gen_auditorium("Busy")
    gen_showtime(auditorium=busy)
    response = client.post(f"/admin/auditoriums/{busy.id}/delete")
    assert response.status_code == 409 and "still to come" in response.get_data(as_text=True)
    assert client.post(f"/admin/auditoriums/{auditorium.id}/delete").status_code == 303
    page = client.get("/admin/auditoriums").get_data(as_text=True)
    assert "Busy" in page and f"/admin/auditoriums/{auditorium.id}" not in page


def test_the_audit_page_shows_who_changed_what_before_and_after(admin):
    client, user = admin
    auditorium = gen_auditorium("Audited")
    client.post(f"/admin/auditoriums/{auditorium.id}/edit",
                data={"name": "Audited 2", "description": ""})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert f"{user.full_name} (ADMIN)" in page and "edited auditorium Audited 2" in page
    assert "<del>Audited</del> → <ins>Audited 2</ins>" in page
    filtered = client.get("/admin/audit?entity_type=movie").get_data(as_text=True)
    assert "edited auditorium" not in filtered
    fragment = client.get("/admin/audit?entity_type=auditorium", headers={"HX-Request": "true"})
    assert b"<html" not in fragment.data and b"edited auditorium Audited 2" in fragment.data
