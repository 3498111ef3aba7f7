"""The audit log of admin and staff actions."""
from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class AuditPage:
    """One page of audit entries as (entry, actor name or None, actor email or None)."""

    rows: list
    page: int
    pages: int
    total: int


ENTITY_TYPES = ["movie", "genre", "auditorium", "showtime", "user", "reservation", "promo_code", "review"]


def list_entries(page: int = 1, entity_type: str = "", entity_id: int | None = None,
                 action: str = "", per_page: int = 50) -> AuditPage:
    """Newest first, optionally for one kind of thing (and one id) or one action prefix."""
    import sqlalchemy as sa

    from cinema.models import User

    where = []
    if entity_type:
        where.append(AuditLog.entity_type == entity_type)
    if entity_id is not None:
        where.append(AuditLog.entity_id == entity_id)
    if action:
        where.append(AuditLog.action.startswith(action, autoescape=True))
    total = db.session.scalar(sa.select(sa.func.count(AuditLog.id)).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        sa.select(AuditLog, User.full_name, User.email)
        .outerjoin(User, User.id == AuditLog.actor_id).where(*where)
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    return AuditPage(rows, page, pages, total)


def changes(entry: AuditLog) -> list[tuple[str, object, object]]:
    """(field, before, after) for every field whose value differs, for display."""
    before, after = entry.before or {}, entry.after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [(key, before.get(key), after.get(key)) for key in keys
            if before.get(key) != after.get(key)]
