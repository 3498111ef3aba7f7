"""Admin: the dashboard."""
from __future__ import annotations

from cinema.blueprints.admin import bp
from cinema.models import utcnow
from cinema.rendering import render
from cinema.reports import charts
from cinema.reports.dashboard import dashboard as dashboard_figures


@bp.get("/")
def dashboard():
    """Today's showtimes and occupancy, holds in progress, revenue, sell-outs, failed emails."""
    return render("pages/admin/dashboard.html", board=dashboard_figures(utcnow()),
                  bar=charts.fill_bar)
