"""No N+1: the list pages run a small, fixed number of SQL queries, however many films and
showtimes there are (counted on the demo cinema, then again with more of both)."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa

from cinema import demo
from cinema.extensions import db
from cinema.models import utcnow
from tests.catalogue_factories import local, local_today
from tests.factories import gen_auditorium, gen_genre, gen_movie, gen_showtime

MAX_QUERIES = 8
PAGES = ["/", "/movies", "/movies?q=the&genre=drama&page=1", "/showtimes",
         "/showtimes?date={tomorrow}"]


@contextmanager
def counting_queries(app):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def query_counts(app) -> dict[str, int]:
    client = app.test_client()
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    counts = {}
    for url in PAGES:
        url = url.format(tomorrow=tomorrow)
        with counting_queries(app) as statements:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = len(statements)
    return counts


def add_more_films(count: int) -> None:
    """More films, each with genres and several showtimes tomorrow and later."""
    tomorrow = local_today() + timedelta(days=1)
    genre = gen_genre("Extra Genre")
    for n in range(count):
        film = gen_movie(f"The Extra Film {n}", duration_minutes=80, genres=[genre])
        screen = gen_auditorium(f"Extra Screen {n}", rows=1, seats_per_row=2)
        for hhmm in ("10:00", "13:00", "16:00", "19:00"):
            gen_showtime(film, screen, local(tomorrow, hhmm))
        gen_showtime(film, screen, local(tomorrow + timedelta(days=2), "12:00"))


def test_list_pages_query_count_is_small_and_independent_of_the_data(app):
    with app.app_context():
        demo.seed(now=utcnow())
    demo_counts = query_counts(app)
    with app.app_context():
        add_more_films(6)
    bigger_counts = query_counts(app)

    assert bigger_counts == demo_counts
    assert max(demo_counts.values()) <= MAX_QUERIES, demo_counts
