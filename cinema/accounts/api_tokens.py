"""Access and refresh tokens of the JSON API.

Access tokens are JWTs (HS256, signed with ``SECRET_KEY``) with a ``type`` claim of "access",
the user id as ``sub`` and a fingerprint of the user's session token as ``sv``: rotating the
session token (password change, role change, "sign out everywhere") ends them at once. The
user is loaded and checked on every request, so a deleted or demoted user loses access at once.

Refresh tokens are opaque random strings; only their SHA-256 is stored. Each use rotates: the
presented row is marked rotated and a new row of the same family is issued. A rotated token
shown again means it was copied: the whole family is revoked and the caller gets 401.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
import sqlalchemy as sa
from flask import current_app

from cinema.exceptions import InvalidRefreshToken, TokenExpired, Unauthorized
from cinema.extensions import db
from cinema.models import RefreshToken, User, utcnow
from cinema.settings import settings

ALGORITHM = "HS256"
ISSUER = "cinema-api"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    user: User


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _session_fingerprint(user: User) -> str:
    return _hash(user.session_token)[:16]


def _signing_key() -> bytes:
    # A key of its own, derived from SECRET_KEY: 32 bytes whatever the secret's length, and a
    # token signed for another purpose with SECRET_KEY can never pass as an access token.
    return hashlib.sha256(b"cinema-api-access-token:" +
                          settings().secret_key.encode()).digest()


def _access_token(user: User, now: datetime) -> tuple[str, int]:
    lifetime = settings().api_access_token_seconds
    claims = {"sub": str(user.id), "type": "access", "sv": _session_fingerprint(user),
              "iss": ISSUER, "iat": int(now.timestamp()),
              "exp": int((now + timedelta(seconds=lifetime)).timestamp())}
    return jwt.encode(claims, _signing_key(), algorithm=ALGORITHM), lifetime


def _new_refresh_row(user_id: int, family_id: str, now: datetime) -> tuple[str, RefreshToken]:
    token = secrets.token_urlsafe(32)
    row = RefreshToken(user_id=user_id, family_id=family_id, token_hash=_hash(token),
                       created_by=user_id, expires_at=now + timedelta(
                           seconds=settings().api_refresh_token_seconds))
    db.session.add(row)
    return token, row


def issue_pair(user: User, now: datetime) -> TokenPair:
    """A fresh access token and the first refresh token of a new family; commits."""
    refresh, _ = _new_refresh_row(user.id, uuid.uuid4().hex, now)
    db.session.commit()
    access, lifetime = _access_token(user, now)
    return TokenPair(access, refresh, lifetime, user)


def _revoke_family(family_id: str, now: datetime) -> None:
    db.session.execute(sa.update(RefreshToken)
                       .where(RefreshToken.family_id == family_id,
                              RefreshToken.revoked_at.is_(None))
                       .values(revoked_at=now, updated_at=now))


def rotate(refresh_token: str, now: datetime) -> TokenPair:
    """Trade a refresh token for a new pair; commits.

    Raises InvalidRefreshToken (401) for an unknown, expired or revoked token, and for a token
    already rotated, after revoking its whole family (reuse means it was stolen).
    """
    row = db.session.scalar(sa.select(RefreshToken)
                            .where(RefreshToken.token_hash == _hash(refresh_token or ""))
                            .with_for_update())
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        db.session.rollback()
        raise InvalidRefreshToken()
    if row.rotated_at is not None:
        _revoke_family(row.family_id, now)
        db.session.commit()
        current_app.logger.warning("refresh token reuse for user %s: family %s revoked",
                                   row.user_id, row.family_id)
        raise InvalidRefreshToken()
    user = db.session.get(User, row.user_id)
    if user is None or user.is_deleted:
        _revoke_family(row.family_id, now)
        db.session.commit()
        raise InvalidRefreshToken()
    row.rotated_at = now
    refresh, _ = _new_refresh_row(user.id, row.family_id, now)
    db.session.commit()
    access, lifetime = _access_token(user, now)
    return TokenPair(access, refresh, lifetime, user)


def revoke(refresh_token: str, user_id: int, now: datetime) -> None:
    """Sign out: revoke the family of this refresh token if it belongs to ``user_id``; commits.
    An unknown token is not an error (signing out twice is fine)."""
    row = db.session.scalar(sa.select(RefreshToken)
                            .where(RefreshToken.token_hash == _hash(refresh_token or "")))
    if row is not None and row.user_id == user_id:
        _revoke_family(row.family_id, now)
    db.session.commit()


def revoke_all_for_user(user_id: int) -> None:
    """Revoke every live refresh token of a user, in the caller's transaction (no commit):
    called wherever the user's sessions end (password or role change, sign out everywhere)."""
    db.session.execute(sa.update(RefreshToken)
                       .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow(), updated_at=utcnow()))


def user_for_access_token(token: str) -> User:
    """The live user an access token speaks for. Raises TokenExpired or Unauthorized (401)."""
    try:
        claims = jwt.decode(token, _signing_key(), algorithms=[ALGORITHM],
                            issuer=ISSUER, options={"require": ["exp", "sub", "type"]})
    except jwt.ExpiredSignatureError:
        raise TokenExpired() from None
    except jwt.PyJWTError:
        raise Unauthorized("That access token is not valid.") from None
    if claims.get("type") != "access" or not str(claims.get("sub", "")).isdigit():
        raise Unauthorized("That is not an access token.")
    user_id = int(claims["sub"])
    user = db.session.get(User, user_id) if user_id < 2**31 else None
    if user is None or user.is_deleted or claims.get("sv") != _session_fingerprint(user):
        raise Unauthorized("That access token is no longer valid. Please sign in again.")
    return user
