"""What an uncontended hold sends: four statements to PostgreSQL (the user loader, the
retire-and-read statement, the insert, COMMIT) and one Redis round trip. Counts, never times
(docs/PERFORMANCE.md has the figures); the module docstring of cinema/booking/holds.py says what
each statement does."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
import redis
import sqlalchemy as sa

from cinema.extensions import db
from cinema.models import CancelReason, Reservation, ReservationStatus
from tests.booking_helpers import hold, now, patron_client, setup_showtime
from tests.factories import gen_reservation, gen_user


@contextmanager
def round_trips():
    """The statements sent to PostgreSQL inside the block ("COMMIT" for a commit) and the
    Redis commands and pipelines."""
    sent: dict[str, list] = {"sql": [], "redis": []}

    def statement(conn, cursor, text, parameters, context, executemany):
        sent["sql"].append(text.strip())

    def commit(conn):
        sent["sql"].append("COMMIT")

    command, execute = redis.Redis.execute_command, redis.client.Pipeline.execute

    def counted_command(self, *args, **options):
        sent["redis"].append(args[0])
        return command(self, *args, **options)

    def counted_execute(self, *args, **kwargs):
        sent["redis"].append(f"pipeline of {len(self.command_stack)}")
        return execute(self, *args, **kwargs)

    sa.event.listen(db.engine, "before_cursor_execute", statement)
    sa.event.listen(db.engine, "commit", commit)
    redis.Redis.execute_command = counted_command
    redis.client.Pipeline.execute = counted_execute
    try:
        yield sent
    finally:
        redis.Redis.execute_command, redis.client.Pipeline.execute = command, execute
        sa.event.remove(db.engine, "before_cursor_execute", statement)
        sa.event.remove(db.engine, "commit", commit)


@pytest.mark.parametrize("gap_rule", [False, True], ids=["gap-rule-off", "gap-rule-on"])
def test_an_uncontended_hold_is_four_statements_and_one_redis_round_trip(app, app_ctx,
                                                                          gap_rule):
    app.config["SEAT_GAP_RULE"] = gap_rule
    try:
        showtime, seats = setup_showtime(rows=2, seats_per_row=6)
        showtime_id, ids = showtime.id, [s.id for s in seats]
        user, client = patron_client(app)
        # An expired hold of someone else's on a wanted seat, and the patron's previous hold:
        # both are retired by the same statement.
        gen_reservation(gen_user(), showtime, [seats[2]], status=ReservationStatus.HELD,
                        hold_expires_at=now() - timedelta(minutes=1))
        assert hold(client, showtime, seats[:2]).status_code == 303
        with round_trips() as sent:
            response = client.post("/bookings/hold", data={"showtime_id": showtime_id,
                                                           "seat_ids": ids[2:4]})
        assert response.status_code == 303
    finally:
        app.config["SEAT_GAP_RULE"] = False
    assert len(sent["sql"]) == 4, "\n\n".join(sent["sql"])
    assert sent["sql"][0].startswith("SELECT /* prepared */ users.")
    assert sent["sql"][-1] == "COMMIT"
    assert sent["redis"] == ["pipeline of 4"] or (
        len(sent["redis"]) == 1 and sent["redis"][0].startswith("pipeline")), sent["redis"]
    db.session.expire_all()
    held = db.session.scalars(sa.select(Reservation).where(Reservation.user_id == user.id)
                              .order_by(Reservation.id)).all()
    assert [r.status for r in held] == [ReservationStatus.CANCELLED, ReservationStatus.HELD]
    assert held[0].cancel_reason is CancelReason.REPLACED
    assert sorted(line.seat_id for line in held[1].seats) == ids[2:4]
    assert all(line.is_active for line in held[1].seats)
    assert not any(line.is_active for line in held[0].seats)
    expired = db.session.scalars(sa.select(Reservation).where(
        Reservation.showtime_id == showtime_id, Reservation.user_id != user.id)).one()
    assert expired.status is ReservationStatus.CANCELLED
    assert expired.cancel_reason is CancelReason.EXPIRED


def test_the_hold_returned_is_the_one_stored(app, app_ctx):
    from cinema.booking import booking

    showtime, seats = setup_showtime()
    user = gen_user()
    returned = booking.hold_seats(user.id, showtime.id, [seats[0].id, seats[1].id], now=now())
    snapshot = {c: getattr(returned, c) for c in
                ("id", "code", "user_id", "showtime_id", "status", "hold_expires_at",
                 "total_price_cents", "cancel_reason", "confirmed_at")}
    assert sorted(line.seat_id for line in returned.seats) == [seats[0].id, seats[1].id]
    db.session.expire_all()
    stored = db.session.get(Reservation, returned.id)
    assert {c: getattr(stored, c) for c in snapshot} == snapshot
    assert stored.total_price_cents == sum(line.price_cents for line in stored.seats) > 0


def test_the_expiry_job_is_scheduled_through_the_pipeline_once_per_showtime_and_window(
        app, app_ctx):
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    from cinema.booking import booking, expiry
    from cinema.extensions import get_redis

    showtime, seats = setup_showtime()
    other, other_seats = setup_showtime()
    registry = ScheduledJobRegistry(queue=Queue(app.config["RQ_QUEUE"], connection=get_redis()))
    at = now()

    def hold_scheduling(showtime_id, seat, when) -> str:
        """Hold, and say what went to Redis: "stamp" alone, or "stamp and job"."""
        with round_trips() as sent:
            booking.hold_seats(gen_user().id, showtime_id, [seat.id], now=when)
        assert len(sent["redis"]) == 1  # one round trip either way
        return "stamp" if sent["redis"] == ["pipeline of 1"] else "stamp and job"

    assert hold_scheduling(showtime.id, seats[0], at) == "stamp and job"
    reservation = db.session.scalars(sa.select(Reservation).where(
        Reservation.showtime_id == showtime.id)).one()
    runs_at = expiry.release_window(reservation.hold_expires_at)
    job = registry.job_class.fetch(expiry.release_job_id(showtime.id, runs_at),
                                   connection=get_redis())
    assert job.args == (showtime.id,) and job.func_name.endswith("release_showtime_holds")
    # Its key is the installation's: another one on the same Redis has a showtime of this id too.
    assert job.id.startswith(f"{app.config['REDIS_PREFIX']}-release-holds-")
    assert 0 < (registry.get_scheduled_time(job) - reservation.hold_expires_at
                ).total_seconds() <= expiry.RELEASE_WINDOW_SECONDS + 1
    # Another hold of the showtime expiring in the same window (at its very end): no job.
    last_in_window = at + (runs_at - timedelta(seconds=1) - reservation.hold_expires_at)
    assert hold_scheduling(showtime.id, seats[1], last_in_window) == "stamp"
    # Another showtime, or the next window: a job of its own.
    assert hold_scheduling(other.id, other_seats[0], at) == "stamp and job"
    next_window = last_in_window + timedelta(microseconds=1)
    assert hold_scheduling(showtime.id, seats[2], next_window) == "stamp and job"


def test_a_window_is_remembered_only_once_redis_took_its_job(app, app_ctx, monkeypatch):
    from cinema.booking import booking, expiry

    showtime, seats = setup_showtime()
    remembered = set(expiry.ScheduledReleases._ids)

    def refuse(self, *args, **kwargs):
        raise redis.ConnectionError("Redis is down")

    with monkeypatch.context() as patch:
        patch.setattr(redis.client.Pipeline, "execute", refuse)
        held = booking.hold_seats(gen_user().id, showtime.id, [seats[0].id], now=now())
    assert held.status is ReservationStatus.HELD  # the hold does not wait for Redis
    assert expiry.ScheduledReleases._ids == remembered
    with round_trips() as sent:  # the next hold in the window schedules the job
        booking.hold_seats(gen_user().id, showtime.id, [seats[1].id], now=now())
    assert len(sent["redis"]) == 1 and sent["redis"] != ["pipeline of 1"]


def test_a_busy_pooled_connection_is_not_pinged_an_idle_one_is(app, monkeypatch):
    from cinema.extensions import ping_idle_connections

    pings = []
    with app.app_context():
        engine = sa.create_engine(db.engine.url, pool_size=1)
    ping_idle_connections(engine, idle_seconds=60)
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping",
                        lambda connection: pings.append(1) or ping(connection))
    try:
        for _ in range(3):
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        assert pings == []  # each checkout found a connection used less than 60 s ago
        for record in list(engine.pool._pool.queue):
            record.info["idle_since"] -= 3600  # as if the app had been quiet for an hour
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        assert pings == [1]
    finally:
        engine.dispose()
