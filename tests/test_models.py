"""The data model: migrations agree with the models, and the database guards the invariants."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cinema.extensions import db
from cinema.models import (
    Auditorium,
    Movie,
    Reservation,
    ReservedSeat,
    Seat,
    Showtime,
    User,
    UserRole,
)
from tests.factories import gen_user

T0 = datetime(2030, 3, 1, 18, 0, tzinfo=timezone.utc)


def test_migrations_and_models_agree(app_ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def make_showtime(starts=T0, minutes=120, auditorium=None) -> Showtime:
    movie = Movie(title="Test Film", duration_minutes=minutes, age_rating="12A")
    auditorium = auditorium or Auditorium(name=f"Screen {starts:%H%M%S%f}")
    db.session.add_all([movie, auditorium])
    db.session.flush()
    showtime = Showtime(movie_id=movie.id, auditorium_id=auditorium.id, starts_at=starts,
                        ends_at=starts + timedelta(minutes=minutes), base_price_cents=1000)
    db.session.add(showtime)
    db.session.flush()
    return showtime


def reserve(user: User, showtime: Showtime, seat: Seat) -> Reservation:
    reservation = Reservation(user_id=user.id, showtime_id=showtime.id,
                              hold_expires_at=T0, total_price_cents=1000)
    reservation.seats.append(ReservedSeat(showtime_id=showtime.id, seat_id=seat.id,
                                          base_price_cents=1000, price_cents=1000))
    db.session.add(reservation)
    db.session.flush()
    return reservation


def test_one_seat_of_one_showtime_cannot_be_active_twice(app_ctx):
    showtime = make_showtime()
    seat = Seat(auditorium_id=showtime.auditorium_id, row_label="A", number=1,
                row_index=0, col_index=0)
    db.session.add(seat)
    first, second = gen_user(), gen_user()
    reservation = reserve(first, showtime, seat)
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError, match="uq_reserved_seats_active"):
        reserve(second, showtime, seat)
    db.session.rollback()
    # Once the first reservation lets go of the seat, the seat can be reserved again.
    db.session.execute(sa.update(ReservedSeat).where(
        ReservedSeat.reservation_id == reservation.id).values(is_active=False))
    reserve(second, showtime, seat)
    db.session.commit()


def test_overlapping_showtimes_in_one_auditorium_are_refused_by_the_database(app_ctx):
    first = make_showtime(T0)
    auditorium = db.session.get(Auditorium, first.auditorium_id)
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError, match="ex_showtimes_no_overlap"):
        make_showtime(T0 + timedelta(minutes=60), auditorium=auditorium)
    db.session.rollback()
    # Back to back is fine: [start, end) ranges.
    make_showtime(T0 + timedelta(minutes=120), auditorium=auditorium)
    db.session.commit()


def test_showtime_must_end_after_it_starts_and_cost_something(app_ctx):
    showtime = make_showtime()
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError, match="ends_after_start"):
        db.session.execute(sa.update(Showtime).values(ends_at=showtime.starts_at))
    db.session.rollback()
    with pytest.raises(sa.exc.IntegrityError, match="price_positive"):
        db.session.execute(sa.update(Showtime).values(base_price_cents=0))
    db.session.rollback()


def test_email_is_unique_whatever_its_case(app_ctx):
    gen_user(email="Case@Example.com")
    with pytest.raises(sa.exc.IntegrityError, match="uq_users_email_lower"):
        gen_user(email="case@example.COM")
    db.session.rollback()


def test_times_come_back_aware_utc_and_naive_times_are_refused(app_ctx):
    showtime = make_showtime()
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.get(Showtime, showtime.id)
    assert loaded.starts_at == T0 and loaded.starts_at.utcoffset() == timedelta(0)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db.session.execute(sa.update(Showtime).values(starts_at=datetime(2030, 1, 1)))
    db.session.rollback()


def test_every_table_has_the_audit_fields(app_ctx):
    for table in db.metadata.sorted_tables:
        assert {"created_at", "updated_at", "created_by", "is_deleted"} <= set(table.c.keys()), \
            table.name


def test_roles_are_stored_by_name(app_ctx):
    gen_user(role=UserRole.ADMIN)
    assert db.session.execute(sa.text("SELECT role FROM users")).scalar() == "ADMIN"
