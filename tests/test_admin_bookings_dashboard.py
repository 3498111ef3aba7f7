"""The admin dashboard's widgets and the admin bookings list, detail and cancel."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from cinema.extensions import db
from cinema.messaging import notifications
from cinema.models import (
    AuditLog,
    OutboxEmail,
    OutboxStatus,
    Reservation,
    ReservationStatus,
    ReservedSeat,
    UserRole,
)
from cinema.reports import dashboard, reports
from cinema.reports.report_dates import DateRange
from tests.factories import gen_user, login, seats_of
from tests.reports_factories import add_booking, build_week, utc


@pytest.fixture
def week(app_ctx):
    return build_week()


@pytest.fixture
def admin_client(app, week):
    client = app.test_client()
    admin = gen_user(UserRole.ADMIN)
    assert login(client, admin.email).status_code == 303
    client.admin = admin
    return client


def test_dashboard_figures(week):
    now = utc(12, 12)  # Wed 12 June, 13:00 local
    a = {f"{s.row_label}{s.number}": s for s in seats_of(week["screen_a"])}
    b = {f"{s.row_label}{s.number}": s for s in seats_of(week["screen_b"])}
    # S2 reaches 4 of 5 seats (80%): close to selling out. Confirmed in May: no revenue here.
    add_booking(week["u4"], week["s2"], [b["A5"]], [(800, 0, 0, 0)], confirmed_at=utc(31, 9, month=5))
    add_booking(week["u4"], week["s1"], [a["A3"]], [(1000, 0, 200, 0)],
                status=ReservationStatus.HELD, created_at=now - timedelta(minutes=2))
    expired = add_booking(week["u3"], week["s1"], [a["B3"]], [(1000, 300, 200, 0)],
                          status=ReservationStatus.HELD, created_at=now - timedelta(minutes=20))
    assert expired.hold_expires_at < now
    mail = notifications.queue_email("test", "x@example.com", "Your tickets", "hello")
    mail.status, mail.last_error = OutboxStatus.FAILED, "550 mailbox unavailable"
    db.session.commit()

    board = dashboard.dashboard(now)
    assert [(r.label, r.sold, r.capacity) for r in board.showtimes_today] == [("Alpha", 5, 7)]
    assert (board.holds.holds, board.holds.seats, board.holds.showtimes) == (1, 1, 1)
    assert [(label, total.net_cents) for label, _, total in board.revenue] == \
        [("Today", 5900), ("This week", 8300), ("This month", 8300)]
    assert [(r.label, r.sold, r.capacity) for r in board.selling_out] == [("Beta", 4, 5)]
    assert board.failed_emails == 1
    assert board.recent_failures[0].last_error == "550 mailbox unavailable"


def test_dashboard_page_shows_the_widgets_without_repeating_the_sub_navigation(admin_client):
    html = admin_client.get("/admin/").get_data(as_text=True)
    for text in ("Admin dashboard", "Net revenue", "Holds in progress", "Today's showtimes",
                 "To pay at the box office today", "Close to selling out", "Failed emails"):
        assert text in html, text
    # Issue 16: the shortcut cards repeated the admin sub-navigation just above them.
    assert 'class="tile"' not in html and html.count('aria-label="Admin sections"') == 1


def codes(response) -> set[str]:
    html = response.get_data(as_text=True)
    return {r.code for r in db.session.scalars(sa.select(Reservation)) if r.code in html}


def test_bookings_list_filters(admin_client, week):
    w = week
    every = {w[f"r{n}"].code for n in range(1, 9)}
    assert codes(admin_client.get("/admin/bookings")) == every
    assert codes(admin_client.get("/admin/bookings?email=UNA@")) == \
        {w["r1"].code, w["r3"].code, w["r8"].code}
    assert codes(admin_client.get("/admin/bookings?status=CANCELLED")) == \
        {w["r4"].code, w["r5"].code, w["r6"].code}
    # S2 starts at 00:30 local on the 13th (23:30 UTC on the 12th).
    assert codes(admin_client.get("/admin/bookings?date=2030-06-13")) == \
        {w["r3"].code, w["r4"].code}
    assert codes(admin_client.get(f"/admin/bookings?movie_id={w['beta'].id}")) == \
        {w["r3"].code, w["r4"].code}
    assert codes(admin_client.get(f"/admin/bookings?showtime_id={w['s3'].id}")) == \
        {w["r7"].code}
    assert admin_client.get("/admin/bookings?status=LOST").status_code == 422


def test_bookings_list_is_paginated(admin_client, week):
    from cinema.booking import admin_bookings

    page = admin_bookings.search(admin_bookings.BookingFilters(), page=2, per_page=3)
    assert (page.total, page.pages, len(page.items)) == (8, 3, 3)
    html = admin_client.get("/admin/bookings?status=CANCELLED&page=1").get_data(as_text=True)
    assert "Page " not in html  # one page only: no pager


def test_booking_detail_and_admin_cancel(admin_client, week):
    r2, r1 = week["r2"], week["r1"]
    html = admin_client.get(f"/admin/bookings/{r2.id}").get_data(as_text=True)
    for text in (r2.code, "tom@example.com", "Premium", "£10.00", "£3.00", "−£1.50", "£13.50", "£27.00"):
        assert text in html, text
    assert "cannot be cancelled" not in html and "Cancel this booking" not in html  # completed

    response = admin_client.post(f"/admin/bookings/{r1.id}/cancel", data={"confirm": "1"})
    assert response.status_code == 303
    db.session.expire_all()
    cancelled = db.session.get(Reservation, r1.id)
    assert cancelled.status is ReservationStatus.CANCELLED
    assert cancelled.cancel_reason.value == "ADMIN"
    assert not any(db.session.scalars(sa.select(ReservedSeat.is_active).where(
        ReservedSeat.reservation_id == r1.id)))
    assert db.session.scalar(sa.select(AuditLog.action).where(
        AuditLog.entity_id == r1.id)) == "reservation.cancel"
    assert db.session.scalar(sa.select(OutboxEmail.to_address).where(
        OutboxEmail.reservation_id == r1.id)) == "una@example.com"
    # Revenue: the cancelled sale is refunded in full on the day of the cancellation.
    day = cancelled.cancelled_at.astimezone(cancelled.cancelled_at.tzinfo).date()
    refunds = reports.revenue_total(DateRange(day - timedelta(days=1), day + timedelta(days=1)))
    assert refunds.refunds_cents == 2400
    assert admin_client.post(f"/admin/bookings/{r1.id}/cancel", data={"confirm": "1"}).status_code == 409
    assert admin_client.get("/admin/bookings/999999").status_code == 404


def test_staff_cannot_reach_admin_bookings(app, week):
    client = app.test_client()
    login(client, week["staff"].email)
    assert client.get("/admin/bookings").status_code == 403
    assert client.post(f"/admin/bookings/{week['r1'].id}/cancel").status_code == 403
