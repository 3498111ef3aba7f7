"""Sign up, sign in, sign out."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from cinema.access import login_required, safe_next
from cinema.accounts import accounts, password_reset
from cinema.errors import on_error_render
from cinema.extensions import limiter, rate_limit_key
from cinema.forms import validate_or_raise
from cinema.forms.account import ResetPasswordForm, ResetRequestForm
from cinema.forms.accounts import AdminSignupForm, LoginForm, SignupForm
from cinema.models import utcnow
from cinema.rendering import render

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _email_key() -> str:
    return rate_limit_key("email:" + accounts.normalise_email(request.form.get("email", "")))


def _limit(config_key: str, scope: str = "", per_email: bool = True):
    """Per client address and per email, both from configuration (e.g. "5 per minute")."""
    value = lambda: current_app.config[config_key]  # noqa: E731
    scope = scope or config_key
    by_client = limiter.limit(value, methods=["POST"], scope=f"{scope}:client")
    if not per_email:
        return by_client
    by_email = limiter.limit(value, methods=["POST"], key_func=_email_key,
                             scope=f"{scope}:email")
    return lambda view: by_client(by_email(view))


def _sign_in(user, remember: bool) -> None:
    # A fresh session on every login: nothing from before (a fixed session id, old flashes)
    # survives into the signed-in session.
    session.clear()
    login_user(user, remember=remember)


def _signup_page(form, admin=False, error=None):
    return render("pages/auth/signup.html", form=form, admin=admin, error=error)


@bp.get("/signup")
def signup():
    """The patron signup form."""
    return _signup_page(SignupForm())


@bp.post("/signup")
@_limit("RATELIMIT_SIGNUP")
def signup_post():
    """Create a USER account and sign it in."""
    form = SignupForm()
    on_error_render(lambda error: _signup_page(form, error=error))
    validate_or_raise(form)
    user = accounts.register(form.email.data, form.full_name.data, form.password.data)
    _sign_in(user, remember=False)
    flash(f"Welcome, {user.full_name}! Your account is ready.", "success")
    return redirect(url_for("public.index"), 303)


@bp.get("/admin/signup")
def admin_signup():
    """The admin signup form (needs the configured secret)."""
    return _signup_page(AdminSignupForm(), admin=True)


@bp.post("/admin/signup")
@_limit("RATELIMIT_SIGNUP")
def admin_signup_post():
    """Create an ADMIN account if the admin signup secret matches."""
    form = AdminSignupForm()
    on_error_render(lambda error: _signup_page(form, admin=True, error=error))
    validate_or_raise(form)
    user = accounts.register_admin(form.email.data, form.full_name.data, form.password.data,
                                   form.admin_secret.data,
                                   current_app.config["ADMIN_SIGNUP_SECRET"])
    _sign_in(user, remember=False)
    flash(f"Welcome, {user.full_name}! You are signed in as an administrator.", "success")
    return redirect(url_for("admin.dashboard"), 303)


def _login_page(form, error=None):
    return render("pages/auth/login.html", form=form, error=error,
                  next=request.args.get("next", ""))


@bp.get("/login")
def login():
    """The sign-in form; shows who is signed in already."""
    return _login_page(LoginForm())


@bp.post("/login")
@_limit("RATELIMIT_LOGIN")
def login_post():
    """Check the credentials; one generic message for every failure."""
    form = LoginForm()
    on_error_render(lambda error: _login_page(form, error=error))
    validate_or_raise(form)
    user = accounts.authenticate(form.email.data, form.password.data, now=utcnow())
    if user is None:
        from cinema.exceptions import Unauthorized

        raise Unauthorized(accounts.INVALID_LOGIN)
    _sign_in(user, remember=bool(form.remember.data))
    flash(f"Signed in as {user.full_name} ({user.role.value.title()}).", "success")
    return redirect(safe_next(request.args.get("next") or request.form.get("next"),
                             url_for("public.index")), 303)


@bp.post("/logout")
@login_required
def logout():
    """Sign out here and everywhere else (the session token is rotated)."""
    accounts.end_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash("You have been signed out.", "info")
    return redirect(url_for("public.index"), 303)


# --- password reset ----------------------------------------------------------------------------

RESET_SENT = ("If an account exists for that address, we have emailed it a link to choose a new "
              "password. The link works once, for one hour.")


def _reset_request_page(form, error=None):
    return render("pages/auth/reset_request.html", form=form, error=error)


@bp.get("/reset")
def reset():
    """Ask for a password reset link."""
    return _reset_request_page(ResetRequestForm())


@bp.post("/reset")
@_limit("RATELIMIT_LOGIN", scope="RATELIMIT_RESET")
def reset_post():
    """Email a reset link; the answer is the same whether or not the account exists."""
    form = ResetRequestForm()
    on_error_render(lambda error: _reset_request_page(form, error=error))
    validate_or_raise(form)
    password_reset.request_reset(form.email.data, now=utcnow())
    flash(RESET_SENT, "info")
    return redirect(url_for("auth.login"), 303)


def _reset_page(token, form, error=None):
    return render("pages/auth/reset_password.html", token=token, form=form, error=error,
                  request_form=ResetRequestForm())


@bp.get("/reset/<token>")
def reset_password(token: str):
    """The new-password form, if the link is still good."""
    form = ResetPasswordForm()
    on_error_render(lambda error: _reset_page(token, form, error=error))
    password_reset.user_for_token(token, now=utcnow())
    return _reset_page(token, form)


@bp.post("/reset/<token>")
@_limit("RATELIMIT_LOGIN", scope="RATELIMIT_RESET_SET", per_email=False)
def reset_password_post(token: str):
    """Set the new password, end every session, and ask to sign in."""
    form = ResetPasswordForm()
    on_error_render(lambda error: _reset_page(token, form, error=error))
    validate_or_raise(form)
    password_reset.reset_password(token, form.password.data, now=utcnow())
    flash("Your password has been changed and you have been signed out everywhere. "
          "Please sign in with the new password.", "success")
    return redirect(url_for("auth.login"), 303)
