"""The audit log of admin and staff actions."""
from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from cinema.extensions import db
from cinema.models import AuditLog


def snapshot(obj, fields: list[str]) -> dict:
    """A JSON-safe dict of ``fields`` of ``obj``, for the before/after of an audit entry."""
    out = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, (datetime, date)):
            value = value.isoformat()
        elif isinstance(value, list):
            value = [str(v) for v in value]
        out[name] = value
    return out


def record(actor_id: int | None, action: str, entity_type: str, entity_id: int | None,
           summary: str = "", before: dict | None = None, after: dict | None = None) -> AuditLog:
    """Add an audit entry to the current transaction (the caller commits)."""
    entry = AuditLog(actor_id=actor_id, created_by=actor_id, action=action,
                     entity_type=entity_type, entity_id=entity_id, summary=summary,
                     before=before, after=after)
    db.session.add(entry)
    return entry
