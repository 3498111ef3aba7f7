"""Security headers and the login session loader."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from cinema.extensions import db, login_manager

# htmx runs under script-src 'self' because the app disables its eval-based features
# (allowEval=false) and its injected indicator styles (includeIndicatorStyles=false) in the
# htmx-config meta tag of base.html. No inline script or style anywhere in the templates.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    # A fresh session per login (see auth.login) plus the per-user session token below already
    # protect the session; "strong" protection would also sign out users whose IP changes.
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        """Cookie value is "<id>:<session token>"; a rotated token ends that session."""
        from cinema.models import User

        user_pk, _, token = user_id.partition(":")
        if not user_pk.isdigit() or not token:
            return None
        user = db.session.scalar(sa.select(User).where(User.id == int(user_pk)))
        if user is None or user.is_deleted or user.session_token != token:
            return None
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        from cinema.access import require_roles

        return require_roles()

    @app.before_request
    def refuse_nul_characters():
        """A NUL character is never valid input, and PostgreSQL refuses text containing one:
        answer 400 here rather than letting any query fail with a 500."""
        from flask import abort, request

        values = [request.path]
        sources = [request.args]
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            sources.append(request.form)
        for source in sources:  # every value of a repeated field, and the names too
            for name, repeated in source.lists():
                values += [name, *repeated]
        if any("\x00" in value for value in values):
            abort(400, "The request contains a character that is not allowed.")

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if _must_not_be_stored(response):
            headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
        return response


# Same bytes for everyone (a deleted film's poster is marked private by its route): cacheable
# even when a signed-in user asks.
_SHARED_FILES = {"static", "public.poster"}


def _must_not_be_stored(response) -> bool:
    """Nothing personal stays in a browser's or a proxy's cache: every answer to a signed-in
    user (pages, fragments, JSON, ticket QR codes) and every download (CSV exports), but not
    the static files. Answers to anonymous visitors keep the caching their route chose."""
    from flask import g, request, session

    if request.endpoint in _SHARED_FILES:
        return False
    if response.mimetype == "text/csv" or response.headers.get(
            "Content-Disposition", "").startswith("attachment"):
        return True
    user = g.get("_login_user")
    if user is not None:
        # The user loader only ever returns a live user, so any user it loaded is signed in.
        # (``is_authenticated`` would read ``is_deleted``, which the request's own commit has
        # expired: one more query on the way out of every write.)
        return not user.is_anonymous
    # The view never looked at the user: the session says whether one is signed in, without
    # a database query on the way out.
    return "_user_id" in session
