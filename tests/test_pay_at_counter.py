"""Pay at the counter, closed loop: an unpaid box-office booking is caught at the door and paid
and admitted in one step, released before the start if nobody pays, counted as a sale when it
is paid (not when it is confirmed), and listed on the dashboard."""
from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from cinema import tasks
from cinema.booking import box_office, checkin
from cinema.extensions import db
from cinema.models import (
    AuditLog,
    CancelReason,
    OutboxEmail,
    PaymentMethod,
    ReservationStatus,
    UserRole,
    utcnow,
)
from cinema.reports import dashboard, reports
from cinema.reports.report_dates import DateRange
from tests.factories import (
    gen_reservation,
    gen_showtime,
    gen_user,
    later_today,
    login,
    seats_of,
)

# 19:30 in London on a summer day; the showtime is the same evening.
NOW = datetime(2030, 6, 1, 18, 30, tzinfo=timezone.utc)


def unpaid_booking(starts_at=NOW + timedelta(hours=1), price_cents=950, **fields):
    showtime = gen_showtime(starts_at=starts_at)
    patron = gen_user(full_name="Petra Patron")
    fields.setdefault("confirmed_at", starts_at - timedelta(days=2))
    return gen_reservation(patron, showtime, seats_of(showtime.auditorium)[:2],
                           price_cents=price_cents, payment_method=PaymentMethod.BOX_OFFICE,
                           **fields)


@pytest.fixture
def staff(app_ctx):
    return gen_user(role=UserRole.STAFF, full_name="Dora Door")


def test_an_unpaid_booking_is_refused_as_unpaid_with_its_amount(staff):
    reservation = unpaid_booking()
    found = checkin.lookup(reservation.code, NOW)
    assert isinstance(found.refusal, checkin.Unpaid) and found.refusal.error_code == "UNPAID"
    assert "£19.00" in found.refusal.detail
    with pytest.raises(checkin.Unpaid):
        checkin.admit(reservation.code, staff.id, NOW)
    db.session.expire_all()
    assert reservation.status is ReservationStatus.CONFIRMED and reservation.paid_at is None


def test_looking_up_an_unpaid_booking_of_another_day_says_it_is_unpaid(app, staff):
    """Not at the door yet (another day's showtime): the booking's card says what is owed."""
    reservation = unpaid_booking(starts_at=utcnow() + timedelta(days=3))
    client = app.test_client()
    login(client, staff.email)
    page = client.get(f"/staff/checkin?code={reservation.code}").get_data(as_text=True)
    assert "Not paid" in page and "£19.00 to pay at the counter" in page


def test_take_payment_and_admit_records_the_payment_and_the_admission_audited(staff):
    reservation = unpaid_booking()
    admitted = checkin.admit(reservation.code, staff.id, NOW, take_payment=True)
    assert admitted.status is ReservationStatus.COMPLETED and admitted.paid_at == NOW
    assert admitted.sold_by == staff.id and admitted.admitted_by == staff.id
    actions = db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["boxoffice.paid", "booking.admit"]
    # Once paid and admitted, a second try is refused, and pays nothing twice.
    with pytest.raises(checkin.AlreadyAdmitted):
        checkin.admit(reservation.code, staff.id, NOW, take_payment=True)


def test_take_payment_does_not_admit_a_refused_booking(staff):
    reservation = unpaid_booking(status=ReservationStatus.CANCELLED,
                                 cancel_reason=CancelReason.PATRON)
    with pytest.raises(checkin.BookingCancelled):
        checkin.admit(reservation.code, staff.id, NOW, take_payment=True)
    db.session.expire_all()
    assert reservation.paid_at is None


def test_unpaid_bookings_are_released_before_the_start_with_an_email(app, staff):
    assert app.config["BOX_OFFICE_RELEASE_MINUTES"] == 30
    due = unpaid_booking(starts_at=NOW + timedelta(minutes=29))
    later = unpaid_booking(starts_at=NOW + timedelta(minutes=45))
    paid = unpaid_booking(starts_at=NOW + timedelta(minutes=20), paid_at=NOW - timedelta(days=1))
    started = unpaid_booking(starts_at=NOW - timedelta(minutes=5))

    assert box_office.release_unpaid(NOW) == 1
    assert box_office.release_unpaid(NOW) == 0  # idempotent
    db.session.expire_all()
    assert due.status is ReservationStatus.CANCELLED and due.cancel_reason is CancelReason.EXPIRED
    assert not any(line.is_active for line in due.seats)
    assert [r.status for r in (later, paid, started)] == [ReservationStatus.CONFIRMED] * 3
    [mail] = db.session.scalars(sa.select(OutboxEmail)).all()
    assert mail.kind == "unpaid_released" and mail.reservation_id == due.id
    assert mail.subject.startswith("Seats released:")


