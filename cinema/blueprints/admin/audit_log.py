"""Admin: the audit log of every admin and staff change."""
from __future__ import annotations

from flask import request

from cinema import audit as audit_service
from cinema.blueprints.admin import bp
from cinema.forms.params import id_param, page_param
from cinema.rendering import render


@bp.get("/audit")
def audit():
    """Who changed what, newest first; filter by kind of thing and id."""
    entity_type = request.args.get("entity_type", "")
    if entity_type not in audit_service.ENTITY_TYPES:
        entity_type = ""
    entity_id = id_param(request.args, "entity_id")
    entries = audit_service.list_entries(page_param(request.args),
                                         entity_type=entity_type, entity_id=entity_id)
    return render("pages/admin/audit.html", "partials/_admin_audit_table.html",
                  entries=entries, entity_type=entity_type, entity_id=entity_id,
                  entity_types=audit_service.ENTITY_TYPES, changes=audit_service.changes)
