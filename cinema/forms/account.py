"""The patron's own account page and the password reset forms."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Optional

from cinema.forms.accounts import EMAIL_VALIDATORS, NAME_VALIDATORS, NEW_PASSWORD, strip

_CONFIRM = [InputRequired(), EqualTo("password", message="The two passwords do not match.")]


class ProfileForm(FlaskForm):
    full_name = StringField("Full name", filters=[strip], validators=NAME_VALIDATORS)
    email = EmailField("Email", filters=[strip], validators=EMAIL_VALIDATORS)
    current_password = PasswordField("Current password (only to change your email)",
                                     validators=[Optional(), Length(max=200)])


class PasswordChangeForm(FlaskForm):
    """Shown on the same page as ProfileForm: use with ``prefix="pw"`` so the ids differ."""

    current_password = PasswordField("Current password",
                                     validators=[InputRequired(), Length(max=200)])
    password = PasswordField("New password", validators=NEW_PASSWORD)
    password_confirm = PasswordField("Confirm new password", validators=_CONFIRM)


class ResetRequestForm(FlaskForm):
    email = EmailField("Email", filters=[strip], validators=EMAIL_VALIDATORS)


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=NEW_PASSWORD)
    password_confirm = PasswordField("Confirm new password", validators=_CONFIRM)
