"""Holds priced by the rules and ticket types, frozen at the hold (issue 14)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from cinema.booking import booking
from cinema.extensions import db
from cinema.models import Payment, PricingRule, Reservation, TicketType
from cinema.pricing import price_book
from tests.booking_helpers import APPROVE, JSON, hold, now, patron_client, setup_showtime
from tests.factories import gen_auditorium, gen_movie, gen_showtime, gen_user, seats_of

pytestmark = pytest.mark.usefixtures("money_checked")


def no_rules():
    db.session.execute(sa.delete(PricingRule))
    db.session.commit()


def add_rule(**fields) -> PricingRule:
    rule = PricingRule(**fields)
    db.session.add(rule)
    db.session.commit()
    return rule


def ticket(name: str) -> TicketType:
    return db.session.scalar(sa.select(TicketType).where(TicketType.name == name))


def reservation_of(response) -> Reservation:
    db.session.expire_all()
    return db.session.get(Reservation, int(response.headers["Location"].rstrip("/").split("/")[-1]))


def items_of(line) -> list[tuple[str, str, int]]:
    return [(item.kind, item.label, item.amount_cents) for item in line.items]


def test_patron_picks_a_child_ticket_and_the_hold_is_repriced(app, app_ctx):
    no_rules()
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    reservation = reservation_of(hold(client, showtime, seats[:2]))
    page = client.get(f"/bookings/{reservation.id}").get_data(as_text=True)
    assert "Ticket types" in page and "Recalculate" in page and "Child" in page
    assert [line.ticket_type.name for line in reservation.seats] == ["Adult", "Adult"]
    child = ticket("Child")
    response = client.post(f"/bookings/{reservation.id}/tickets",
                           data={f"ticket_{seats[1].id}": child.id})
    assert response.status_code == 303
    db.session.expire_all()
    reservation = db.session.get(Reservation, reservation.id)
    first, second = reservation.seats
    assert (first.price_cents, second.price_cents) == (1000, 750)
    assert items_of(second) == [("BASE", "Base price", 1000), ("TICKET_TYPE", "Child", -250)]
    assert reservation.total_price_cents == 1750
    assert "Pay £17.50" in client.get(f"/bookings/{reservation.id}").get_data(as_text=True)


def test_paying_with_a_changed_menu_sets_the_ticket_types_and_charges_nothing_yet(app, app_ctx):
    """JavaScript off: the patron picks Child and presses Pay without "Recalculate". The menus
    belong to the pay form, so the choice arrives with it: it is set and the new total shown,
    nothing is charged at the old (Adult) price. The same choice sent again pays the new total."""
    no_rules()
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    reservation = reservation_of(hold(client, showtime, seats[:2]))
    page = client.get(f"/bookings/{reservation.id}").get_data(as_text=True)
    assert f'name="ticket_{seats[1].id}" form="pay-form"' in page and 'id="pay-form"' in page
    child, adult = ticket("Child"), ticket("Adult")
    choice = {f"ticket_{seats[0].id}": adult.id, f"ticket_{seats[1].id}": child.id}
    paid = client.post(f"/bookings/{reservation.id}/confirm", data={**APPROVE, **choice})
    assert paid.status_code == 303
    shown = client.get(paid.headers["Location"]).get_data(as_text=True)
    assert "check the new total, then pay" in shown and "Pay £17.50" in shown
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0
    assert reservation_of(paid).status.value == "HELD"
    again = client.post(f"/bookings/{reservation.id}/confirm", data={**APPROVE, **choice})
    assert reservation_of(again).status.value == "CONFIRMED"
    [charge] = db.session.scalars(sa.select(Payment)).all()
    assert charge.amount_cents == 1750


def test_a_child_ticket_for_an_18_film_is_refused_clearly(app, app_ctx):
    no_rules()
    auditorium = gen_auditorium()
    showtime = gen_showtime(movie=gen_movie(age_rating="18"), auditorium=auditorium,
                            starts_at=(now() + timedelta(days=2)).replace(microsecond=0))
    seats = seats_of(auditorium)
    _, client = patron_client(app)
    reservation = reservation_of(hold(client, showtime, seats[:1]))
    response = client.post(f"/bookings/{reservation.id}/tickets", headers=JSON,
                           data={f"ticket_{seats[0].id}": ticket("Child").id})
    assert response.status_code == 422
    body = response.get_json()
    assert body["error_code"] == "TICKET_TYPE_NOT_ALLOWED"
    assert "not sold for films rated 18" in body["detail"]
    page = client.post(f"/bookings/{reservation.id}/tickets",
                       data={f"ticket_{seats[0].id}": ticket("Child").id})
    assert page.status_code == 422 and "not sold for films rated 18" in page.get_data(as_text=True)
    user = gen_user()
    with pytest.raises(price_book.TicketTypeNotAllowed):
        booking.hold_seats(user.id, showtime.id, [seats[1].id], now(),
                           tickets={seats[1].id: ticket("Child").id})
    assert ticket("Senior").id  # other concessions are fine for an 18
    held = booking.hold_seats(user.id, showtime.id, [seats[1].id], now(),
                              tickets={seats[1].id: ticket("Senior").id})
    assert held.seats[0].price_cents == 800


def test_confirmation_charges_the_held_total_after_a_rule_changes(app, app_ctx):
    no_rules()
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    reservation = reservation_of(hold(client, showtime, seats[:2]))
    held_total = reservation.total_price_cents
    assert held_total == 2000
    add_rule(name="Everything up", percent=50)  # an admin raises prices meanwhile
    assert client.post(f"/bookings/{reservation.id}/confirm", data=APPROVE).status_code == 303
    db.session.expire_all()
    reservation = db.session.get(Reservation, reservation.id)
    assert reservation.status.value == "CONFIRMED" and reservation.total_price_cents == held_total
    payment = db.session.scalar(sa.select(Payment).where(Payment.reservation_id == reservation.id))
    assert payment.amount_cents == held_total
    # A new hold now pays the new price, and its items say why.
    _, other = patron_client(app)
    later = reservation_of(hold(other, showtime, seats[2:3]))
    assert items_of(later.seats[0]) == [("BASE", "Base price", 1000),
                                        ("RULE", "Everything up", 500)]


def test_demand_is_counted_at_the_hold_and_named_in_the_items(app, app_ctx):
    no_rules()
    showtime, seats = setup_showtime()  # 12 seats
    add_rule(name="High demand", percent=15, demand_at_least=50)
    first = booking.hold_seats(gen_user().id, showtime.id, [s.id for s in seats[:5]], now())
    assert all(line.price_cents == 1000 for line in first.seats)  # 0% sold before it
    below = booking.hold_seats(gen_user().id, showtime.id, [seats[5].id], now())
    assert below.seats[0].price_cents == 1000  # 5 of 12 = 41%
    at = booking.hold_seats(gen_user().id, showtime.id, [seats[6].id], now())  # 6 of 12 = 50%
    assert items_of(at.seats[0]) == [("BASE", "Base price", 1000),
                                     ("RULE", "High demand (50% sold)", 150)]
    assert at.total_price_cents == 1150
    page = app.test_client().get(f"/showtimes/{showtime.id}").get_data(as_text=True)
    assert "Prices up 15%: high demand" in page


def test_last_minute_discount_when_under_30_percent_sold(app, app_ctx):
    no_rules()
    showtime, seats = setup_showtime(starts_in=timedelta(minutes=90))
    add_rule(name="Last minute", percent=-20, demand_below=30, lead_hours_max=2)
    add_rule(name="Busy", percent=15, demand_at_least=80)
    held = booking.hold_seats(gen_user().id, showtime.id, [seats[0].id], now())
    assert items_of(held.seats[0]) == [("BASE", "Base price", 1000),
                                       ("RULE", "Last minute (0% sold)", -200)]
    assert held.seats[0].time_rule == "Last minute (0% sold)"


def test_revenue_report_splits_sales_by_ticket_type_and_rule(app, app_ctx):
    no_rules()
    showtime, seats = setup_showtime()
    add_rule(name="Everything up", percent=10)
    user = gen_user()
    held = booking.hold_seats(user.id, showtime.id, [s.id for s in seats[:3]], now(),
                              tickets={seats[0].id: ticket("Child").id})
    booking.confirm_booking(held.id, user.id, "box_office", now())
    from cinema.models import UserRole
    from tests.booking_helpers import patron_client as signed_in

    admin_user, admin = signed_in(app, role=UserRole.ADMIN)
    # "Pay at the box office": not a sale until the counter takes the money (issue 16).
    page = admin.get("/admin/reports/revenue").get_data(as_text=True)
    assert "£8.25" not in page
    from cinema.booking import box_office

    box_office.mark_paid(held.id, admin_user.id, now())
    page = admin.get("/admin/reports/revenue").get_data(as_text=True)
    assert "Sales by ticket type" in page and "Pricing rules applied" in page
    # Adult: 2 x 11.00; Child: 11.00 - 25% = 8.25; the rule moved 3 x 1.00.
    assert "£22.00" in page and "£8.25" in page and "£3.00" in page


def test_box_office_sells_ticket_types_and_check_in_shows_concessions(app, app_ctx):
    no_rules()
    showtime, seats = setup_showtime()
    from cinema.models import UserRole
    from tests.booking_helpers import patron_client as signed_in

    _, staff = signed_in(app, role=UserRole.STAFF)
    response = staff.post("/staff/box-office/sell", data={
        "showtime_id": showtime.id, "seat_ids": [seats[0].id, seats[1].id],
        "ticket_type": ticket("Senior").id})
    assert response.status_code == 303
    sold = reservation_of(response)
    assert sold.total_price_cents == 1600
    assert [line.ticket_type.name for line in sold.seats] == ["Senior", "Senior"]
    page = staff.get("/staff/checkin", query_string={"code": sold.code}).get_data(as_text=True)
    assert "Check ID" in page and "<strong>Senior</strong> A1" in page


def test_two_holds_at_the_threshold_count_occupancy_one_after_the_other(app, app_ctx,
                                                                         monkeypatch):
    """The first hold is slowed inside its transaction (after counting, before committing);
    the second, started meanwhile, waits for it and counts its seats: 5 of 12 sold."""
    import threading
    import time

    from cinema.pricing import engine

    no_rules()
    showtime, seats = setup_showtime()  # 12 seats
    add_rule(name="High demand", percent=10, demand_at_least=40)
    showtime_id, first_ids, second_id = showtime.id, [s.id for s in seats[:5]], seats[5].id
    first_user, second_user = gen_user().id, gen_user().id
    real_price_seats, started = engine.price_seats, threading.Event()

    def slow_price_seats(*args, **kwargs):
        if not started.is_set():
            started.set()
            time.sleep(0.6)
        return real_price_seats(*args, **kwargs)

    monkeypatch.setattr(engine, "price_seats", slow_price_seats)
    results = {}

    def hold_in_thread(key, user_id, seat_ids):
        with app.app_context():
            results[key] = [(line.seat_id, line.price_cents, [i.label for i in line.items])
                            for line in booking.hold_seats(user_id, showtime_id, seat_ids,
                                                           now()).seats]
            db.session.remove()

    first = threading.Thread(target=hold_in_thread, args=("first", first_user, first_ids))
    first.start()
    assert started.wait(5)
    second = threading.Thread(target=hold_in_thread, args=("second", second_user, [second_id]))
    second.start()
    first.join(10)
    second.join(10)
    assert [price for _, price, _ in results["first"]] == [1000] * 5  # 0% sold before it
    [(_, price, labels)] = results["second"]
    # Without the ordering the second would have counted 0 of 12 and paid 10.00.
    assert (price, labels) == (1100, ["Base price", "High demand (41% sold)"])


def test_choosing_a_ticket_type_keeps_the_rules_frozen_at_the_hold(app, app_ctx):
    no_rules()
    rule = add_rule(name="Busy", percent=10)
    showtime, seats = setup_showtime()
    _, client = patron_client(app)
    reservation = reservation_of(hold(client, showtime, seats[:1]))
    assert reservation.total_price_cents == 1100
    rule.percent = 50  # the admin edits the rule while the patron is on the hold page
    db.session.commit()
    response = client.post(f"/bookings/{reservation.id}/tickets",
                           data={f"ticket_{seats[0].id}": ticket("Senior").id})
    assert response.status_code == 303
    db.session.expire_all()
    reservation = db.session.get(Reservation, reservation.id)
    # 10.00 + 10 % as at the hold = 11.00; Senior -20 % = -2.20: 8.80 (not 15.00 - 3.00).
    assert items_of(reservation.seats[0]) == [("BASE", "Base price", 1000), ("RULE", "Busy", 100),
                                              ("TICKET_TYPE", "Senior", -220)]
    assert reservation.total_price_cents == 880
    assert client.post(f"/bookings/{reservation.id}/confirm", data=APPROVE).status_code == 303
    payment = db.session.scalar(sa.select(Payment).where(Payment.reservation_id == reservation.id))
    assert payment.amount_cents == 880
