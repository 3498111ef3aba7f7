"""Admin: the schedule. One showtime or a series, the inline slot check, edit and cancel."""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, request

from cinema import audit
from cinema.blueprints.admin import bp
from cinema.blueprints.admin.flow import (
    actor_id,
    done,
    local_input_to_utc,
    now,
    show_errors,
    utc_to_local_input,
)
from cinema.clock import cinema_tz, local_today
from cinema.errors import on_error_render
from cinema.forms import validate_or_raise
from cinema.forms.catalogue_admin import CancelShowtimeForm, SeriesForm, ShowtimeForm
from cinema.forms.params import id_param, int_param
from cinema.money import amount_text
from cinema.programme import cancellation, schedule_query, scheduling
from cinema.rendering import render
from cinema.waitlist import line
from cinema.wording import counted


def _buffer() -> int:
    return current_app.config["CLEANING_BUFFER_MINUTES"]


def _with_choices(form):
    return form.set_choices(schedule_query.live_movies(), schedule_query.live_auditoriums())


def _list_context() -> dict:
    today = local_today(now())
    try:
        first = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        first = today
    days = int_param(request.args, "days", 1, 1, 31)
    last = first + timedelta(days=days - 1)
    auditorium_id = id_param(request.args, "auditorium_id")
    movie_id = id_param(request.args, "movie_id")
    showtimes = schedule_query.showtimes_between(first, last, cinema_tz(), auditorium_id,
                                                 movie_id)
    return dict(showtimes=showtimes, first=first, last=last, days=days, today=today,
                earlier=first - timedelta(days=days), later=last + timedelta(days=1),
                auditorium_id=auditorium_id, movie_id=movie_id,
                booked=scheduling.booked_seat_counts([s.id for s in showtimes], now()),
                movies=schedule_query.live_movies(),
                auditoriums=schedule_query.live_auditoriums(), now=now())


def _list_page(form=None, error=None):
    return render("pages/admin/showtimes.html", "partials/_admin_showtime_form.html",
                  form=show_errors(form or _with_choices(ShowtimeForm()), error), error=error,
                  **_list_context())


@bp.get("/showtimes")
def showtimes():
    """The schedule, a week at a time, with the form to schedule one showtime."""
    return _list_page()


@bp.post("/showtimes")
def showtimes_create():
    """Schedule one showtime."""
    form = _with_choices(ShowtimeForm())
    on_error_render(lambda error: _list_page(form, error))
    validate_or_raise(form)
    showtime = scheduling.schedule_showtime(
        form.movie_id.data, form.auditorium_id.data, local_input_to_utc(form.starts_at.data),
        form.base_price.cents, _buffer(), now(), actor_id())
    return done(f"Scheduled {showtime.movie.title} in {showtime.auditorium.name}.",
                "admin.showtimes", date=utc_to_local_input(showtime.starts_at).date())


@bp.post("/showtimes/check")
def showtimes_check():
    """Inline check while the form is filled in: when it would end, what it would hit.
    A problem (a clash, a time that does not exist) is the answer, shown in place."""
    form = _with_choices(ShowtimeForm(meta={"csrf": False}))
    on_error_render(lambda error: render("partials/_admin_slot_check.html", result=None,
                                         problem=error.detail))
    result = None
    if form.movie_id.data and form.auditorium_id.data and form.starts_at.data:
        result = scheduling.check_slot(
            form.movie_id.data, form.auditorium_id.data,
            local_input_to_utc(form.starts_at.data), _buffer(), now(),
            exclude_id=id_param(request.form, "showtime_id"))
    return render("partials/_admin_slot_check.html", result=result, problem=None)


def _series_page(form, error=None):
    return render("pages/admin/showtime_series.html", "partials/_admin_series_form.html",
                  form=show_errors(form, error), error=error)


@bp.get("/showtimes/series")
def showtimes_series():
    """The form for a series: a film at given times on each day of a range."""
    form = _with_choices(SeriesForm())
    return _series_page(form)


