"""Admin area: every route needs the ADMIN role, checked once here for the whole blueprint.

Routes live in one module per section; each imports ``bp`` from here.
"""
from __future__ import annotations

from flask import Blueprint

from cinema.access import require_roles
from cinema.models import UserRole

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def check_role():
    return require_roles(UserRole.ADMIN)


# Imported for their routes (they register on ``bp``).
from cinema.blueprints.admin import (  # noqa: E402,F401
    audit_log,
    auditoriums,
    bookings,
    dashboard,
    movies,
    outbox,
    pricing,
    promo_codes,
    reviews,
    showtimes,
    users,
)
