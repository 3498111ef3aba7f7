"""Public pages: home and the health check. Catalogue pages live in ``catalogue``."""
from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, make_response, send_from_directory
from werkzeug.security import safe_join

from cinema import demo
from cinema.extensions import db, get_redis
from cinema.models import utcnow
from cinema.rendering import render
from cinema.services import catalogue
from cinema.templating import cinema_tz

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    """Now showing: every film with a bookable showtime, soonest first, with its next times."""
    now = utcnow()
    return render("pages/index.html", films=catalogue.now_showing(now),
                  today=catalogue.local_today(now, cinema_tz()))


@bp.get("/movies/<int:movie_id>/poster")
def poster(movie_id: int):
    """The film's uploaded poster, or a generated SVG one when there is none."""
    movie = catalogue.get_movie(movie_id)
    folder = os.path.join(current_app.instance_path, "posters")
    path = safe_join(folder, movie.poster_path) if movie.poster_path else None
    if path and os.path.isfile(path):
        response = send_from_directory(folder, movie.poster_path)
    else:
        response = make_response(demo.poster_svg(
            movie.title, f"{movie.age_rating} · {movie.duration_minutes} min"))
        response.mimetype = "image/svg+xml"
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


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
