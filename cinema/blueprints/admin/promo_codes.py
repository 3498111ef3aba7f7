"""Admin: promo codes (list with uses so far, create, edit, deactivate, restore)."""
from __future__ import annotations

from flask import request

from cinema import audit
from cinema.blueprints.admin import bp
from cinema.blueprints.admin.flow import actor_id, done, now, show_errors
from cinema.booking import promo_codes
from cinema.clock import cinema_tz
from cinema.errors import on_error_render
from cinema.forms import validate_or_raise
from cinema.forms.params import page_param, text_param
from cinema.forms.promo_codes import PromoCodeForm
from cinema.rendering import render


def _list_page(form=None, error=None):
    query = text_param(request.args, "q", 100)
    codes = promo_codes.list_codes(page_param(request.args), query)
    zone, at = cinema_tz(), now()
    rows = [(promo, promo_codes.local_day_range(promo, zone), promo_codes.status_of(promo, at))
            for promo in codes.items]
    return render("pages/admin/promo_codes.html", codes=codes, rows=rows, q=query,
                  form=show_errors(form or PromoCodeForm(), error), error=error)


def _edit_page(promo, form, error=None):
    return render("pages/admin/promo_code_edit.html", promo=promo,
                  form=show_errors(form, error), error=error,
                  promo_status=promo_codes.status_of(promo, now()),
                  history=audit.list_entries(entity_type="promo_code", entity_id=promo.id,
                                             per_page=20))


@bp.get("/promo-codes", endpoint="promo_codes")
def promo_codes_list():
    """Every promo code, with its uses so far; the form for a new one."""
    return _list_page()


@bp.post("/promo-codes")
def promo_codes_create():
    """Add a promo code."""
    form = PromoCodeForm()
    on_error_render(lambda error: _list_page(form, error))
    validate_or_raise(form)
    promo = promo_codes.create_code(form.data_for_service(), actor_id(), cinema_tz())
    # The form posts to #new-code so that its errors are in view; back at the top after.
    return done(f"Added promo code {promo.code}.", "admin.promo_codes", _anchor="main")


@bp.get("/promo-codes/<id:promo_id>/edit")
def promo_codes_edit(promo_id: int):
    """The code's form, filled in, and its history."""
    promo = promo_codes.get_code(promo_id)
    form = PromoCodeForm(formdata=None).fill_from(
        promo, *promo_codes.local_day_range(promo, cinema_tz()))
    return _edit_page(promo, form)


@bp.post("/promo-codes/<id:promo_id>/edit")
def promo_codes_update(promo_id: int):
    """Save the code's changes."""
    promo = promo_codes.get_code(promo_id)
    form = PromoCodeForm()
    on_error_render(lambda error: _edit_page(promo, form, error))
    validate_or_raise(form)
    promo = promo_codes.update_code(promo.id, form.data_for_service(), actor_id(), cinema_tz())
    return done(f"Saved promo code {promo.code}.", "admin.promo_codes")


@bp.post("/promo-codes/<id:promo_id>/delete")
def promo_codes_delete(promo_id: int):
    """Deactivate a code (a soft delete: its bookings keep their history)."""
    on_error_render(lambda error: _list_page(error=error))
    promo = promo_codes.deactivate_code(promo_id, actor_id())
    return done(f"Deactivated {promo.code}. Patrons can no longer use it; restore it any time.",
                "admin.promo_codes")


@bp.post("/promo-codes/<id:promo_id>/restore")
def promo_codes_restore(promo_id: int):
    """Make a deactivated code usable again."""
    on_error_render(lambda error: _list_page(error=error))
    promo = promo_codes.restore_code(promo_id, actor_id())
    return done(f"Restored {promo.code}.", "admin.promo_codes")
