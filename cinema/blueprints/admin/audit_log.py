"""Admin: the audit log of every admin and staff change, as sentences; filters and CSV."""
from __future__ import annotations

import csv
import io

from flask import make_response, request

from cinema import audit as audit_service
from cinema.blueprints.admin import bp
from cinema.clock import format_local
from cinema.errors import on_error_render
from cinema.exceptions import ValidationFailed
from cinema.forms.params import date_param, id_param, page_param, text_param
from cinema.rendering import render
from cinema.reports.report_csv import CONTENT_TYPE, cell


def _filters(args) -> audit_service.AuditFilters:
    entity_type = args.get("entity_type", "")
    if entity_type not in audit_service.ENTITY_TYPES:
        entity_type = ""
    day_from, day_to = date_param(args, "from"), date_param(args, "to")
    if day_from and day_to and day_from > day_to:
        message = "The first day comes after the last: swap them, or change one."
        raise ValidationFailed(message, field_errors={"from": [message]})
    return audit_service.AuditFilters(
        who=text_param(args, "who", 100), entity_type=entity_type,
        entity_id=id_param(args, "entity_id"), action=text_param(args, "action", 60),
        day_from=day_from, day_to=day_to)


def _page(filters, entries, error=None):
    return render("pages/admin/audit.html", "partials/_admin_audit_table.html",
                  entries=entries, filters=filters, error=error,
                  entity_types=audit_service.ENTITY_TYPES, sentence=audit_service.sentence,
                  readable_changes=audit_service.readable_changes,
                  who=audit_service.who, query=_query_args(filters))


def _query_args(filters) -> dict:
    """The filters as query arguments (pager links, the CSV link)."""
    values = {"who": filters.who, "entity_type": filters.entity_type,
              "entity_id": filters.entity_id, "action": filters.action,
              "from": filters.day_from.isoformat() if filters.day_from else None,
              "to": filters.day_to.isoformat() if filters.day_to else None}
    return {key: value for key, value in values.items() if value not in (None, "")}


@bp.get("/audit")
def audit():
    """Who changed what, newest first, each entry a sentence in the cinema's time; filter by
    who, what and when; ``?format=csv`` downloads the filtered entries."""
    on_error_render(lambda error: _page(audit_service.AuditFilters(),
                                        audit_service.list_entries(), error))
    filters = _filters(request.args)
    if request.args.get("format") == "csv":
        return _csv(filters)
    return _page(filters, audit_service.list_entries(page_param(request.args), filters=filters))


def _csv(filters):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["When", "Who", "Role", "Action", "Kind", "Id", "What happened"])
    for entry, name, _email, role in audit_service.all_entries(filters):
        writer.writerow([cell(value) for value in (
            format_local(entry.created_at, "%Y-%m-%d %H:%M:%S"), name or "The system",
            getattr(role, "value", "") if name else "", entry.action, entry.entity_type,
            entry.entity_id, audit_service.sentence(entry, name, role))])
    response = make_response(out.getvalue())
    response.headers["Content-Type"] = CONTENT_TYPE
    response.headers["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
