"""The wishlist digest: one email per patron per day at most, listing the bookable showtimes
scheduled for their saved films since they saved the film and since the last digest.

A periodic task batches them: two showtimes scheduled a minute apart make one email, because a
patron's digest waits until their newest news is SETTLE old (an admin scheduling a week of
showtimes in a few minutes sends one email listing them all, not one with the first). Each
digest has the dedupe key ``wishlist:<user id>:<UTC day>``, so two workers running the task
at once queue it only once.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from itertools import groupby

import sqlalchemy as sa

from cinema.extensions import db
from cinema.messaging import notifications
from cinema.models import Movie, Showtime, User, WishlistItem
from cinema.wishlist import wishlist

MIN_INTERVAL = timedelta(days=1)
MAX_LISTED = 30  # showtimes in one email; the film page has the rest
SETTLE = timedelta(minutes=10)  # quiet time after the newest showtime before the email goes


def _news(now: datetime):
    """(user id, showtime) of every bookable showtime a patron has not heard about."""
    # The later of "saved" and "last digest" (a CASE, not greatest(): SQLite has none).
    since = sa.case((User.wishlist_notified_at > WishlistItem.created_at,
                     User.wishlist_notified_at), else_=WishlistItem.created_at)
    return db.session.execute(
        sa.select(User.id, Showtime)
        .join(WishlistItem, WishlistItem.user_id == User.id)
        .join(Showtime, Showtime.movie_id == WishlistItem.movie_id)
        .join(Movie, Movie.id == Showtime.movie_id)
        .where(User.wishlist_emails.is_(True), User.is_deleted.is_(False),
               sa.or_(User.wishlist_notified_at.is_(None),
                      User.wishlist_notified_at <= now - MIN_INTERVAL),
               Movie.is_deleted.is_(False), Showtime.is_deleted.is_(False),
               Showtime.cancelled_at.is_(None), Showtime.starts_at > now,
               Showtime.created_at > since, Showtime.created_at <= now)
        .order_by(User.id, Movie.title, Showtime.starts_at)).all()


def queue_digests(now: datetime) -> int:
    """Queue the due digests; commits; returns how many were queued."""
    queued = 0
    for user_id, rows in groupby(_news(now), key=lambda row: row[0]):
        showtimes = [showtime for _, showtime in rows]
        if max(showtime.created_at for showtime in showtimes) > now - SETTLE:
            continue  # the admin may still be scheduling: the next tick looks again
        user = db.session.get(User, user_id)
        try:
            with db.session.begin_nested():
                _queue(user, showtimes, now)
                user.wishlist_notified_at = now
        except sa.exc.IntegrityError:
            continue  # another worker queued today's digest a moment ago
        queued += 1
    db.session.commit()
    return queued


def _queue(user: User, showtimes: list[Showtime], now: datetime) -> None:
    films = [(movie, list(group)) for movie, group in
             groupby(showtimes[:MAX_LISTED], key=lambda showtime: showtime.movie)]
    notifications.wishlist_digest(
        user, films, more=max(0, len(showtimes) - MAX_LISTED),
        unsubscribe_url=notifications.external_url(
            "wishlist.unsubscribe", token=wishlist.unsubscribe_token(user.id)),
        dedupe_key=f"wishlist:{user.id}:{now:%Y-%m-%d}")
