"""CLI commands: seed-demo (idempotent) and create-admin."""
from __future__ import annotations

import sqlalchemy as sa

from cinema.extensions import db
from cinema.models import (
    Auditorium,
    Movie,
    Reservation,
    ReservationStatus,
    Seat,
    SeatType,
    Showtime,
    User,
    UserRole,
)


def counts():
    return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (User, Movie, Auditorium, Seat, Showtime)}


def test_seed_demo_builds_a_believable_cinema_and_runs_twice(app, app_ctx):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "admin@lumen.example / admin-demo-pass" in result.output
    first = counts()
    assert first["Auditorium"] == 3 and first["Movie"] >= 8
    assert first["Showtime"] >= 3 * 14
    types = set(db.session.scalars(sa.select(Seat.seat_type).distinct()))
    assert types == {SeatType.REGULAR, SeatType.PREMIUM, SeatType.WHEELCHAIR, SeatType.COUPLE}
    roles = set(db.session.scalars(sa.select(User.role)))
    assert roles == {UserRole.USER, UserRole.STAFF, UserRole.ADMIN}
    assert all(m.poster_path and m.genres for m in db.session.scalars(sa.select(Movie)))
    # The README promises the demo patron a booking to look at.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation).join(
        User, User.id == Reservation.user_id).where(
        User.email == "patron@lumen.example",
        Reservation.status == ReservationStatus.CONFIRMED)) >= 1

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert counts() == first


def test_create_admin(app, app_ctx):
    result = app.test_cli_runner().invoke(args=[
        "create-admin", "--email", "Boss@Lumen.example", "--name", "The Boss",
        "--password", "boss-pass-1"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User))
    assert user.email == "boss@lumen.example" and user.role is UserRole.ADMIN
