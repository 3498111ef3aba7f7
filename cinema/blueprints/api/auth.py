"""/api/v1/auth: sign up, sign in for a token pair, refresh (rotating), sign out, who am I.

The same services, rules, messages and rate limits (the same limiter scopes) as the forms.
"""
from __future__ import annotations

import marshmallow as ma
from flask import current_app, request
from marshmallow import fields, validate

from cinema.accounts import accounts, api_tokens, password_policy
from cinema.blueprints.api.core import ApiBlueprint, api_user
from cinema.blueprints.api.schemas import Text, UserSchema
from cinema.exceptions import Unauthorized
from cinema.extensions import limiter, rate_limit_key
from cinema.models import utcnow

blp = ApiBlueprint("api_auth", __name__, url_prefix="/api/v1/auth",
                   description="Accounts and tokens")


def _json_email_key() -> str:
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return rate_limit_key("email:" + accounts.normalise_email(email if isinstance(email, str) else ""))


def _limit(config_key: str):
    """Per client address and per email, in the same buckets as the HTML forms."""
    value = lambda: current_app.config[config_key]  # noqa: E731
    by_client = limiter.limit(value, methods=["POST"], scope=f"{config_key}:client")
    by_email = limiter.limit(value, methods=["POST"], key_func=_json_email_key,
                             scope=f"{config_key}:email")
    return lambda view: by_client(by_email(view))


def _email():
    return fields.Email(required=True, validate=[validate.Length(max=254)])


def _password_rules(value: str) -> None:
    """The forms' password rules (length, blank, common passwords), as a field error."""
    problem = password_policy.problem(value)
    if problem:
        raise ma.ValidationError(problem)


class SignupArgs(ma.Schema):
    email = _email()
    full_name = Text(120, min_length=1, required=True, validate_also=[validate.Regexp(r"\S")])
    password = Text(password_policy.MAX_PASSWORD_LENGTH, min_length=1, required=True,
                    validate_also=[_password_rules])


class AdminSignupArgs(SignupArgs):
    admin_secret = Text(200, required=True)


class LoginArgs(ma.Schema):
    email = Text(254, required=True)
    password = Text(200, required=True)


class RefreshArgs(ma.Schema):
    refresh_token = Text(200, required=True)


class TokenPairSchema(ma.Schema):
    user = fields.Nested(UserSchema, required=True)
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.Constant("Bearer", required=True)
    expires_in = fields.Integer(required=True, metadata={"description": "seconds"})


def _signup_fields(args: dict) -> tuple[str, str, str]:
    return args["email"], args["full_name"].strip(), args["password"]


@blp.route("/user/signup", methods=["POST"])
@_limit("RATELIMIT_SIGNUP")
@blp.arguments(SignupArgs)
@blp.response(201, UserSchema)
def user_signup(args):
    """Create a patron (USER) account."""
    return accounts.register(*_signup_fields(args))


@blp.route("/admin/signup", methods=["POST"])
@_limit("RATELIMIT_SIGNUP")
@blp.arguments(AdminSignupArgs)
@blp.response(201, UserSchema)
def admin_signup(args):
    """Create an ADMIN account; needs the configured admin signup secret (403 otherwise)."""
    return accounts.register_admin(*_signup_fields(args), args["admin_secret"],
                                   current_app.config["ADMIN_SIGNUP_SECRET"])


@blp.route("/login", methods=["POST"])
@_limit("RATELIMIT_LOGIN")
@blp.arguments(LoginArgs)
@blp.response(200, TokenPairSchema)
def login(args):
    """Trade an email and password for an access token and a refresh token."""
    now = utcnow()
    user = accounts.authenticate(args["email"], args["password"], now=now)
    if user is None:
        raise Unauthorized(accounts.INVALID_LOGIN)
    return api_tokens.issue_pair(user, now)


@blp.route("/refresh", methods=["POST"])
@blp.arguments(RefreshArgs)
@blp.response(200, TokenPairSchema)
def refresh(args):
    """Rotate a refresh token: a new pair; the old token is spent (its reuse revokes all)."""
    return api_tokens.rotate(args["refresh_token"], utcnow())


@blp.route("/logout", methods=["POST"])
@blp.auth()
@blp.arguments(RefreshArgs)
@blp.response(204)
def logout(args):
    """Revoke the refresh token's family (this sign-in); the access token dies with its time."""
    api_tokens.revoke(args["refresh_token"], api_user().id, utcnow())


@blp.route("/me", methods=["GET"])
@blp.auth()
@blp.response(200, UserSchema)
def me():
    """The signed-in user."""
    return api_user()
