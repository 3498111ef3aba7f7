"""Read-only catalogue lookups shared by pages."""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema.exceptions import NotFound
from cinema.extensions import db
from cinema.models import Movie, Showtime


def get_showtime(showtime_id: int) -> Showtime:
    """A showtime that exists and is not deleted (cancelled ones are shown as cancelled)."""
    # The film's genres only when a page shows them (a seat-map poll does not).
    showtime = db.session.scalar(
        sa.select(Showtime).where(Showtime.id == showtime_id, Showtime.is_deleted.is_(False))
        .options(so.defaultload(Showtime.movie).lazyload(Movie.genres)))
    if showtime is None or showtime.movie.is_deleted:
        raise NotFound("We could not find that showtime.")
    return showtime
