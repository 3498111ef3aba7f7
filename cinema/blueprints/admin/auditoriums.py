"""Admin: auditoriums, the layout generator with its preview, and the seat editor."""
from __future__ import annotations

from cinema import audit
from cinema.blueprints.admin import bp
from cinema.blueprints.admin.flow import actor_id, done, now, show_errors
from cinema.errors import on_error_render
from cinema.forms import validate_or_raise
from cinema.forms.catalogue_admin import (
    AuditoriumDetailsForm,
    AuditoriumForm,
    LayoutForm,
    SeatBatchForm,
)
from cinema.programme import venues
from cinema.rendering import render


@bp.get("/auditoriums")
def auditoriums():
    """Every auditorium with its number of seats."""
    return render("pages/admin/auditoriums.html", auditoriums=venues.list_auditoriums())


def _generator_page(form: AuditoriumForm, preview=None, error=None):
    return render("pages/admin/auditorium_new.html", "partials/_admin_layout_preview.html",
                  form=show_errors(form, error), preview=preview, error=error)


@bp.get("/auditoriums/new")
def auditoriums_new():
    """The layout generator, with a preview of the default layout."""
    form = AuditoriumForm()
    return _generator_page(form, venues.preview_map(form.spec()))


@bp.post("/auditoriums/preview")
def auditoriums_preview():
    """The generator's preview (htmx swaps it in as the admin types; without JavaScript the
    Preview button shows the whole page again with it)."""
    form, layout = AuditoriumForm(), LayoutForm()  # the name is not needed for a preview
    on_error_render(lambda error: _generator_page(form, error=error))
    validate_or_raise(layout)
    return _generator_page(form, venues.preview_map(layout.spec()))


@bp.post("/auditoriums")
def auditoriums_create():
    """Create an auditorium from the generator; then on to its seat editor."""
    form = AuditoriumForm()
    on_error_render(lambda error: _generator_page(form, error=error))
    validate_or_raise(form)
    auditorium = venues.build_auditorium(form.name.data, form.description.data or "",
                                         form.spec(), actor_id())
    return done(f"Created {auditorium.name} with {len(auditorium.seats)} seats.",
                "admin.auditoriums_seats", auditorium_id=auditorium.id)


@bp.get("/auditoriums/<id:auditorium_id>")
def auditoriums_detail(auditorium_id: int):
    """An auditorium's map as patrons will see it, and its history."""
    auditorium = venues.get_auditorium(auditorium_id)
    return render("pages/admin/auditorium_detail.html", auditorium=auditorium,
                  seat_map=venues.layout_map(auditorium.id, now()),
                  history=audit.list_entries(entity_type="auditorium",
                                             entity_id=auditorium.id, per_page=20))


def _edit_page(auditorium, form, error=None):
    return render("pages/admin/auditorium_edit.html", auditorium=auditorium,
                  form=show_errors(form, error),
                  error=error)


@bp.get("/auditoriums/<id:auditorium_id>/edit")
def auditoriums_edit(auditorium_id: int):
    """The auditorium's name and description."""
    auditorium = venues.get_auditorium(auditorium_id)
    return _edit_page(auditorium, AuditoriumDetailsForm(obj=auditorium))


@bp.post("/auditoriums/<id:auditorium_id>/edit")
def auditoriums_update(auditorium_id: int):
    """Save the name and description."""
    auditorium = venues.get_auditorium(auditorium_id)
    form = AuditoriumDetailsForm()
    on_error_render(lambda error: _edit_page(auditorium, form, error))
    validate_or_raise(form)
    auditorium = venues.update_auditorium(auditorium.id, form.name.data,
                                          form.description.data or "", actor_id())
    return done(f"Saved {auditorium.name}.", "admin.auditoriums_detail",
                auditorium_id=auditorium.id)


@bp.post("/auditoriums/<id:auditorium_id>/delete")
def auditoriums_delete(auditorium_id: int):
    """Remove an auditorium with nothing scheduled in it."""
    auditorium = venues.get_auditorium(auditorium_id)
    on_error_render(lambda error: _edit_page(auditorium, AuditoriumDetailsForm(obj=auditorium),
                                             error))
    venues.delete_auditorium(auditorium.id, actor_id(), now())
    return done(f"Removed {auditorium.name}.", "admin.auditoriums")


def _seats_page(auditorium, form, error=None):
    return render("pages/admin/auditorium_seats.html", "partials/_admin_seat_editor.html",
                  auditorium=auditorium, form=show_errors(form, error), error=error,
                  seat_map=venues.layout_map(auditorium.id, now()))


@bp.get("/auditoriums/<id:auditorium_id>/seats")
def auditoriums_seats(auditorium_id: int):
    """The seat editor: tick seats (or name rows), choose a change, apply."""
    auditorium = venues.get_auditorium(auditorium_id)
    return _seats_page(auditorium, SeatBatchForm())


@bp.post("/auditoriums/<id:auditorium_id>/seats")
def auditoriums_seats_update(auditorium_id: int):
    """Apply one change to the chosen seats (refused if it would strand a booking)."""
    auditorium = venues.get_auditorium(auditorium_id)
    form = SeatBatchForm()
    on_error_render(lambda error: _seats_page(auditorium, form, error))
    validate_or_raise(form)
    seats = venues.change_seats(auditorium.id, form.seat_ids.data or [], form.action.data,
                                actor_id(), now(), rows=form.row_list())
    labels = ", ".join(seat.label for seat in seats[:12]) + ("…" if len(seats) > 12 else "")
    return done(f"{venues.SEAT_ACTIONS[form.action.data]}: {labels}.",
                "admin.auditoriums_seats", auditorium_id=auditorium.id)
