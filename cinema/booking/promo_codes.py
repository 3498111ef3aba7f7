"""Admin: promo codes (create, edit, deactivate, restore), every change audited.

A code is stored upper-case, so it is unique whatever case an admin or a patron types. Its
validity is typed as local days of the cinema (``CINEMA_TIMEZONE``) and stored as aware UTC
bounds: ``valid_from`` is the start of the first day, ``valid_until`` the end of the last day,
i.e. the first instant of the next local day. A code works while
``valid_from <= now < valid_until`` (a missing bound is open). Deleting a code deactivates it
(``is_deleted``): bookings that used it keep their discount and their history.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from cinema import audit
from cinema.clock import local_midnight
from cinema.exceptions import InvalidState, NotFound, ValidationFailed
from cinema.extensions import db
from cinema.models import PromoCode

AUDITED_FIELDS = ["code", "description", "percent_off", "amount_off_cents", "valid_from",
                  "valid_until", "max_uses"]
PERCENT, AMOUNT = "percent", "amount"


@dataclass(frozen=True)
class PromoData:
    """What the admin form gives: a discount of one kind, local days, an optional limit."""

    code: str
    description: str
    kind: str  # PERCENT or AMOUNT
    value: int  # percent (1-100) or cents (> 0)
    first_day: date | None
    last_day: date | None
    max_uses: int | None


def normalise_code(code: str | None) -> str:
    """The stored form of a code: trimmed, upper-case."""
    return (code or "").strip().upper()


def local_day_range(promo: PromoCode, tz: ZoneInfo) -> tuple[date | None, date | None]:
    """(first day, last day) of a code's validity as local dates, for forms and lists."""
    first = promo.valid_from.astimezone(tz).date() if promo.valid_from else None
    last = (promo.valid_until - timedelta(microseconds=1)).astimezone(tz).date() \
        if promo.valid_until else None
    return first, last


def status_of(promo: PromoCode, now: datetime) -> str:
    """Inactive, Scheduled, Expired, Used up or Active: what the admin list shows."""
    if promo.is_deleted:
        return "Inactive"
    if promo.valid_from is not None and now < promo.valid_from:
        return "Scheduled"
    if promo.valid_until is not None and now >= promo.valid_until:
        return "Expired"
    if promo.max_uses is not None and promo.times_used >= promo.max_uses:
        return "Used up"
    return "Active"


def list_codes(page: int = 1, query: str = "", per_page: int = 50):
    """Active codes first, then deactivated ones; each group by code."""
    stmt = sa.select(PromoCode).order_by(PromoCode.is_deleted, PromoCode.code)
    if query.strip():
        stmt = stmt.where(PromoCode.code.contains(normalise_code(query), autoescape=True))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def get_code(promo_id: int) -> PromoCode:
    promo = db.session.get(PromoCode, promo_id)
    if promo is None:
        raise NotFound("We could not find that promo code.")
    return promo


def _check(data: PromoData, promo: PromoCode | None) -> None:
    """Refuse (422, on the field) a code in use or a limit below the uses so far."""
    taken = db.session.scalar(sa.select(PromoCode.id).where(
        sa.func.upper(PromoCode.code) == data.code,
        PromoCode.id != (promo.id if promo else -1)))
    if taken is not None:
        raise _code_taken(data.code)
    if promo is not None and data.max_uses is not None and data.max_uses < promo.times_used:
        message = f"Already used {promo.times_used} times: the limit cannot be lower."
        raise ValidationFailed(message, field_errors={"max_uses": [message]})


def _code_taken(code: str) -> ValidationFailed:
    message = f"There is already a promo code {code}."
    return ValidationFailed(message, field_errors={"code": [message]})


def _apply(promo: PromoCode, data: PromoData, tz: ZoneInfo) -> None:
    promo.code = data.code
    promo.description = data.description
    promo.percent_off = data.value if data.kind == PERCENT else None
    promo.amount_off_cents = data.value if data.kind == AMOUNT else None
    promo.valid_from = local_midnight(data.first_day, tz) if data.first_day else None
    promo.valid_until = local_midnight(data.last_day + timedelta(days=1), tz) \
        if data.last_day else None
    promo.max_uses = data.max_uses


def _commit_or_code_taken(code: str) -> None:
    """Commit; the unique index is the backstop if two admins add one code at once."""
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise _code_taken(code) from None


def create_code(data: PromoData, actor_id: int, tz: ZoneInfo) -> PromoCode:
    """Add a promo code. Raises ValidationFailed (422) for a code already in use. Audited,
    committed."""
    data = _normalised(data)
    _check(data, None)
    promo = PromoCode(created_by=actor_id)
    _apply(promo, data, tz)
    db.session.add(promo)
    db.session.flush()
    audit.record(actor_id, "promo_code.create", "promo_code", promo.id,
                 f"added promo code {promo.code}", after=audit.snapshot(promo, AUDITED_FIELDS))
    _commit_or_code_taken(data.code)
    return promo


def update_code(promo_id: int, data: PromoData, actor_id: int, tz: ZoneInfo) -> PromoCode:
    """Edit a promo code. Bookings already held with it keep the discount they were shown.
    Raises NotFound or ValidationFailed (422). Audited, committed."""
    promo = get_code(promo_id)
    data = _normalised(data)
    _check(data, promo)
    before = audit.snapshot(promo, AUDITED_FIELDS)
    _apply(promo, data, tz)
    after = audit.snapshot(promo, AUDITED_FIELDS)
    if after != before:
        audit.record(actor_id, "promo_code.update", "promo_code", promo.id,
                     f"edited promo code {promo.code}", before=before, after=after)
    _commit_or_code_taken(data.code)
    return promo


def _normalised(data: PromoData) -> PromoData:
    if data.first_day and data.last_day and data.last_day < data.first_day:
        message = "The last day cannot be before the first day."
        raise ValidationFailed(message, field_errors={"valid_until": [message]})
    return replace(data, code=normalise_code(data.code),
                   description=(data.description or "").strip())


def deactivate_code(promo_id: int, actor_id: int) -> PromoCode:
    """Soft-delete a code: patrons can no longer apply it, and a held booking that has it
    is refused at payment with the discount removed. Audited, committed."""
    return _set_deleted(promo_id, actor_id, True)


def restore_code(promo_id: int, actor_id: int) -> PromoCode:
    """Make a deactivated code usable again. Audited, committed."""
    return _set_deleted(promo_id, actor_id, False)


def _set_deleted(promo_id: int, actor_id: int, deleted: bool) -> PromoCode:
    promo = get_code(promo_id)
    if promo.is_deleted == deleted:
        raise InvalidState(f"{promo.code} is already {'inactive' if deleted else 'active'}.")
    promo.is_deleted = deleted
    action, verb = ("delete", "deactivated") if deleted else ("restore", "restored")
    audit.record(actor_id, f"promo_code.{action}", "promo_code", promo.id,
                 f"{verb} promo code {promo.code}",
                 before={"is_deleted": not deleted}, after={"is_deleted": deleted})
    db.session.commit()
    return promo
