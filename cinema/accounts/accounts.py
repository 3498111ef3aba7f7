"""Accounts: signup, sign-in, passwords, roles and sessions."""
from __future__ import annotations

import hmac
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from cinema import audit
from cinema.accounts import contact_details, password_policy
from cinema.exceptions import EmailTaken, Forbidden, NotFound, ValidationFailed
from cinema.extensions import db
from cinema.messaging import notifications
from cinema.models import User, UserRole
from cinema.models.user import new_session_token

# Argon2id, memory-hard (64 MiB, 3 passes): argon2-cffi's RFC 9106 "low memory" profile.
_hasher = PasswordHasher()
# Verifying against this when the email is unknown keeps the timing of a failed login the
# same whether or not the account exists.
_DUMMY_HASH = _hasher.hash("not a real password")

INVALID_LOGIN = "That email and password do not match an account."


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    """Raise ValidationFailed unless ``password`` meets the rules of ``password_policy``."""
    password_policy.check(password)


def find_by_email(email: str) -> User | None:
    return db.session.scalar(
        sa.select(User).where(sa.func.lower(User.email) == normalise_email(email))
    )


def register(email: str, full_name: str, password: str, role: UserRole = UserRole.USER,
             created_by: int | None = None) -> User:
    """Create an account. Raises EmailTaken or ValidationFailed (a name or an address the app
    does not accept, see ``contact_details``; a weak password); commits."""
    email = contact_details.clean_email(email)
    full_name = contact_details.clean_name(full_name)
    check_password_strength(password)
    if find_by_email(email) is not None:
        raise EmailTaken(field_errors={"email": ["An account with that email already exists."]})
    user = User(email=email, full_name=full_name, password_hash=hash_password(password),
                role=role, created_by=created_by)
    db.session.add(user)
    try:
        db.session.flush()
    except sa.exc.IntegrityError as error:
        # Two signups with one email at the same moment: the unique index decided.
        db.session.rollback()
        raise EmailTaken(field_errors={"email": ["An account with that email already exists."]}) from error
    if created_by is not None:
        audit.record(created_by, "user.create", "user", user.id,
                     f"created {role.value} account {email}", after={"role": role.value})
    if role is UserRole.USER:
        notifications.welcome(user)
    db.session.commit()
    return user


def admin_secret_matches(given: str | None, configured: str | None) -> bool:
    """Constant-time comparison; no secret configured means admin signup is closed."""
    if not configured:
        return False
    return hmac.compare_digest((given or "").encode(), configured.encode())


def register_admin(email: str, full_name: str, password: str, admin_secret: str | None,
                   configured_secret: str | None) -> User:
    """Create an ADMIN account if the signup secret matches; otherwise create nothing."""
    if not admin_secret_matches(admin_secret, configured_secret):
        raise Forbidden(
            "The admin signup secret is not correct.",
            field_errors={"admin_secret": ["The admin signup secret is not correct."]},
        )
    return register(email, full_name, password, role=UserRole.ADMIN)


def authenticate(email: str, password: str, now: datetime) -> User | None:
    """The user for these credentials, or None; one generic failure for every reason."""
    user = find_by_email(email)
    if user is None or user.is_deleted:
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    db.session.commit()
    return user


def password_matches(user: User, password: str) -> bool:
    return _verify(user.password_hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def end_all_sessions(user: User) -> None:
    """Rotate the session token and revoke the API refresh tokens, without committing: every
    session, remember-me cookie and API token of the user ends with the caller's commit."""
    from cinema.accounts import api_tokens

    user.session_token = new_session_token()
    api_tokens.revoke_all_for_user(user.id)


def end_sessions(user: User) -> None:
    """Rotate the session token: every session and remember-me cookie of the user ends."""
    end_all_sessions(user)
    db.session.commit()


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Set a new password and end every other session. Raises ValidationFailed."""
    if not _verify(user.password_hash, current_password):
        raise ValidationFailed("Your current password is not correct.",
                               field_errors={"current_password": ["Not correct."]})
    check_password_strength(new_password)
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    db.session.commit()


def set_role(actor_id: int, user_id: int, role: UserRole) -> User:
    """Change a user's role (admins only, checked by the caller's blueprint); audited."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    if user.id == actor_id and role is not UserRole.ADMIN:
        raise ValidationFailed("You cannot remove your own admin role.")
    before = user.role
    user.role = role
    # A changed role takes effect at once: end the user's sessions and API tokens.
    end_all_sessions(user)
    audit.record(actor_id, "user.role", "user", user.id,
                 f"{user.email}: {before.value} -> {role.value}",
                 before={"role": before.value}, after={"role": role.value})
    db.session.commit()
    return user


def list_users(page: int, per_page: int = 50, query: str = ""):
    stmt = sa.select(User).order_by(User.created_at.desc(), User.id.desc())
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(sa.or_(sa.func.lower(User.email).like(like),
                                 sa.func.lower(User.full_name).like(like)))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)
