"""Admin: pricing rules (list, create, edit, enable/disable, delete, preview before saving)
and ticket types (list, create, edit)."""
from __future__ import annotations

from flask import request

from cinema import audit
from cinema.blueprints.admin import bp
from cinema.blueprints.admin.flow import actor_id, done, now, show_errors
from cinema.errors import on_error_render
from cinema.forms import validate_or_raise
from cinema.forms.params import id_param
from cinema.forms.pricing import PricingRuleForm, TicketTypeForm
from cinema.pricing import price_book
from cinema.pricing import rules_admin as pricing_admin
from cinema.rendering import render


def _rule_form(formdata=True) -> PricingRuleForm:
    form = PricingRuleForm() if formdata else PricingRuleForm(formdata=None)
    return form.set_choices(*pricing_admin.condition_choices())


def _list_page(form=None, error=None, preview=None):
    return render("pages/admin/pricing.html", "partials/_admin_price_preview.html",
                  rules=pricing_admin.list_rules(), form=show_errors(form or _rule_form(), error),
                  error=error, preview=preview, rule=None)


def _edit_page(rule, form, error=None, preview=None):
    return render("pages/admin/pricing_edit.html", "partials/_admin_price_preview.html",
                  rule=rule, form=show_errors(form, error), error=error, preview=preview,
                  history=audit.list_entries(entity_type="pricing_rule", entity_id=rule.id,
                                             per_page=20))


@bp.get("/pricing", endpoint="pricing")
def pricing_list():
    """Every pricing rule in the order they apply; the form for a new one."""
    return _list_page()


@bp.post("/pricing")
def pricing_create():
    """Add a pricing rule."""
    form = _rule_form()
    on_error_render(lambda error: _list_page(form, error))
    validate_or_raise(form)
    rule = pricing_admin.create_rule(form.data_for_service(), actor_id())
    return done(f"Added pricing rule {rule.name}.", "admin.pricing")


@bp.post("/pricing/preview")
def pricing_preview():
    """What the typed rule would change over the next 14 days (htmx: the preview alone)."""
    form = _rule_form()
    rule_id = id_param(request.form, "rule_id")
    rule = pricing_admin.get_rule(rule_id) if rule_id else None
    page = (lambda error, preview=None: _edit_page(rule, form, error, preview)) if rule else \
        (lambda error, preview=None: _list_page(form, error, preview))
    on_error_render(page)
    validate_or_raise(form)
    return page(None, pricing_admin.preview(form.data_for_service(), now(), rule_id))


@bp.get("/pricing/<id:rule_id>/edit")
def pricing_edit(rule_id: int):
    """The rule's form, filled in, and its history."""
    rule = pricing_admin.get_rule(rule_id)
    return _edit_page(rule, _rule_form(formdata=False).fill_from(rule))


@bp.post("/pricing/<id:rule_id>/edit")
def pricing_update(rule_id: int):
    """Save the rule's changes (held and sold seats keep their prices)."""
    rule = pricing_admin.get_rule(rule_id)
    form = _rule_form()
    on_error_render(lambda error: _edit_page(rule, form, error))
    validate_or_raise(form)
    rule = pricing_admin.update_rule(rule.id, form.data_for_service(), actor_id())
    return done(f"Saved pricing rule {rule.name}.", "admin.pricing")


@bp.post("/pricing/<id:rule_id>/enable")
def pricing_enable(rule_id: int):
    """Turn a rule on."""
    on_error_render(lambda error: _list_page(error=error))
    rule = pricing_admin.set_rule_enabled(rule_id, True, actor_id())
    return done(f"Enabled {rule.name}.", "admin.pricing")


@bp.post("/pricing/<id:rule_id>/disable")
def pricing_disable(rule_id: int):
    """Turn a rule off."""
    on_error_render(lambda error: _list_page(error=error))
    rule = pricing_admin.set_rule_enabled(rule_id, False, actor_id())
    return done(f"Disabled {rule.name}.", "admin.pricing")


@bp.post("/pricing/<id:rule_id>/delete")
def pricing_delete(rule_id: int):
    """Delete a rule (seats priced by it keep their line items)."""
    on_error_render(lambda error: _list_page(error=error))
    rule = pricing_admin.delete_rule(rule_id, actor_id())
    return done(f"Deleted {rule.name}.", "admin.pricing")


# --- ticket types ---------------------------------------------------------------------------

def _types_page(form=None, error=None, editing=None):
    return render("pages/admin/ticket_types.html",
                  types=price_book.ticket_types(include_disabled=True), editing=editing,
                  form=show_errors(form or TicketTypeForm(), error), error=error)


@bp.get("/ticket-types", endpoint="ticket_types")
def ticket_types_list():
    """The ticket types patrons choose from; the form for a new one."""
    return _types_page()


@bp.post("/ticket-types")
def ticket_types_create():
    """Add a ticket type."""
    form = TicketTypeForm()
    on_error_render(lambda error: _types_page(form, error))
    validate_or_raise(form)
    ticket_type = pricing_admin.save_ticket_type(None, form.data_for_service(), actor_id())
    return done(f"Added ticket type {ticket_type.name}.", "admin.ticket_types")


@bp.get("/ticket-types/<id:type_id>/edit")
def ticket_types_edit(type_id: int):
    """A ticket type's form, filled in."""
    ticket_type = pricing_admin.get_ticket_type(type_id)
    form = TicketTypeForm(formdata=None, obj=ticket_type)
    form.fill_effect(ticket_type.percent, ticket_type.amount_cents)
    if ticket_type.percent is None and ticket_type.amount_cents is None:
        form.value.data = ""
    return _types_page(form, editing=ticket_type)


@bp.post("/ticket-types/<id:type_id>/edit")
def ticket_types_update(type_id: int):
    """Save a ticket type's changes (held seats keep their prices)."""
    ticket_type = pricing_admin.get_ticket_type(type_id)
    form = TicketTypeForm()
    on_error_render(lambda error: _types_page(form, error, editing=ticket_type))
    validate_or_raise(form)
    ticket_type = pricing_admin.save_ticket_type(type_id, form.data_for_service(), actor_id())
    return done(f"Saved ticket type {ticket_type.name}.", "admin.ticket_types")
