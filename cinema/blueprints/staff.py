"""Staff area (STAFF and ADMIN; checked once, for the whole blueprint)."""
from __future__ import annotations

from flask import Blueprint

from cinema.access import require_roles
from cinema.models import UserRole
from cinema.rendering import render

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
def check_role():
    return require_roles(UserRole.STAFF, UserRole.ADMIN)


@bp.get("/checkin")
def checkin():
    """Admit patrons by booking code."""
    return render("pages/staff/checkin.html")
