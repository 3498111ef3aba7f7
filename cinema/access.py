"""Who may do what: ``login_required``, ``role_required`` and ``optional_user``; and where a
form may send the user afterwards (``safe_next``).

Anonymous visitors get a 401 (JSON or HTMX) or a redirect to the login page with ``next``
(browser navigation); signed-in users without the role get a 403. The admin and staff blueprints
call ``require_roles`` once, in ``before_request``, for every route they own.
"""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import redirect, request, url_for
from flask_login import current_user

from cinema.errors import is_htmx, wants_json
from cinema.exceptions import Forbidden, Unauthorized
from cinema.models import User, UserRole


def optional_user() -> User | None:
    """The signed-in user, or None for a visitor."""
    return current_user if current_user.is_authenticated else None


def _unauthenticated():
    if wants_json() or is_htmx() or request.method not in ("GET", "HEAD"):
        raise Unauthorized()
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def require_roles(*roles: UserRole):
    """Return a response (redirect) or raise if the current user lacks one of ``roles``.

    With no roles given, any signed-in user passes.
    """
    if not current_user.is_authenticated:
        return _unauthenticated()
    if roles and current_user.role not in roles:
        raise Forbidden()
    return None


def role_required(*roles: UserRole):
    """Decorator: the view needs a signed-in user with one of ``roles`` (any role if none)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            denied = require_roles(*roles)
            if denied is not None:
                return denied
            return view(*args, **kwargs)

        return wrapper

    return decorator


login_required = role_required()


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` if it is a path on this site, else ``fallback``: never an open redirect.

    Only a relative path starting with one ``/`` passes: not ``//host`` or ``/\\host`` (which
    browsers read as another site), not an absolute URL, nothing with control characters.
    """
    if (target and target.startswith("/") and not target.startswith("//")
            and "\\" not in target and target.isprintable()):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return fallback