def test_the_periodic_tick_releases_unpaid_bookings(app_ctx):
    soon = unpaid_booking(starts_at=utcnow() + timedelta(minutes=10))
    assert tasks.periodic_tick()["release_unpaid_box_office"] == 1
    db.session.expire_all()
    assert soon.status is ReservationStatus.CANCELLED


def london_day(day: date) -> DateRange:
    return DateRange(day, day)


def test_revenue_counts_a_box_office_sale_on_the_day_it_is_paid(app_ctx, staff):
    # Confirmed on 28 May, paid at the door on 1 June: a sale of 1 June only.
    reservation = unpaid_booking(confirmed_at=datetime(2030, 5, 28, 12, tzinfo=timezone.utc))
    confirmed_day = london_day(date(2030, 5, 28))
    paid_day = london_day(date(2030, 6, 1))
    assert reports.revenue_total(confirmed_day, now=NOW).sales_cents == 0
    assert reports.revenue_total(paid_day, now=NOW).sales_cents == 0

    checkin.admit(reservation.code, staff.id, NOW, take_payment=True)
    later = NOW + timedelta(days=3)  # every day closed: read through the rollup as well
    for now in (NOW, later):
        assert reports.revenue_total(confirmed_day, now=now).sales_cents == 0
        total = reports.revenue_total(paid_day, now=now)
        assert (total.bookings, total.seats, total.sales_cents) == (1, 2, 1900)


def test_patron_statistics_count_a_box_office_booking_when_it_is_paid(app_ctx, staff):
    from cinema.reports.user_stats import user_stats

    reservation = unpaid_booking(confirmed_at=datetime(2030, 5, 28, 12, tzinfo=timezone.utc))
    confirmed_day, paid_day = london_day(date(2030, 5, 28)), london_day(date(2030, 6, 1))
    for day in (confirmed_day, paid_day):
        assert user_stats(day, "day", NOW).bookings == 0
    checkin.admit(reservation.code, staff.id, NOW, take_payment=True)
    assert user_stats(confirmed_day, "day", NOW).bookings == 0
    stats = user_stats(paid_day, "day", NOW)
    assert (stats.bookings, stats.active_bookers) == (1, 1)
    assert stats.top_patrons[0].full_name == "Petra Patron"


def test_a_released_unpaid_booking_is_neither_a_sale_nor_a_refund(app_ctx):
    reservation = unpaid_booking(starts_at=NOW + timedelta(minutes=10),
                                 confirmed_at=NOW - timedelta(hours=2))
    box_office.release_unpaid(NOW)
    db.session.expire_all()
    assert reservation.status is ReservationStatus.CANCELLED
    total = reports.revenue_total(london_day(date(2030, 6, 1)), now=NOW)
    assert (total.sales_cents, total.refunds, total.refunds_cents) == (0, 0, 0)


def test_the_dashboard_lists_today_s_unpaid_bookings(app_ctx, client):
    now = utcnow()
    unpaid = unpaid_booking(starts_at=later_today(1, now), confirmed_at=now)
    unpaid_booking(starts_at=later_today(2, now), confirmed_at=now, paid_at=now)
    board = dashboard.dashboard(now)
    assert [row.code for row in board.unpaid_today] == [unpaid.code]
    admin = gen_user(role=UserRole.ADMIN)
    login(client, admin.email)
    page = client.get("/admin/").get_data(as_text=True)
    assert "To pay at the box office today" in page and unpaid.code in page and "£19.00" in page


# --- the door screen ---------------------------------------------------------------------

def test_the_door_screen_shows_unpaid_then_takes_payment_and_admits(client, staff):
    reservation = unpaid_booking(starts_at=later_today())
    login(client, staff.email)
    refused = client.post("/staff/checkin", data={"code": reservation.code, "door": "1"})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert 'data-verdict="unpaid"' in page and "Unpaid: £19.00" in page
    assert "Take payment and admit" in page and ">Refuse</a>" in page

    paid = client.post("/staff/checkin", data={"code": reservation.code, "door": "1",
                                               "take_payment": "1"})
    assert paid.status_code == 303 and paid.headers["Location"].endswith("door=1")
    page = client.get(paid.headers["Location"]).get_data(as_text=True)
    assert 'data-verdict="admit"' in page and "Admit 2" in page
    assert reservation.showtime.movie.title in page and 'autofocus' in page
    db.session.expire_all()
    assert reservation.status is ReservationStatus.COMPLETED and reservation.paid_at is not None
    # The verdict is shown once: the next scan starts from a clean screen.
    assert 'data-verdict' not in client.get("/staff/checkin?door=1").get_data(as_text=True)


