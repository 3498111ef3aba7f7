"""The reports fixture: one week of a small cinema, with every figure computed by hand.

Times are in June 2030, British Summer Time (UTC+1), so local days and UTC days differ:

Screen A: A1-A4 regular (A4 blocked), B1-B4 premium -> capacity 7 (3 regular, 4 premium).
Screen B: A1-A5 regular -> capacity 5.
S1 Alpha, Screen A, Wed 12 Jun 19:00 local.  S2 Beta, Screen B, Thu 13 Jun 00:30 local
(just after midnight: 12 Jun 23:30 UTC).  S3 Alpha, Screen B, 20 Jun (outside the range).
S4 Beta, Screen A, 14 Jun, cancelled (left out of occupancy).

Bookings (line items per seat: base + seat type + time - discount = price):
R1 U1 S1 A1,A2      2 x (1000+0+200-0)=1200   confirmed 09 Jun 23:15 UTC = 10 Jun local
R2 U2 S1 B1,B2      2 x (1000+300+200-150)=1350  confirmed 11 Jun 23:30 UTC = 12 Jun local, COMPLETED
R3 U1 S2 A1,A2,A3   3 x 800                   confirmed 12 Jun local 23:45
R4 U3 S2 A4         800, confirmed 12 Jun, cancelled 14 Jun with a SUCCEEDED REFUND payment of 800
R5 U3 S1 A3         a hold that expired: never confirmed, never revenue
R6 U2 S1 B3         1000+300+200 = 1500, confirmed 13 Jun, cancelled by an admin on 15 Jun with
                    no refund payment (box office): refunded in full on 15 Jun
R7 U4 S3 A1         900, confirmed 14 Jun (revenue in range; its showtime is not)
R8 U1 S1 B4         1350, confirmed 16 Jun 23:30 UTC = 17 Jun local: outside the range
Also: a FAILED refund payment of 500 on R1 (never counted) and SUCCEEDED charges.

Expected, for 10-16 Jun 2030: see EXPECTED below.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from cinema.extensions import db
from cinema.models import (
    CancelReason,
    Payment,
    PaymentKind,
    PaymentStatus,
    Reservation,
    ReservationStatus,
    ReservedSeat,
    UserRole,
)
from tests.factories import gen_auditorium, gen_movie, gen_showtime, gen_user, seats_of

FIRST, LAST = date(2030, 6, 10), date(2030, 6, 16)


def utc(day: int, hour: int, minute: int = 0, month: int = 6) -> datetime:
    return datetime(2030, month, day, hour, minute, tzinfo=timezone.utc)


def add_booking(user, showtime, seats, lines, status=ReservationStatus.CONFIRMED,
                confirmed_at=None, created_at=None, cancelled_at=None, cancel_reason=None,
                payments=()) -> Reservation:
    """A reservation with explicit line items ``(base, seat_type, time, discount)`` per seat."""
    active = status in (ReservationStatus.CONFIRMED, ReservationStatus.COMPLETED,
                        ReservationStatus.HELD)
    created_at = created_at or (confirmed_at - timedelta(minutes=5))
    reservation = Reservation(
        user_id=user.id, showtime_id=showtime.id, status=status, confirmed_at=confirmed_at,
        created_at=created_at, cancelled_at=cancelled_at, cancel_reason=cancel_reason,
        hold_expires_at=created_at + timedelta(minutes=10),
        total_price_cents=sum(b + s + t - d for b, s, t, d in lines))
    for seat, (base, seat_type, time_adj, discount) in zip(seats, lines, strict=True):
        reservation.seats.append(ReservedSeat(
            showtime_id=showtime.id, seat_id=seat.id, is_active=active, base_price_cents=base,
            seat_type_adjustment_cents=seat_type, time_adjustment_cents=time_adj,
            discount_cents=discount, price_cents=base + seat_type + time_adj - discount))
    db.session.add(reservation)
    db.session.flush()
    for n, (kind, state, amount, at) in enumerate(payments):
        db.session.add(Payment(reservation_id=reservation.id, provider="simulated", kind=kind,
                               status=state, amount_cents=amount, created_at=at,
                               idempotency_key=f"fixture-{reservation.id}-{n}"))
    db.session.commit()
    return reservation


def build_week() -> dict:
    """Create the fixture described in the module docstring; returns its objects by name."""
    screen_a = gen_auditorium("Screen A", rows=2, seats_per_row=4, premium_rows=["B"])
    screen_b = gen_auditorium("Screen B", rows=1, seats_per_row=5)
    a = {f"{s.row_label}{s.number}": s for s in seats_of(screen_a)}
    b = {f"{s.row_label}{s.number}": s for s in seats_of(screen_b)}
    a["A4"].is_blocked = True
    alpha, beta = gen_movie("Alpha", duration_minutes=100), gen_movie("Beta", duration_minutes=90)
    s1 = gen_showtime(alpha, screen_a, utc(12, 18), base_price_cents=1000)
    s2 = gen_showtime(beta, screen_b, utc(12, 23, 30), base_price_cents=800)
    s3 = gen_showtime(alpha, screen_b, utc(20, 18), base_price_cents=900)
    s4 = gen_showtime(beta, screen_a, utc(14, 12), base_price_cents=800)
    s4.cancelled_at = utc(13, 9)

    u1 = gen_user(email="una@example.com", full_name="Una One")
    u2 = gen_user(email="tom@example.com", full_name="Tom Two")
    u3 = gen_user(email="tia@example.com", full_name="Tia Three")
    u4 = gen_user(email="flo@example.com", full_name="Flo Four")
    staff = gen_user(UserRole.STAFF, email="desk@example.com")
    u1.created_at, u2.created_at, u3.created_at = utc(1, 9), utc(10, 12), utc(12, 23, 30)
    u4.created_at, staff.created_at = utc(16, 23, 30), utc(11, 9)
    db.session.commit()

    ok, refund, charge = PaymentStatus.SUCCEEDED, PaymentKind.REFUND, PaymentKind.CHARGE
    r1 = add_booking(u1, s1, [a["A1"], a["A2"]], [(1000, 0, 200, 0)] * 2,
                     confirmed_at=utc(9, 23, 15),
                     payments=[(charge, ok, 2400, utc(9, 23, 15)),
                               (refund, PaymentStatus.FAILED, 500, utc(15, 9))])
    r2 = add_booking(u2, s1, [a["B1"], a["B2"]], [(1000, 300, 200, 150)] * 2,
                     status=ReservationStatus.COMPLETED, confirmed_at=utc(11, 23, 30))
    r3 = add_booking(u1, s2, [b["A1"], b["A2"], b["A3"]], [(800, 0, 0, 0)] * 3,
                     confirmed_at=utc(12, 22, 45))
    r4 = add_booking(u3, s2, [b["A4"]], [(800, 0, 0, 0)], status=ReservationStatus.CANCELLED,
                     confirmed_at=utc(12, 12), cancelled_at=utc(14, 9),
                     cancel_reason=CancelReason.PATRON,
                     payments=[(charge, ok, 800, utc(12, 12)), (refund, ok, 800, utc(14, 9))])
    r5 = add_booking(u3, s1, [a["A3"]], [(1000, 0, 200, 0)], status=ReservationStatus.CANCELLED,
                     created_at=utc(12, 10), cancelled_at=utc(12, 10, 10),
                     cancel_reason=CancelReason.EXPIRED)
    r6 = add_booking(u2, s1, [a["B3"]], [(1000, 300, 200, 0)],
                     status=ReservationStatus.CANCELLED, confirmed_at=utc(13, 10),
                     cancelled_at=utc(15, 10), cancel_reason=CancelReason.ADMIN)
    r7 = add_booking(u4, s3, [b["A1"]], [(900, 0, 0, 0)], confirmed_at=utc(14, 18))
    r8 = add_booking(u1, s1, [a["B4"]], [(1000, 300, 200, 150)], confirmed_at=utc(16, 23, 30))
    return dict(screen_a=screen_a, screen_b=screen_b, alpha=alpha, beta=beta, s1=s1, s2=s2,
                s3=s3, s4=s4, u1=u1, u2=u2, u3=u3, u4=u4, staff=staff, r1=r1, r2=r2, r3=r3,
                r4=r4, r5=r5, r6=r6, r7=r7, r8=r8)


# Hand-computed figures for 10-16 June 2030 (cents).
EXPECTED = {
    # day: (bookings, seats, sales, refunds count, refunds, net)
    "days": {
        date(2030, 6, 10): (1, 2, 2400, 0, 0, 2400),
        date(2030, 6, 11): (0, 0, 0, 0, 0, 0),
        date(2030, 6, 12): (3, 6, 5900, 0, 0, 5900),
        date(2030, 6, 13): (1, 1, 1500, 0, 0, 1500),
        date(2030, 6, 14): (1, 1, 900, 1, 800, 100),
        date(2030, 6, 15): (0, 0, 0, 1, 1500, -1500),
        date(2030, 6, 16): (0, 0, 0, 0, 0, 0),
    },
    "total": (6, 10, 10700, 2, 2300, 8400),
    "line_items": (9100, 900, 1000, 300),  # base, seat type, time, discount
    "films": {"Alpha": (4, 6, 7500, 1, 1500, 6000), "Beta": (2, 4, 3200, 1, 800, 2400)},
    "auditoriums": {"Screen A": (3, 5, 6600, 1, 1500, 5100),
                    "Screen B": (3, 5, 4100, 1, 800, 3300)},
    # occupancy: (showtimes, sold, capacity, {type: (sold, capacity)})
    "occupancy_total": (2, 8, 12, {"REGULAR": (5, 8), "PREMIUM": (3, 4)}),
    "occupancy_films": {"Alpha": (1, 5, 7), "Beta": (1, 3, 5)},
    "occupancy_auditoriums": {"Screen A": (1, 5, 7), "Screen B": (1, 3, 5)},
    "occupancy_showtimes": [("Alpha", 5, 7), ("Beta", 3, 5)],
    # user stats
    "signups": 2, "active_bookers": 4, "repeat_bookers": 2, "bookings": 6,
    "cancelled_bookings": 2, "holds": 7, "abandoned_holds": 1,
    "top_patrons": [("una@example.com", 2, 4800), ("tom@example.com", 2, 2700),
                    ("flo@example.com", 1, 900), ("tia@example.com", 1, 0)],
}
