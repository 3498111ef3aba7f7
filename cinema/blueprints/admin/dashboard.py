"""Admin: the dashboard."""
from __future__ import annotations

from cinema.blueprints.admin import bp
from cinema.rendering import render


@bp.get("/")
def dashboard():
    """The admin dashboard."""
    return render("pages/admin/dashboard.html")
