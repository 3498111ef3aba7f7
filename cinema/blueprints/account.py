"""The signed-in user's own account: name, email, password (any role; checked once here)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_user

from cinema.access import require_roles
from cinema.accounts import accounts, profile
from cinema.errors import on_error_render
from cinema.forms import validate_or_raise
from cinema.forms.account import PasswordChangeForm, ProfileForm
from cinema.rendering import render

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.before_request
def check_signed_in():
    return require_roles()


def _page(profile_form=None, password_form=None, profile_error=None, password_error=None):
    return render("pages/account/index.html",
                  profile_form=profile_form or ProfileForm(obj=current_user),
                  password_form=password_form or PasswordChangeForm(prefix="pw"),
                  profile_error=profile_error, password_error=password_error)


@bp.get("")
def index():
    """Name, email and password of the signed-in user."""
    return _page()


@bp.post("/profile")
def update_profile():
    """Change the name and email."""
    form = ProfileForm()
    on_error_render(lambda error: _page(profile_form=form, profile_error=error))
    validate_or_raise(form)
    profile.update_profile(current_user.id, form.full_name.data, form.email.data,
                           form.current_password.data)
    flash("Your details have been saved.", "success")
    return redirect(url_for("account.index"), 303)


@bp.post("/password")
def change_password():
    """Change the password; every other session of the account ends, this one goes on."""
    form = PasswordChangeForm(prefix="pw")
    on_error_render(lambda error: _page(password_form=form, password_error=error))
    validate_or_raise(form)
    user = current_user._get_current_object()
    accounts.change_password(user, form.current_password.data, form.password.data)
    login_user(user)  # the session token was rotated: carry this session over to the new one
    flash("Your password has been changed. You have been signed out on other devices.",
          "success")
    return redirect(url_for("account.index"), 303)
