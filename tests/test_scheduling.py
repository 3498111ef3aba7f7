"""Scheduling rules: end time and buffer, overlap, local times across midnight and DST,
series, edits, and cancelling a showtime with bookings."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import current_app

from cinema.exceptions import InvalidState, ShowtimeConflict, ValidationFailed
from cinema.extensions import db
from cinema.models import (
    AuditLog,
    CancelReason,
    OutboxEmail,
    Reservation,
    ReservationStatus,
    ReservedSeat,
    Showtime,
    UserRole,
)
from cinema.programme import cancellation, scheduling
from tests.factories import gen_auditorium, gen_movie, gen_reservation, gen_showtime, gen_user, seats_of

pytestmark = pytest.mark.usefixtures("money_checked")

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2030, 3, 1, 9, 0, tzinfo=timezone.utc)
UTC = timezone.utc


def at(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


@pytest.fixture
def admin(app_ctx):
    return gen_user(role=UserRole.ADMIN)


def test_end_time_is_start_plus_film_plus_cleaning_buffer():
    assert scheduling.end_time(at(2030, 3, 2, 18), 120, 15) == at(2030, 3, 2, 20, 15)


def test_overlap_is_refused_and_names_the_conflicting_showtime(app_ctx, admin):
    movie, screen = gen_movie("Orbital", duration_minutes=100), gen_auditorium("Screen A")
    first = scheduling.schedule_showtime(movie.id, screen.id, at(2030, 3, 2, 18), 1000, 15, NOW,
                                         admin.id)
    with pytest.raises(ShowtimeConflict) as caught:
        # Starts inside the cleaning buffer of the first (which ends 19:55).
        scheduling.create_showtime(movie.id, screen.id, at(2030, 3, 2, 19, 50), 1000, 15, NOW)
    assert f"showtime #{first.id}" in caught.value.detail
    assert "Orbital" in caught.value.detail and "Screen A" in caught.value.detail
    assert caught.value.field_errors["starts_at"]


def test_back_to_back_after_the_buffer_is_fine_and_other_auditoriums_are_independent(app_ctx):
    movie, screen, other = gen_movie(duration_minutes=100), gen_auditorium(), gen_auditorium()
    scheduling.create_showtime(movie.id, screen.id, at(2030, 3, 2, 18), 1000, 15, NOW)
    scheduling.create_showtime(movie.id, screen.id, at(2030, 3, 2, 19, 55), 1000, 15, NOW)
    scheduling.create_showtime(movie.id, other.id, at(2030, 3, 2, 18, 30), 1000, 15, NOW)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Showtime.id))) == 3


def test_a_cancelled_showtime_frees_its_slot(app_ctx, admin):
    movie, screen = gen_movie(), gen_auditorium()
    first = scheduling.schedule_showtime(movie.id, screen.id, at(2030, 3, 2, 18), 1000, 15, NOW,
                                         admin.id)
    cancellation.cancel_showtime(first.id, admin.id, NOW)
    again = scheduling.schedule_showtime(movie.id, screen.id, at(2030, 3, 2, 18), 1000, 15, NOW,
                                         admin.id)
    assert again.id != first.id


def test_start_must_be_in_the_future_and_price_positive(app_ctx):
    movie, screen = gen_movie(), gen_auditorium()
    with pytest.raises(ValidationFailed, match="future"):
        scheduling.create_showtime(movie.id, screen.id, NOW, 1000, 15, NOW)
    with pytest.raises(ValidationFailed, match="more than zero"):
        scheduling.create_showtime(movie.id, screen.id, at(2030, 3, 2, 18), 0, 15, NOW)


def test_a_showtime_across_midnight_blocks_the_early_hours_of_the_next_day(app_ctx):
    movie, screen = gen_movie(duration_minutes=150), gen_auditorium()
    late = scheduling.local_to_utc(date(2030, 7, 5), time(23, 0), LONDON)
    showtime = scheduling.create_showtime(movie.id, screen.id, late, 1000, 15, NOW)
    db.session.commit()
    # 23:00 BST + 165 min = 01:45 BST the next day.
    assert showtime.ends_at.astimezone(LONDON) == datetime(2030, 7, 6, 1, 45, tzinfo=LONDON)
    early = scheduling.local_to_utc(date(2030, 7, 6), time(1, 30), LONDON)
    with pytest.raises(ShowtimeConflict, match=f"#{showtime.id}"):
        scheduling.create_showtime(movie.id, screen.id, early, 1000, 15, NOW)
    ok = scheduling.local_to_utc(date(2030, 7, 6), time(1, 45), LONDON)
    scheduling.create_showtime(movie.id, screen.id, ok, 1000, 15, NOW)


def test_a_local_time_skipped_by_the_spring_change_is_refused():
    # 30 March 2030: UK clocks go from 01:00 to 02:00.
    with pytest.raises(ValidationFailed, match="does not exist"):
        scheduling.local_to_utc(date(2030, 3, 31), time(1, 30), LONDON)


def test_a_local_time_repeated_in_autumn_is_its_first_occurrence():
    # 27 October 2030: 01:00-02:00 happens twice; the first is still BST (UTC+1).
    assert scheduling.local_to_utc(date(2030, 10, 27), time(1, 30), LONDON) == at(2030, 10, 27, 0, 30)


def test_overlap_across_the_autumn_change_counts_real_time_not_wall_clock(app_ctx):
    # The night the clocks go back has 25 hours: a film from 00:30 BST to 02:45 wall-clock
    # takes 3h15 of real time, so a 02:00 GMT start (after the repeat) still clashes.
    movie, screen = gen_movie(duration_minutes=180), gen_auditorium()
    start = scheduling.local_to_utc(date(2030, 10, 27), time(0, 30), LONDON)
    showtime = scheduling.create_showtime(movie.id, screen.id, start, 1000, 15, NOW)
    db.session.commit()
    assert showtime.ends_at - showtime.starts_at == timedelta(minutes=195)
    assert showtime.ends_at.astimezone(LONDON).strftime("%H:%M %Z") == "02:45 GMT"
    clash = scheduling.local_to_utc(date(2030, 10, 27), time(2, 30), LONDON)
    with pytest.raises(ShowtimeConflict):
        scheduling.create_showtime(movie.id, screen.id, clash, 1000, 15, NOW)


def test_a_series_keeps_local_times_across_a_dst_change(app_ctx, admin):
    movie, screen = gen_movie(duration_minutes=100), gen_auditorium()
    spec = scheduling.SeriesSpec(movie.id, screen.id, date(2030, 3, 29), date(2030, 4, 1),
                                 [time(19, 0), time(14, 0)], 1100)
    created = scheduling.schedule_series(spec, LONDON, 15, NOW, admin.id)
    assert len(created) == 8
    assert {s.starts_at.astimezone(LONDON).strftime("%H:%M") for s in created} == {"14:00", "19:00"}
    offsets = sorted({s.starts_at.astimezone(LONDON).utcoffset() for s in created})
    assert offsets == [timedelta(0), timedelta(hours=1)]  # GMT before, BST after
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "showtime.create_series"))
    assert entry.actor_id == admin.id and len(entry.after["showtime_ids"]) == 8


def test_a_series_on_chosen_weekdays_only(app_ctx, admin):
    movie, screen = gen_movie(), gen_auditorium()
    spec = scheduling.SeriesSpec(movie.id, screen.id, date(2030, 3, 4), date(2030, 3, 17),
                                 [time(20, 0)], 900, weekdays={5, 6})
    created = scheduling.schedule_series(spec, LONDON, 15, NOW, admin.id)
    assert [s.starts_at.astimezone(LONDON).strftime("%a %d") for s in created] == [
        "Sat 09", "Sun 10", "Sat 16", "Sun 17"]


def test_a_series_that_clashes_anywhere_schedules_nothing(app_ctx, admin):
    movie, screen = gen_movie(duration_minutes=100), gen_auditorium("Big")
    blocker = gen_showtime(movie, screen, starts_at=scheduling.local_to_utc(
        date(2030, 3, 6), time(18, 30), LONDON))
    spec = scheduling.SeriesSpec(movie.id, screen.id, date(2030, 3, 4), date(2030, 3, 8),
                                 [time(19, 0)], 900)
    with pytest.raises(ShowtimeConflict) as caught:
        scheduling.schedule_series(spec, LONDON, 15, NOW, admin.id)
    assert f"showtime #{blocker.id}" in caught.value.detail
    assert db.session.scalar(sa.select(sa.func.count(Showtime.id))) == 1


def test_a_series_whose_own_times_overlap_is_refused(app_ctx, admin):
    movie, screen = gen_movie(duration_minutes=120), gen_auditorium()
    spec = scheduling.SeriesSpec(movie.id, screen.id, date(2030, 3, 4), date(2030, 3, 4),
                                 [time(14, 0), time(15, 30)], 900)
    with pytest.raises(ValidationFailed, match="overlap"):
        scheduling.schedule_series(spec, LONDON, 15, NOW, admin.id)


def test_a_series_with_a_time_in_the_past_is_refused(app_ctx, admin):
    movie, screen = gen_movie(), gen_auditorium()
    spec = scheduling.SeriesSpec(movie.id, screen.id, date(2030, 3, 1), date(2030, 3, 3),
                                 [time(8, 0)], 900)  # 08:00 GMT on 1 March is before NOW
    with pytest.raises(ValidationFailed, match="in the past"):
        scheduling.schedule_series(spec, LONDON, 15, NOW, admin.id)


def test_a_series_partly_in_the_past_names_the_first_start_and_counts_the_rest(app_ctx, admin):
    movie, screen = gen_movie(), gen_auditorium()
    spec = scheduling.SeriesSpec(movie.id, screen.id, date(2030, 2, 27), date(2030, 3, 3),
                                 [time(8, 0)], 900)  # 27 Feb - 1 Mar at 08:00 are before NOW
    with pytest.raises(ValidationFailed) as refused:
        scheduling.schedule_series(spec, LONDON, 15, NOW, admin.id)
    assert refused.value.detail == "08:00 on Wed 27 Feb (and 2 other starts) is in the past."
    assert set(refused.value.field_errors) == {"first_day"}


def test_the_database_constraint_backs_up_the_check(app_ctx, monkeypatch):
    """If another admin takes the slot between our check and our insert, the exclusion
    constraint refuses it and the same named error comes out, not an IntegrityError."""
    movie, screen = gen_movie(), gen_auditorium()
    existing = gen_showtime(movie, screen, starts_at=at(2030, 3, 2, 18))
    real_find = scheduling.find_conflict
    calls = []

    def check_misses_it_once(*args, **kwargs):
        calls.append(args)
        return None if len(calls) == 1 else real_find(*args, **kwargs)

    monkeypatch.setattr(scheduling, "find_conflict", check_misses_it_once)
    with pytest.raises(ShowtimeConflict, match=f"#{existing.id}"):
        scheduling.create_showtime(movie.id, screen.id, at(2030, 3, 2, 18, 30), 1000, 15, NOW)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Showtime.id))) == 1


def _booked_showtime():
    movie, screen = gen_movie("Cold Harbour"), gen_auditorium(rows=2, seats_per_row=4)
    showtime = gen_showtime(movie, screen, starts_at=at(2030, 3, 2, 18))
    seats = seats_of(screen)
    alice, bob, carol = gen_user(), gen_user(), gen_user()
    paid = gen_reservation(alice, showtime, seats[:2], paid_at=NOW)
    held = gen_reservation(bob, showtime, seats[2:3], status=ReservationStatus.HELD,
                           hold_expires_at=NOW + timedelta(minutes=5))
    stale = gen_reservation(carol, showtime, seats[3:4], status=ReservationStatus.HELD,
                            hold_expires_at=NOW - timedelta(minutes=5))
    return showtime, paid, held, stale


def test_cancelling_a_showtime_cancels_its_bookings_emails_patrons_and_runs_hooks(app_ctx, admin,
                                                                                 monkeypatch):
    showtime, paid, held, stale = _booked_showtime()
    seen = []
    monkeypatch.setitem(current_app.extensions, cancellation.CANCEL_HOOKS,
                        [lambda reservation, now: seen.append(
                            (reservation.id, reservation.status, now))])
    cancelled = cancellation.cancel_showtime(showtime.id, admin.id, NOW, note="Projector fault")

    assert {r.id for r in cancelled} == {paid.id, held.id}
    db.session.expire_all()
    assert db.session.get(Showtime, showtime.id).cancelled_at == NOW
    for reservation in (paid, held):
        reservation = db.session.get(Reservation, reservation.id)
        assert reservation.status is ReservationStatus.CANCELLED
        assert reservation.cancel_reason is CancelReason.SHOWTIME_CANCELLED
        assert reservation.cancelled_at == NOW
    assert db.session.get(Reservation, stale.id).cancel_reason is CancelReason.EXPIRED
    assert not db.session.scalar(sa.select(sa.func.count(ReservedSeat.id))
                                 .where(ReservedSeat.is_active.is_(True)))
    emails = db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)).all()
    assert [e.kind for e in emails] == ["showtime_cancelled"] * 2
    assert {e.reservation_id for e in emails} == {paid.id, held.id}
    assert b"Projector fault" in emails[0].message and b"refunded" in emails[0].message
    assert seen == [
        (paid.id, ReservationStatus.CANCELLED, NOW), (held.id, ReservationStatus.CANCELLED, NOW)]
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "showtime.cancel"))
    assert entry.actor_id == admin.id
    assert entry.before["cancelled_at"] is None and entry.after["cancelled_at"]
    assert sorted(entry.after["cancelled_reservation_ids"]) == sorted([paid.id, held.id])


def test_a_showtime_cannot_be_cancelled_twice(app_ctx, admin):
    showtime, *_ = _booked_showtime()
    cancellation.cancel_showtime(showtime.id, admin.id, NOW)
    with pytest.raises(InvalidState, match="already cancelled"):
        cancellation.cancel_showtime(showtime.id, admin.id, NOW)


def test_moving_a_booked_showtime_tells_the_patrons_but_its_film_cannot_change(app_ctx, admin):
    showtime, paid, held, _ = _booked_showtime()
    moved = scheduling.update_showtime(showtime.id, showtime.movie_id, showtime.auditorium_id,
                                       at(2030, 3, 2, 20), 1500, 15, NOW, admin.id)
    assert moved.starts_at == at(2030, 3, 2, 20)
    assert moved.ends_at == at(2030, 3, 2, 20) + timedelta(minutes=100 + 15)
    emails = db.session.scalars(sa.select(OutboxEmail)).all()
    assert [(e.kind, e.reservation_id) for e in emails] == [("showtime_changed", paid.id)]
    with pytest.raises(ValidationFailed, match="cannot change"):
        scheduling.update_showtime(showtime.id, gen_movie().id, showtime.auditorium_id,
                                   at(2030, 3, 2, 20), 1500, 15, NOW, admin.id)
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "showtime.update"))
    assert entry.before["base_price_cents"] == 1000 and entry.after["base_price_cents"] == 1500


def test_an_edit_into_another_showtime_is_refused(app_ctx, admin):
    movie, screen = gen_movie(), gen_auditorium()
    one = gen_showtime(movie, screen, starts_at=at(2030, 3, 2, 14))
    two = gen_showtime(movie, screen, starts_at=at(2030, 3, 2, 18))
    with pytest.raises(ShowtimeConflict, match=f"#{one.id}"):
        scheduling.update_showtime(two.id, movie.id, screen.id, at(2030, 3, 2, 15), 1000, 15,
                                   NOW, admin.id)


def test_create_app_wires_the_refund_of_a_cancelled_showtime(app):
    """Nothing registers itself on import: the hook is in the app because create_app put it."""
    from cinema.booking import refunds

    assert app.extensions[cancellation.CANCEL_HOOKS] == [refunds.refund_cancelled_by_cinema]
