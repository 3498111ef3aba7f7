"""Admin: the audit log of every admin and staff change."""
from __future__ import annotations

from flask import request

from cinema.blueprints.admin import bp
from cinema.rendering import render
from cinema.services import audit as audit_service


@bp.get("/audit")
def audit():
    """Who changed what, newest first; filter by kind of thing and id."""
    entity_type = request.args.get("entity_type", "")
    entity_id = request.args.get("entity_id", type=int)
    entries = audit_service.list_entries(request.args.get("page", 1, type=int),
                                         entity_type=entity_type, entity_id=entity_id)
    return render("pages/admin/audit.html", "partials/_admin_audit_table.html",
                  entries=entries, entity_type=entity_type, entity_id=entity_id,
                  entity_types=audit_service.ENTITY_TYPES, changes=audit_service.changes)
