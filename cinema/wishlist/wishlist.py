"""Saving films, listing them, and the wishlist email setting (also by a signed link).

Every function takes plain ids and commits its own transaction.
"""
from __future__ import annotations

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError

from cinema.exceptions import InvalidUnsubscribeLink, NotFound
from cinema.extensions import db
from cinema.models import Movie, User, WishlistItem
from cinema.settings import settings

UNSUBSCRIBE_SALT = "wishlist-unsubscribe"


def _live_movie(movie_id: int) -> Movie:
    movie = db.session.get(Movie, movie_id)
    if movie is None or movie.is_deleted:
        raise NotFound("We could not find that film.")
    return movie


def toggle(user_id: int, movie_id: int) -> bool:
    """Save the film, or forget it if saved; returns whether it is saved now. Raises NotFound
    for a missing or deleted film. Two toggles at once end in one state, never an error."""
    _live_movie(movie_id)
    if _forget(user_id, movie_id):
        return False
    return save(user_id, movie_id)


def save(user_id: int, movie_id: int) -> bool:
    """Save the film (saving a saved film changes nothing); returns True. Raises NotFound."""
    _live_movie(movie_id)
    db.session.add(WishlistItem(user_id=user_id, movie_id=movie_id, created_by=user_id))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # saved already (or by a concurrent request a moment ago)
    return True


def forget(user_id: int, movie_id: int) -> bool:
    """Take the film off the wishlist (a film not on it is no error); returns False."""
    _forget(user_id, movie_id)
    return False


def _forget(user_id: int, movie_id: int) -> int:
    deleted = db.session.execute(
        sa.delete(WishlistItem).where(WishlistItem.user_id == user_id,
                                      WishlistItem.movie_id == movie_id)).rowcount
    db.session.commit()
    return deleted


def saved_ids(user_id: int | None) -> set[int]:
    """The ids of the films the patron saved (empty for a visitor)."""
    if user_id is None:
        return set()
    return set(db.session.scalars(
        sa.select(WishlistItem.movie_id).where(WishlistItem.user_id == user_id)))


def saved_movies(user_id: int) -> list[Movie]:
    """The patron's saved live films, most recently saved first."""
    return list(db.session.scalars(
        sa.select(Movie).join(WishlistItem, WishlistItem.movie_id == Movie.id)
        .where(WishlistItem.user_id == user_id, Movie.is_deleted.is_(False))
        .order_by(WishlistItem.created_at.desc(), WishlistItem.id.desc())))


def set_emails(user_id: int, enabled: bool) -> None:
    """Turn the wishlist emails on or off."""
    user = db.session.get(User, user_id)
    user.wishlist_emails = enabled
    db.session.commit()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(settings().secret_key, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int) -> str:
    """A signed token naming the patron, for the email's unsubscribe link (no sign-in)."""
    return _serializer().dumps(user_id)


def user_for_token(token: str) -> User:
    """The patron a token names; raises InvalidUnsubscribeLink for a forged or broken one."""
    try:
        user_id = _serializer().loads(token)
    except BadSignature:
        raise InvalidUnsubscribeLink() from None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.is_deleted:
        raise InvalidUnsubscribeLink()
    return user


def unsubscribe(token: str) -> User:
    """Turn off the wishlist emails of the patron the token names; raises
    InvalidUnsubscribeLink."""
    user = user_for_token(token)
    user.wishlist_emails = False
    db.session.commit()
    return user
