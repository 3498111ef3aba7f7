"""Reports, open to STAFF and ADMIN (checked once, for the whole blueprint)."""
from __future__ import annotations

from flask import Blueprint

from cinema.access import require_roles
from cinema.models import UserRole
from cinema.rendering import render

bp = Blueprint("reports", __name__, url_prefix="/admin/reports")


@bp.before_request
def check_role():
    return require_roles(UserRole.STAFF, UserRole.ADMIN)


@bp.get("/revenue")
def revenue():
    """Revenue by day, film and auditorium."""
    return render("pages/reports/placeholder.html", title="Revenue")


@bp.get("/occupancy")
def occupancy():
    """Seats sold against capacity."""
    return render("pages/reports/placeholder.html", title="Occupancy")


@bp.get("/user-stats")
def user_stats():
    """Signups, active bookers, repeat rate."""
    return render("pages/reports/placeholder.html", title="User statistics")
