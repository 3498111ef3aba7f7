"""Public pages: home and the health check. Catalogue pages live in ``catalogue``."""
from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import Blueprint, jsonify, make_response, request, send_file

from cinema.access import optional_user
from cinema.catalogue import catalogue, posters
from cinema.clock import cinema_tz, local_today
from cinema.exceptions import NotFound
from cinema.extensions import db, get_redis
from cinema.models import Movie, utcnow
from cinema.rendering import render
from cinema.wishlist import wishlist

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    """Now showing: every film with a bookable showtime, soonest first, with its next times."""
    now = utcnow()
    user = optional_user()
    return render("pages/index.html", films=catalogue.now_showing(now),
                  today=local_today(now, cinema_tz()),
                  saved_ids=wishlist.saved_ids(user.id if user else None))


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


# Posters change rarely; an hour of caching plus a validator (ETag / Last-Modified) keeps them
# cheap and lets a replaced poster show within the hour (an upload gets a new file, so a new
# ETag). Served with a CSP of its own: an image needs no scripts, styles or anything else.
POSTER_MAX_AGE = 3600
POSTER_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@bp.get("/movies/<id:movie_id>/poster")
def poster(movie_id: int):
    """A film's poster: the uploaded image, or a generated SVG placeholder when none."""
    movie = db.session.get(Movie, movie_id)
    viewer = optional_user()
    if movie is None or (movie.is_deleted and not (viewer and viewer.is_admin)):
        raise NotFound("No such film.")
    path = posters.poster_path(movie.poster_path)
    if path is not None:
        response = send_file(path, mimetype=posters.content_type(path), conditional=True,
                             etag=True, max_age=POSTER_MAX_AGE)
    else:
        svg = posters.placeholder_svg(movie).encode()
        response = make_response(svg)
        response.mimetype = "image/svg+xml"
        response.set_etag(hashlib.sha256(svg).hexdigest()[:32])
        response.cache_control.max_age = POSTER_MAX_AGE
        response = response.make_conditional(request)
    if movie.is_deleted:
        response.cache_control.private = True  # only admins see a deleted film's poster
    else:
        response.cache_control.public = True
    response.headers["Content-Security-Policy"] = POSTER_CSP
    return response
