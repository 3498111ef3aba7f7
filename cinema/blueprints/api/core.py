"""The API's plumbing: the flask-smorest ``Api`` (OpenAPI from the schemas), a request parser
whose failures are our 422 ``ValidationFailed``, and bearer-token authentication.

Errors are not rendered here: flask-smorest's own HTTP error handler is switched off, so every
error of the API goes through ``cinema.errors`` like the rest of the app, as the structured JSON
body (``wants_json`` is true for every ``/api/`` path).
"""
from __future__ import annotations

from functools import wraps

from flask import g, request
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser

from cinema.blueprints.api import schemas
from cinema.exceptions import Forbidden, Unauthorized, ValidationFailed
from cinema.models import User, UserRole

BEARER = "bearerAuth"
SECURED = [{BEARER: []}]


class CinemaApi(Api):
    """flask-smorest's Api, documenting our error body and leaving error handling to us."""

    ERROR_SCHEMA = schemas.ErrorSchema

    def _register_error_handlers(self):
        pass  # cinema.errors answers every error, in the same body as the rest of the app


class ApiParser(FlaskParser):
    """Parses with the declared schemas; a bad request becomes ValidationFailed (422) with the
    fields named, instead of webargs' own error."""

    DEFAULT_VALIDATION_STATUS = 422

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        field_errors = {}
        for location_errors in error.normalized_messages().values():
            if isinstance(location_errors, dict):
                for name, messages in location_errors.items():
                    field_errors[str(name)] = _flatten(messages)
            else:
                field_errors["_body"] = _flatten(location_errors)
        raise ValidationFailed(field_errors=field_errors)

    def load_json(self, req, schema):
        # A body that is not JSON (or not an object) is a validation failure, never a 400 page.
        if req.mimetype != "application/json" and req.get_data(cache=True):
            raise ValidationFailed("Send the request body as JSON (Content-Type: application/json).")
        return super().load_json(req, schema)


def _flatten(messages) -> list[str]:
    if isinstance(messages, dict):
        return [f"{key}: {text}" for key, value in messages.items() for text in _flatten(value)]
    if isinstance(messages, list):
        return [text for item in messages for text in _flatten(item)]
    return [str(messages)]


class ApiBlueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = ApiParser()

    def auth(self, *roles: UserRole):
        """Decorator: ``token_required(*roles)``, documented as bearer security."""
        def decorator(view):
            return self.doc(security=SECURED)(token_required(*roles)(view))

        return decorator


# --- authentication ---------------------------------------------------------------------------

def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def api_user() -> User:
    """The user of this API request (set by ``token_required``)."""
    return g.api_user


def token_required(*roles: UserRole):
    """The view needs a valid access token (session cookies are ignored), of a user with one of
    ``roles`` if given. Raises Unauthorized (401 AUTH_REQUIRED / TOKEN_EXPIRED) or Forbidden."""
    from cinema.accounts import api_tokens

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            token = _bearer_token()
            if token is None:
                raise Unauthorized("Send an access token: Authorization: Bearer <token>.")
            user = api_tokens.user_for_access_token(token)
            if roles and user.role not in roles:
                raise Forbidden()
            g.api_user = user
            return view(*args, **kwargs)

        wrapper._api_roles = roles  # read by the URL-map test and the docs
        return wrapper

    return decorator
