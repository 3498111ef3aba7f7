"""Password reset by emailed link: signed, valid for an hour, usable once.

The link carries (user id, issue time, a fingerprint of the current password hash), signed
with the app's ``SECRET_KEY``. Setting a new password changes the hash, so the fingerprint no
longer matches and the link (and every other link issued before) stops working: single use
without storing anything. The issue time is inside the signed payload so ``now`` can be passed
in, like everywhere else.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone

from itsdangerous import BadSignature, URLSafeSerializer

from cinema.accounts import accounts
from cinema.exceptions import ResetLinkExpired, ResetLinkInvalid
from cinema.extensions import db
from cinema.messaging import notifications
from cinema.models import User
from cinema.settings import settings

SALT = "password-reset"
LINK_LIFETIME = timedelta(hours=1)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(settings().secret_key, salt=SALT)


def _fingerprint(user: User) -> str:
    # A hash of the hash: the token is signed, not encrypted, so the hash itself stays out.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def make_token(user: User, now: datetime) -> str:
    return _serializer().dumps([user.id, int(now.timestamp()), _fingerprint(user)])


def user_for_token(token: str, now: datetime) -> User:
    """The user a valid, unexpired, unused token was issued for; raises ResetLinkInvalid or
    ResetLinkExpired."""
    try:
        user_id, issued, fingerprint = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise ResetLinkInvalid() from None
    issued_at = datetime.fromtimestamp(int(issued), timezone.utc)
    if now - issued_at > LINK_LIFETIME:
        raise ResetLinkExpired()
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.is_deleted or not hmac.compare_digest(
            str(fingerprint), _fingerprint(user)):
        raise ResetLinkInvalid()
    return user


def request_reset(email: str, now: datetime) -> None:
    """Email a reset link if the address has an account; say nothing either way. Commits."""
    user = accounts.find_by_email(email)
    if user is None or user.is_deleted:
        return
    reset_url = notifications.external_url("auth.reset_password",
                                           token=make_token(user, now))
    notifications.password_reset(user, reset_url)
    db.session.commit()


def reset_password(token: str, new_password: str, now: datetime) -> User:
    """Set the new password and end every session of the account; the link is then spent."""
    user = user_for_token(token, now)
    accounts.check_password_strength(new_password)
    user.password_hash = accounts.hash_password(new_password)
    accounts.end_all_sessions(user)
    db.session.commit()
    return user
