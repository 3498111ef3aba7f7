"""A patron's own account settings: name and email (password: ``accounts.change_password``)."""
from __future__ import annotations

import sqlalchemy as sa

from cinema.accounts import accounts, contact_details
from cinema.exceptions import EmailTaken, ValidationFailed
from cinema.extensions import db
from cinema.models import User


def update_profile(user_id: int, full_name: str, email: str, current_password: str) -> User:
    """Change the name, and the email if the current password confirms it. Commits.

    Changing the sign-in address needs the password, so an unattended signed-in browser cannot
    take the account over through "forgot password". Raises ValidationFailed (also for a name
    or address ``contact_details`` refuses) or EmailTaken.
    """
    user = db.session.get(User, user_id)
    full_name = contact_details.clean_name(full_name)
    email = contact_details.clean_email(email)
    if email != user.email:
        if not accounts.password_matches(user, current_password):
            raise ValidationFailed(
                "To change your email, confirm it with your current password.",
                field_errors={"current_password": ["Needed to change your email."]})
        other = accounts.find_by_email(email)
        if other is not None and other.id != user.id:
            raise EmailTaken(field_errors={"email": ["An account with that email already exists."]})
        user.email = email
    user.full_name = full_name
    try:
        db.session.commit()
    except sa.exc.IntegrityError as error:
        db.session.rollback()
        raise EmailTaken(field_errors={"email": ["An account with that email already exists."]}) from error
    return user
