"""Public pages: home and the health check. Catalogue pages live in ``catalogue``."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify

from cinema.extensions import db, get_redis
from cinema.rendering import render

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    """Now showing and the next showtimes."""
    return render("pages/index.html")


@bp.get("/healthz")
def healthz():
    """Database and Redis reachability, as JSON (503 if the database is down)."""
    checks = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = {"ok": True, "backend": db.engine.dialect.name}
    except Exception as error:  # noqa: BLE001 - any failure means "unreachable"
        db.session.rollback()
        checks["database"] = {"ok": False, "error": type(error).__name__}
    client = get_redis()
    if client is None:
        checks["redis"] = {"ok": True, "configured": False}
    else:
        try:
            client.ping()
            checks["redis"] = {"ok": True, "configured": True}
        except Exception as error:  # noqa: BLE001
            checks["redis"] = {"ok": False, "configured": True, "error": type(error).__name__}
    healthy = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if healthy else "degraded", "checks": checks}
    return jsonify(body), 200 if checks["database"]["ok"] else 503
