"""Security headers, the session cookie and the login session loader."""
from __future__ import annotations

import copy
import functools
import time

import sqlalchemy as sa
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

from cinema.db_connections import PREPARED
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


class RememberedSessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, each verified cookie remembered for the next request
    that carries it (a patron sends the same cookie until their session changes).

    Verifying is deterministic: the same cookie under the same keys always gives the same data,
    so a remembered cookie is only checked against the age limit again, from the time it was
    signed; a new cookie, another key or an expired cookie is verified as Flask does. Each
    request gets its own copy of the data (it may change it)."""

    KEPT = 4096  # cookies remembered per process (then forgotten all at once)

    def __init__(self):
        self._serializers: dict = {}  # signing keys -> serializer
        self._verified: dict = {}  # (signing keys, cookie) -> (signed at, data)

    @staticmethod
    def _keys(app: Flask) -> tuple:
        return (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)

    def get_signing_serializer(self, app: Flask):
        if not app.secret_key:
            return None
        keys = self._keys(app)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            self._serializers = {keys: serializer}  # one app's keys at a time, in practice
        return serializer

    def open_session(self, app: Flask, request):
        if not app.secret_key:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (self._keys(app), cookie)
        remembered = self._verified.get(key)
        if remembered is not None and 0 <= int(time.time()) - remembered[0] <= max_age:
            return self.session_class(copy.deepcopy(remembered[1]))
        try:
            data, signed_at = self.get_signing_serializer(app).loads(
                cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if len(self._verified) >= self.KEPT:
            self._verified.clear()
        self._verified[key] = (int(signed_at.timestamp()), copy.deepcopy(data))
        return self.session_class(data)


def init_app(app: Flask) -> None:
    app.session_interface = RememberedSessionCookies()
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    # A fresh session per login (see auth.login) plus the per-user session token below already
    # protect the session; "strong" protection would also sign out users whose IP changes.
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        """Cookie value is "<id>:<session token>"; a rotated token ends that session."""
        user_pk, _, token = user_id.partition(":")
        if not user_pk.isdigit() or not token:
            return None
        user = db.session.scalar(_user_by_id(), {"user_id": int(user_pk)})
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


@functools.cache
def _user_by_id() -> sa.Select:
    """The user loader's statement, built once: every signed-in request runs it, and building
    the expression and its cache key again each time cost about as much as running it. Prepared
    (``cinema/db_connections.py``): a primary-key lookup has one plan whatever the id."""
    from cinema.models import User

    return (sa.select(User).where(User.id == sa.bindparam("user_id"))
            .prefix_with(PREPARED.strip()))


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
