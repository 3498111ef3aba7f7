"""Admin pricing: rules and ticket types through the forms, the preview, the audit log."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from cinema.booking import booking
from cinema.extensions import db
from cinema.models import AuditLog, PricingRule, TicketType
from tests.admin_factories import admin_client
from tests.booking_helpers import now, setup_showtime
from tests.factories import gen_user

pytestmark = pytest.mark.usefixtures("money_checked")
HTMX = {"HX-Request": "true"}


def rule_form(**fields) -> dict:
    return {"name": "Rule", "priority": "100", "stacking": "STACK", "direction": "up",
            "kind": "percent", "value": "10", "enabled": "y", **fields}


def test_admin_creates_last_minute_and_busy_rules_previews_them_and_patrons_pay_them(app, app_ctx):
    db.session.execute(sa.delete(PricingRule))
    db.session.commit()
    showtime, seats = setup_showtime(starts_in=timedelta(minutes=90))
    client, admin = admin_client(app)
    last_minute = rule_form(name="Last minute", direction="down", value="20", demand_below="30",
                            lead_hours_max="2")
    preview = client.post("/admin/pricing/preview", data=last_minute, headers=HTMX)
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "<html" not in text
    assert "<strong>1</strong> of 1 showtime" in text and "<strong>12</strong> seats" in text
    assert "£10.00 → £8.00" in text
    page = client.post("/admin/pricing/preview", data=last_minute)  # the button, without JS
    assert page.status_code == 200 and "£10.00 → £8.00" in page.get_data(as_text=True)
    assert client.post("/admin/pricing", data=last_minute).status_code == 303
    busy = rule_form(name="Busy", value="15", demand_at_least="80")
    assert client.post("/admin/pricing", data=busy).status_code == 303
    listing = client.get("/admin/pricing").get_data(as_text=True)
    assert "Last minute" in listing and "&lt; 30 % sold" in listing and "≥ 80 % sold" in listing
    held = booking.hold_seats(gen_user().id, showtime.id, [seats[0].id], now())
    assert [(i.kind, i.label, i.amount_cents) for i in held.seats[0].items] == [
        ("BASE", "Base price", 1000), ("RULE", "Last minute (0% sold)", -200)]
    actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert "pricing_rule.create" in actions


def test_edit_disable_enable_delete_are_audit_logged(app, app_ctx):
    client, _ = admin_client(app)
    rule = db.session.scalar(sa.select(PricingRule).where(PricingRule.name == "Weekend"))
    form = client.get(f"/admin/pricing/{rule.id}/edit").get_data(as_text=True)
    assert 'value="1.50"' in form and "Preview" in form
    assert client.post(f"/admin/pricing/{rule.id}/edit",
                       data=rule_form(name="Weekend", kind="amount", value="2.00",
                                      weekdays=["5", "6"], priority="50")).status_code == 303
    db.session.expire_all()
    rule = db.session.get(PricingRule, rule.id)
    assert (rule.amount_cents, rule.weekdays, rule.priority) == (200, [5, 6], 50)
    assert client.post(f"/admin/pricing/{rule.id}/disable").status_code == 303
    assert client.post(f"/admin/pricing/{rule.id}/enable").status_code == 303
    assert client.post(f"/admin/pricing/{rule.id}/delete").status_code == 303
    db.session.expire_all()
    assert db.session.get(PricingRule, rule.id).is_deleted
    actions = list(db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))
    assert actions == ["pricing_rule.update", "pricing_rule.disable", "pricing_rule.enable",
                       "pricing_rule.delete"]
    assert client.get(f"/admin/pricing/{rule.id}/edit").status_code == 404


def test_bad_rule_input_is_a_form_error(app, app_ctx):
    client, _ = admin_client(app)
    response = client.post("/admin/pricing", data=rule_form(value="900", floor="9.00",
                                                            ceiling="5.00"))
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A whole percentage from 1 to 500." in text
    assert "The ceiling cannot be below the floor." in text


def test_admin_manages_ticket_types(app, app_ctx):
    client, _ = admin_client(app)
    page = client.get("/admin/ticket-types").get_data(as_text=True)
    assert all(name in page for name in ("Adult", "Child", "Senior", "Student"))
    response = client.post("/admin/ticket-types", data={
        "name": "Member", "direction": "down", "kind": "amount", "value": "1.00",
        "sort_order": "5", "enabled": "y", "is_concession": "y"})
    assert response.status_code == 303
    member = db.session.scalar(sa.select(TicketType).where(TicketType.name == "Member"))
    assert (member.amount_cents, member.is_concession) == (-100, True)
    child = db.session.scalar(sa.select(TicketType).where(TicketType.name == "Child"))
    form = client.get(f"/admin/ticket-types/{child.id}/edit").get_data(as_text=True)
    assert 'value="25"' in form
    taken = client.post(f"/admin/ticket-types/{child.id}/edit", data={
        "name": "adult", "direction": "down", "kind": "percent", "value": "25",
        "sort_order": "1"})
    assert taken.status_code == 422 and "Already in use." in taken.get_data(as_text=True)
