"""Signup, login and user-management forms."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, EqualTo, InputRequired, Length, StopValidation, ValidationError

from cinema.accounts import password_policy
from cinema.accounts.contact_details import (
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    email_problem,
    name_problem,
)
from cinema.models import UserRole

ROLE_CHOICES = [SelectChoice(r.value, r.value.title()) for r in UserRole]


def strip(value):
    return value.strip() if isinstance(value, str) else value


class PasswordRules:
    """The new-password rules of ``password_policy`` (length at both ends, common passwords);
    the length limits also go into the input's ``minlength``/``maxlength``."""

    field_flags = {"minlength": password_policy.MIN_PASSWORD_LENGTH,
                   "maxlength": password_policy.MAX_PASSWORD_LENGTH}

    def __call__(self, form, field) -> None:
        message = password_policy.problem(field.data)
        if message:
            raise ValidationError(message)


NEW_PASSWORD = [InputRequired(), PasswordRules()]


def person_name(form, field):
    """A name the app accepts (no control characters, see ``contact_details``)."""
    problem = name_problem(field.data)
    if problem:
        raise StopValidation(problem)


def email_address(form, field):
    """An address the app accepts (plain ASCII, see ``contact_details``)."""
    problem = email_problem(field.data)
    if problem:
        raise StopValidation(problem)


# Email() (email-validator) judges the syntax in full; email_address says why an
# internationalised or control-character address is refused.
EMAIL_VALIDATORS = [InputRequired(), Length(max=EMAIL_MAX_LENGTH), email_address,
                    Email(check_deliverability=False)]
NAME_VALIDATORS = [InputRequired(), Length(min=1, max=NAME_MAX_LENGTH), person_name]


class SignupForm(FlaskForm):
    email = EmailField("Email", filters=[strip], validators=EMAIL_VALIDATORS)
    full_name = StringField("Full name", filters=[strip], validators=NAME_VALIDATORS)
    password = PasswordField("Password", validators=NEW_PASSWORD)
    password_confirm = PasswordField("Confirm password", validators=[
        InputRequired(), EqualTo("password", message="The two passwords do not match.")])


class AdminSignupForm(SignupForm):
    admin_secret = PasswordField("Admin signup secret",
                                 validators=[InputRequired(), Length(max=200)])


class LoginForm(FlaskForm):
    email = EmailField("Email", filters=[strip], validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in on this device")


class StaffCreateForm(SignupForm):
    role = SelectField("Role", choices=ROLE_CHOICES, default=UserRole.STAFF.value)


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
