"""Deprecated unversioned routes, kept working until their sunset date.

Each answers exactly like its /api/v1 successor, plus ``Deprecation`` and ``Sunset`` headers
(RFC 9745 / RFC 8594) and a ``Link`` to the successor, and logs a DEPRECATED warning naming the
caller, so the operators know who still has to move.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from email.utils import format_datetime

from flask import request

from cinema.blueprints.api import catalogue
from cinema.blueprints.api.core import ApiBlueprint

log = logging.getLogger(__name__)

blp = ApiBlueprint("api_deprecated", __name__, url_prefix="/api",
                   description="Deprecated unversioned routes")

DEPRECATED_SINCE = datetime(2026, 12, 1, tzinfo=timezone.utc)
SUNSET = datetime(2027, 6, 1, tzinfo=timezone.utc)


def deprecation_headers(successor: str) -> dict:
    """The headers of a deprecated route's answer, and a warning in the log."""
    log.warning("DEPRECATED %s %s called by %s (%s); successor %s", request.method, request.path,
                request.remote_addr, request.user_agent.string or "no user agent", successor)
    return {"Deprecation": f"@{int(DEPRECATED_SINCE.timestamp())}",
            "Sunset": format_datetime(SUNSET, usegmt=True),
            "Link": f'<{successor}>; rel="successor-version"'}


@blp.route("/movies", methods=["GET"])
@blp.doc(deprecated=True)
@blp.arguments(catalogue.MovieFilterArgs, location="query")
@blp.response(200, catalogue.MoviePage)
def movies(args):
    """Deprecated: use GET /api/v1/movies (same arguments, same answer)."""
    return catalogue.search(args, "api_movies.list_movies"), 200, \
        deprecation_headers("/api/v1/movies")
