"""Seats given back to sale: the hook other packages hang on that moment.

A booking cancelled, a hold tidied up after its expiry, a seat unblocked by an admin: each
frees seats of some showtimes. The waitlist (a package above this one) offers them to the
first party in line, but booking must not import it, so create_app wires it in with
``on_seats_freed`` (docs/ARCHITECTURE.md, "Where to add a feature"). The hooks run AFTER the
freeing commit, each in its own transactions; a failing hook is logged and never undoes or
fails the work that freed the seats (the periodic task retries the waitlist every tick).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from flask import Flask, current_app

from cinema.extensions import db

log = logging.getLogger(__name__)

FREED_HOOKS = "cinema.on_seats_freed"
FreedHook = Callable[[set[int], datetime], None]


def on_seats_freed(app: Flask, hook: FreedHook) -> None:
    """Make ``app`` run ``hook(showtime_ids, now)`` whenever seats of those showtimes free up."""
    app.extensions.setdefault(FREED_HOOKS, []).append(hook)


def seats_freed(showtime_ids: Iterable[int], now: datetime) -> None:
    """Tell the wired hooks that seats of ``showtime_ids`` were freed (call after the commit)."""
    ids = {showtime_id for showtime_id in showtime_ids if showtime_id is not None}
    if not ids:
        return
    for hook in current_app.extensions.get(FREED_HOOKS, []):
        try:
            hook(ids, now)
        except Exception:  # noqa: BLE001 - the seats are freed; the periodic task retries
            db.session.rollback()
            log.exception("seats-freed hook %s failed for showtimes %s",
                          getattr(hook, "__name__", hook), sorted(ids))