@bp.post("/showtimes/series")
def showtimes_series_create():
    """Schedule a whole series, or nothing if any of it clashes."""
    form = _with_choices(SeriesForm())
    on_error_render(lambda error: _series_page(form, error))
    validate_or_raise(form)
    spec = scheduling.SeriesSpec(
        movie_id=form.movie_id.data, auditorium_id=form.auditorium_id.data,
        first_day=form.first_day.data, last_day=form.last_day.data, times=form.time_list(),
        base_price_cents=form.base_price.cents, weekdays=set(form.weekdays.data or []))
    created = scheduling.schedule_series(spec, cinema_tz(), _buffer(), now(), actor_id())
    return done(f"Scheduled {len(created)} showtimes of {created[0].movie.title} in "
                f"{created[0].auditorium.name}.", "admin.showtimes",
                date=spec.first_day.isoformat(), auditorium_id=spec.auditorium_id,
                days=min((spec.last_day - spec.first_day).days + 1, 31))


@bp.get("/showtimes/<id:showtime_id>")
def showtimes_detail(showtime_id: int):
    """One showtime: its bookings and history."""
    showtime = scheduling.get_showtime(showtime_id)
    return render("pages/admin/showtime_detail.html", showtime=showtime,
                  bookings=schedule_query.bookings_of(showtime.id),
                  booked=scheduling.booked_seat_counts([showtime.id], now()).get(showtime.id, 0),
                  history=audit.list_entries(entity_type="showtime", entity_id=showtime.id,
                                             per_page=20), now=now(),
                  waitlist=line.counts(showtime.id),
                  waitlist_line=line.showtime_line(showtime.id))


def _edit_page(showtime, form, error=None):
    return render("pages/admin/showtime_edit.html", "partials/_admin_showtime_form.html",
                  showtime=showtime, form=show_errors(form, error), error=error)


@bp.get("/showtimes/<id:showtime_id>/edit")
def showtimes_edit(showtime_id: int):
    """The showtime's form, filled in."""
    showtime = scheduling.get_showtime(showtime_id)
    form = _with_choices(ShowtimeForm(
        movie_id=showtime.movie_id, auditorium_id=showtime.auditorium_id,
        starts_at=utc_to_local_input(showtime.starts_at),
        base_price=amount_text(showtime.base_price_cents)))
    return _edit_page(showtime, form)


@bp.post("/showtimes/<id:showtime_id>/edit")
def showtimes_update(showtime_id: int):
    """Save a showtime's changes (patrons are told of a new time)."""
    showtime = scheduling.get_showtime(showtime_id)
    form = _with_choices(ShowtimeForm())
    on_error_render(lambda error: _edit_page(showtime, form, error))
    validate_or_raise(form)
    showtime = scheduling.update_showtime(
        showtime.id, form.movie_id.data, form.auditorium_id.data,
        local_input_to_utc(form.starts_at.data), form.base_price.cents, _buffer(), now(),
        actor_id())
    return done(f"Saved showtime #{showtime.id}.", "admin.showtimes_detail",
                showtime_id=showtime.id)


def _cancel_page(showtime, form, error=None):
    return render("pages/admin/showtime_cancel.html", showtime=showtime, form=form,
                  error=error,
                  booked=scheduling.booked_seat_counts([showtime.id], now()).get(showtime.id, 0))


@bp.get("/showtimes/<id:showtime_id>/delete")
def showtimes_delete(showtime_id: int):
    """Ask before cancelling: how many bookings go with it."""
    return _cancel_page(scheduling.get_showtime(showtime_id), CancelShowtimeForm())


@bp.post("/showtimes/<id:showtime_id>/delete")
def showtimes_cancel(showtime_id: int):
    """Cancel the showtime and its bookings; the patrons are emailed."""
    showtime = scheduling.get_showtime(showtime_id)
    form = CancelShowtimeForm()
    on_error_render(lambda error: _cancel_page(showtime, form, error))
    validate_or_raise(form)
    cancelled = cancellation.cancel_showtime(showtime.id, actor_id(), now(), form.note.data or "")
    return done(f"Cancelled showtime #{showtime.id}; {counted(len(cancelled), 'booking')} cancelled and "
                "the patrons emailed.", "admin.showtimes_detail", showtime_id=showtime.id)
