"""The versioned JSON API, ``/api/v1``: a second face on the same services as the pages.

Views parse with a declared schema, call the service the HTML route calls, and serialise with a
declared schema; the OpenAPI document (``/api/v1/openapi.json``) and the reference page
(``/api/v1/docs``) are generated from those schemas. Bearer tokens only: the API blueprints are
exempt from CSRF and never read the session cookie.
"""
from __future__ import annotations

from flask import Flask

from cinema.blueprints.api import (
    admin,
    admin_venues,
    auth,
    bookings,
    catalogue,
    deprecated,
    docs,
    patrons,
    pricing,
    reports,
    showtimes,
)
from cinema.blueprints.api.core import BEARER, CinemaApi

API_BLUEPRINTS = (auth.blp, catalogue.blp, showtimes.blp, bookings.blp, pricing.blp, admin.blp,
                  admin_venues.blp, reports.blp, patrons.wishlist_blp, patrons.reviews_blp,
                  patrons.waitlist_blp, deprecated.blp)


def init_app(app: Flask) -> CinemaApi:
    """Build this app's Api, register every API blueprint in it, and the docs page."""
    from cinema.extensions import csrf

    app.config.update(
        API_TITLE=f"{app.config['CINEMA_NAME']} API", API_VERSION="1.0.0",
        OPENAPI_VERSION="3.0.3", OPENAPI_URL_PREFIX="/api/v1", OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={"info": {"description": (
            "The versioned JSON API of the cinema. Send `Authorization: Bearer <access token>` "
            "(from POST /api/v1/auth/login). Money is integer cents of `currency`; times are "
            "ISO 8601 UTC. Every error has the body {status, status_code, detail, error_code, "
            "timestamp} (+ field_errors on 422).")}},
    )
    api = CinemaApi(app)
    api.spec.components.security_scheme(BEARER, {"type": "http", "scheme": "bearer",
                                                 "bearerFormat": "JWT"})
    for blueprint in API_BLUEPRINTS:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    csrf.exempt(docs.bp)
    app.register_blueprint(docs.bp)
    app.extensions["cinema_api"] = api
    return api