def test_the_door_screen_refuses_in_red_with_the_reason(client, staff):
    login(client, staff.email)
    response = client.post("/staff/checkin", data={"code": "ZZZZZZZZZZ", "door": "1"})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert 'data-verdict="refuse"' in page and "No booking has this code" in page
    assert 'method="post"' in page and 'name="door" value="1"' in page


def _race(app, code: str, staff_ids: list[int], when: datetime) -> list[str]:
    """Each staff member takes payment for ``code`` at once, from their own thread and
    session: another transaction holds the booking's row until both wait on it."""
    other = db.engine.connect()
    other.execute(sa.text("SELECT id FROM reservations WHERE code = :code FOR UPDATE"),
                  {"code": code})  # its transaction stays open
    outcome: list[str] = []

    def take_payment(staff_id: int) -> None:
        with app.app_context():
            try:
                checkin.admit(code, staff_id, when, take_payment=True)
                outcome.append("admitted")
            except checkin.DomainError as refusal:
                outcome.append(refusal.error_code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take_payment, args=(staff_id,)) for staff_id in staff_ids]
    for thread in threads:
        thread.start()
    waiting = sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                      "AND datname = current_database()")
    with db.engine.connect() as watcher:
        deadline = time.monotonic() + 30
        while watcher.execute(waiting).scalar() < len(staff_ids) and time.monotonic() < deadline:
            time.sleep(0.05)
    other.commit()
    other.close()
    for thread in threads:
        thread.join(30)
    return sorted(outcome)


@pytest.mark.usefixtures("money_checked")
def test_two_staff_taking_payment_at_once_take_it_once(app, app_ctx):
    """A real race: both doors scan the same unpaid booking and press "Take payment and
    admit"; both pass the lookup (unpaid), both wait on the row; one takes the payment and
    admits, the other is told the booking is already admitted. One payment, one admission."""
    reservation = unpaid_booking()
    first = gen_user(role=UserRole.STAFF, full_name="Dora Door")
    second = gen_user(role=UserRole.STAFF, full_name="Sam Second")
    code, ids = reservation.code, [first.id, second.id]
    db.session.commit()
    assert _race(app, code, ids, NOW) == ["ALREADY_ADMITTED", "admitted"]
    db.session.expire_all()
    assert reservation.status is ReservationStatus.COMPLETED and reservation.paid_at == NOW
    assert reservation.sold_by == reservation.admitted_by
    actions = db.session.scalars(sa.select(AuditLog.action).where(
        AuditLog.entity_id == reservation.id).order_by(AuditLog.id)).all()
    assert actions.count("boxoffice.paid") == 1 and actions.count("booking.admit") == 1


@pytest.mark.usefixtures("money_checked")
def test_paid_at_the_counter_meanwhile_the_door_admits_without_taking_it_again(app_ctx,
                                                                               monkeypatch):
    """The counter took the money (mark_paid) between the door's lookup and its admission:
    the door admits, and records no second payment."""
    reservation = unpaid_booking()
    staff_member = gen_user(role=UserRole.STAFF)
    found = checkin.lookup(reservation.code, NOW)
    assert isinstance(found.refusal, checkin.Unpaid)
    box_office.mark_paid(reservation.id, staff_member.id, NOW - timedelta(minutes=1))
    real_lookup, seen = checkin.lookup, [found]  # the door's first look saw it unpaid
    monkeypatch.setattr(checkin, "lookup", lambda code, now: seen.pop() if seen
                        else real_lookup(code, now))
    admitted = checkin.admit(reservation.code, staff_member.id, NOW, take_payment=True)
    assert admitted.status is ReservationStatus.COMPLETED
    assert admitted.paid_at == NOW - timedelta(minutes=1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
        AuditLog.action == "boxoffice.paid")) == 1


def test_the_money_invariant_catches_a_booking_admitted_unpaid(app_ctx):
    from tests.money_invariant import money_invariant_violations

    reservation = unpaid_booking(status=ReservationStatus.COMPLETED)
    db.session.commit()
    assert money_invariant_violations(db.engine) == [
        f"reservation {reservation.id} ({reservation.code}) was admitted unpaid"]
