"""The worker, for real: RQ on the local Redis runs the expiry job and the periodic sweep.

``python worker.py`` as a process (idle, Redis restarts, SIGKILL) is in test_worker_process.py."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from rq import Queue

from cinema import jobs, tasks
from cinema.booking import booking
from cinema.extensions import db, get_redis
from cinema.models import CancelReason, Reservation, ReservationStatus
from tests.booking_helpers import now, setup_showtime
from tests.factories import gen_user
from worker import AppSimpleWorker, worker_class


def run_worker(app) -> None:
    """Run every queued and due scheduled job, then stop (a real RQ worker, in-process)."""
    with app.app_context():
        queue = jobs.queue()
    worker = worker_class(AppSimpleWorker, app)([queue], connection=queue.connection)
    worker.work(burst=True, with_scheduler=True)


def statuses():
    db.session.expire_all()
    return {r.id: (r.status, r.cancel_reason) for r in db.session.scalars(sa.select(Reservation))}


def test_the_scheduled_release_job_expires_a_hold(app, app_ctx):
    showtime, seats = setup_showtime()
    stale = booking.hold_seats(gen_user().id, showtime.id, [seats[0].id],
                               now=now() - timedelta(hours=1))
    live = booking.hold_seats(gen_user().id, showtime.id, [seats[1].id], now=now())
    queue = Queue(app.config["RQ_QUEUE"], connection=get_redis())
    assert queue.scheduled_job_registry.count >= 2  # one per window: the holds are 1 h apart
    run_worker(app)
    assert statuses()[stale.id] == (ReservationStatus.CANCELLED, CancelReason.EXPIRED)
    assert statuses()[live.id] == (ReservationStatus.HELD, None)


def test_a_release_job_releases_its_showtimes_expired_holds_only(app, app_ctx):
    from cinema.booking import expiry

    showtime, seats = setup_showtime()
    other, other_seats = setup_showtime()
    stale = [booking.hold_seats(gen_user().id, showtime.id, [seat.id],
                                now=now() - timedelta(hours=1)) for seat in seats[:2]]
    live = booking.hold_seats(gen_user().id, showtime.id, [seats[2].id], now=now())
    elsewhere = booking.hold_seats(gen_user().id, other.id, [other_seats[0].id],
                                   now=now() - timedelta(hours=1))
    assert expiry.release_showtime_holds(showtime.id) == 2
    assert [statuses()[hold.id] for hold in stale] == \
        [(ReservationStatus.CANCELLED, CancelReason.EXPIRED)] * 2
    assert statuses()[live.id] == statuses()[elsewhere.id] == (ReservationStatus.HELD, None)


def test_the_periodic_sweep_on_the_worker_is_idempotent(app, app_ctx):
    showtime, seats = setup_showtime()
    stale = booking.hold_seats(gen_user().id, showtime.id, [seats[0].id, seats[1].id],
                               now=now() - timedelta(hours=1))
    queue = Queue(app.config["RQ_QUEUE"], connection=get_redis())
    queue.empty()
    job = queue.enqueue(tasks.periodic_tick)
    run_worker(app)
    assert job.return_value()["sweep_expired_holds"] == 1
    after_first = statuses()
    assert after_first[stale.id] == (ReservationStatus.CANCELLED, CancelReason.EXPIRED)
    second = queue.enqueue(tasks.periodic_tick)
    run_worker(app)
    assert second.return_value()["sweep_expired_holds"] == 0
    assert statuses() == after_first
    active = db.session.scalar(sa.text("SELECT count(*) FROM reserved_seats WHERE is_active"))
    assert active == 0
