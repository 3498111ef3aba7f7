"""The audit log of admin and staff actions, and how it reads: each entry a sentence in the
cinema's time ("Ana (ADMIN) edited auditorium Screen 2: 6 rows of 20 → 7 rows of 20"), values
formatted as the pages show them (money, times, yes/no)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from enum import Enum

import sqlalchemy as sa

from cinema.clock import format_local, local_day_bounds
from cinema.extensions import db
from cinema.models import AuditLog, User, enums
from cinema.money import format_money


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
class AuditFilters:
    """Who (a name or email, any part), what (a kind of thing, an action, an id) and when
    (local days, both ends included); empty fields filter nothing."""

    who: str = ""
    entity_type: str = ""
    entity_id: int | None = None
    action: str = ""
    day_from: date | None = None
    day_to: date | None = None

    def where(self) -> list:
        where = []
        if self.who:
            needle = self.who.lower()
            where.append(sa.or_(sa.func.lower(User.full_name).contains(needle, autoescape=True),
                                sa.func.lower(User.email).contains(needle, autoescape=True)))
        if self.entity_type:
            where.append(AuditLog.entity_type == self.entity_type)
        if self.entity_id is not None:
            where.append(AuditLog.entity_id == self.entity_id)
        if self.action:
            where.append(AuditLog.action.startswith(self.action, autoescape=True))
        if self.day_from is not None:
            where.append(AuditLog.created_at >= local_day_bounds(self.day_from)[0])
        if self.day_to is not None:
            where.append(AuditLog.created_at < local_day_bounds(self.day_to)[1])
        return where


@dataclass(frozen=True)
class AuditPage:
    """One page of audit entries as (entry, actor name or None, actor email or None, actor
    role or None)."""

    rows: list
    page: int
    pages: int
    total: int


# The kinds of thing the log can be filtered by, with the names the filter shows.
ENTITY_TYPES = {"movie": "Films", "genre": "Genres", "auditorium": "Auditoriums",
                "showtime": "Showtimes", "user": "Users", "reservation": "Bookings",
                "promo_code": "Promo codes", "email_outbox": "Emails", "review": "Reviews"}


def _query(filters: AuditFilters):
    return (sa.select(AuditLog, User.full_name, User.email, User.role)
            .outerjoin(User, User.id == AuditLog.actor_id).where(*filters.where()))


def list_entries(page: int = 1, entity_type: str = "", entity_id: int | None = None,
                 action: str = "", per_page: int = 50,
                 filters: AuditFilters | None = None) -> AuditPage:
    """Newest first, for one kind of thing (and one id) or one action prefix, or ``filters``."""
    filters = filters or AuditFilters(entity_type=entity_type, entity_id=entity_id,
                                      action=action)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(
        _query(filters).subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        _query(filters).order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    return AuditPage(rows, page, pages, total)


def all_entries(filters: AuditFilters, limit: int = 50_000) -> list:
    """Every filtered entry, newest first (the CSV export), at most ``limit``."""
    return db.session.execute(
        _query(filters).order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(limit)).all()


def changes(entry: AuditLog) -> list[tuple[str, object, object]]:
    """(field, before, after) for every field whose value differs, raw."""
    before, after = entry.before or {}, entry.after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [(key, before.get(key), after.get(key)) for key in keys
            if before.get(key) != after.get(key)]


# --- reading it -----------------------------------------------------------------------------

LABELS = {"is_deleted": "deleted", "is_blocked": "blocked", "total_cents": "total",
          "amount_off_cents": "amount off", "percent_off": "percent off",
          "starts_at": "starts", "ends_at": "ends", "movie_id": "film", "auditorium_id": "screen",
          "cancel_note": "cancellation note", "cancelled_at": "cancelled"}


def label(key: str) -> str:
    """A field as people name it: "base_price_cents" -> "base price"."""
    if key in LABELS:
        return LABELS[key]
    for suffix in ("_cents", "_id"):
        if key.endswith(suffix):
            key = key[: -len(suffix)]
    return key.replace("_", " ")


def _layout(value: dict) -> str | None:
    if isinstance(value.get("rows"), int) and isinstance(value.get("seats_per_row"), int):
        return f"{value['rows']} rows of {value['seats_per_row']}"
    return None


# Stored enum values ("BOX_OFFICE") read as words; other capitals (seat A1, booking codes) stay.
ENUM_VALUES = {member.value for kind in vars(enums).values()
               if isinstance(kind, type) and issubclass(kind, Enum) and kind is not Enum
               for member in kind}


def value_text(key: str, value) -> str:
    """A stored value as the pages show it: money, local times, yes/no, "—" for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key.endswith("_cents") and isinstance(value, int):
        return format_money(value)
    if key == "percent_off" and isinstance(value, (int, float)):
        return f"{value}%"
    if isinstance(value, dict):
        return _layout(value) or ", ".join(f"{label(k)} {value_text(k, v)}"
                                          for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(value_text(key, item) for item in value) or "—"
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        if len(value) == 10:
            return parsed.strftime("%a %-d %b %Y")
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return format_local(parsed)
    if isinstance(value, str) and value in ENUM_VALUES:
        return value.replace("_", " ").lower()
    return str(value)


def readable_changes(entry: AuditLog) -> list[tuple[str, str, str]]:
    """(field, before, after) as people read them ("" before: a new value); a layout's rows
    and seats per row read together, unlabelled ("", "6 rows of 20", "7 rows of 20")."""
    before, after = entry.before or {}, entry.after or {}
    out = []
    if _layout(before) and _layout(after) and _layout(before) != _layout(after):
        out.append(("", _layout(before), _layout(after)))
    for key, old, new in changes(entry):
        if key in ("rows", "seats_per_row") and out and out[0][0] == "":
            continue
        out.append((label(key), value_text(key, old) if key in before else "",
                    value_text(key, new)))
    return out


def who(name: str | None, role) -> str:
    """"Ana (ADMIN)", or "The system" for the worker's own actions."""
    if name is None:
        return "The system"
    role_text = getattr(role, "value", role)
    return f"{name} ({role_text})" if role_text else name


def sentence(entry: AuditLog, name: str | None, role) -> str:
    """The entry as one sentence: who did what, then what changed."""
    text = f"{who(name, role)} {entry.summary or entry.action}"
    diff = readable_changes(entry)
    if diff:
        text += ": " + "; ".join(" ".join(part for part in (field, f"{old} → {new}" if old
                                                              else new) if part)
                                 for field, old, new in diff)
    return text
