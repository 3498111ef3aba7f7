"""The public catalogue: now showing, the film list (search, filters, pages), a film's page,
the poster, and what happens to deleted films, cancelled showtimes and bad query parameters."""
from __future__ import annotations

import os
from datetime import timedelta

import pytest

from cinema.catalogue import posters
from cinema.models import utcnow
from tests.catalogue_factories import cancel, local, local_today, soft_delete
from tests.factories import gen_auditorium, gen_genre, gen_movie, gen_showtime

HTMX = {"HX-Request": "true"}
JSON = {"Accept": "application/json"}


def soon(hours: int = 5):
    return (utcnow() + timedelta(hours=hours)).replace(second=0, microsecond=0)


@pytest.fixture
def screen(app_ctx):
    return gen_auditorium(rows=2, seats_per_row=3)


# --- now showing ------------------------------------------------------------------------------

def test_home_lists_films_with_upcoming_showtimes_and_links_their_next_times(client, screen):
    showing = gen_movie("Orbital Drift", format="IMAX")
    gen_movie("Not Scheduled")
    past = gen_movie("Finished Run")
    first = gen_showtime(showing, screen, soon(3), base_price_cents=1250)
    gen_showtime(showing, screen, soon(27), base_price_cents=1100)
    gen_showtime(past, screen, utcnow() - timedelta(hours=5))

    page = client.get("/").get_data(as_text=True)

    assert "Orbital Drift" in page
    assert "Not Scheduled" not in page and "Finished Run" not in page
    assert f'href="/showtimes/{first.id}"' in page
    assert "from <strong>£11.00</strong>" in page
    assert f'src="/movies/{showing.id}/poster"' in page
    assert 'alt="Poster: Orbital Drift"' in page and 'loading="lazy"' in page


def test_home_leaves_out_cancelled_showtimes_deleted_films_and_deleted_showtimes(client, screen):
    film = gen_movie("Cold Harbour")
    cancelled = cancel(gen_showtime(film, screen, soon(2)))
    deleted = gen_showtime(film, screen, soon(6))
    soft_delete(deleted)
    live = gen_showtime(film, screen, soon(10))
    gone = gen_movie("Withdrawn Film")
    gen_showtime(gone, gen_auditorium(), soon(4))
    soft_delete(gone)

    page = client.get("/").get_data(as_text=True)

    assert f"/showtimes/{live.id}" in page
    assert f"/showtimes/{cancelled.id}" not in page
    assert f"/showtimes/{deleted.id}" not in page
    assert "Withdrawn Film" not in page
    assert "All 1 showtime<" in page


def test_home_with_nothing_scheduled_says_so(client, app_ctx):
    assert "Nothing is scheduled right now" in client.get("/").get_data(as_text=True)


# --- the film list: search --------------------------------------------------------------------

def test_search_matches_part_of_a_title_in_any_case(client, app_ctx):
    gen_movie("Orbital Drift")
    gen_movie("Paper Lanterns")

    page = client.get("/movies?q=BITAL").get_data(as_text=True)

    assert "Orbital Drift" in page and "Paper Lanterns" not in page
    assert "1 film matching “BITAL”" in page


def test_search_needs_every_word_in_any_order(client, app_ctx):
    gen_movie("Orbital Drift")
    gen_movie("Drift Away")

    page = client.get("/movies?q=drift+orb").get_data(as_text=True)

    assert "Orbital Drift" in page and "Drift Away" not in page


def test_search_treats_like_wildcards_as_plain_text(client, app_ctx):
    gen_movie("100% Wolf")
    gen_movie("Ordinary Film")

    assert "Ordinary Film" not in client.get("/movies?q=%25").get_data(as_text=True)
    assert "100% Wolf" in client.get("/movies?q=100%25").get_data(as_text=True)
    assert "Ordinary Film" not in client.get("/movies?q=_").get_data(as_text=True)


def test_search_with_no_match_says_so(client, app_ctx):
    gen_movie("Orbital Drift")
    response = client.get("/movies?q=zzz")
    assert response.status_code == 200
    assert "No films match “zzz”" in response.get_data(as_text=True)


def test_htmx_search_answers_the_results_fragment_only(client, app_ctx):
    gen_movie("Orbital Drift")
    gen_movie("Paper Lanterns")

    response = client.get("/movies?q=orb", headers=HTMX)
    body = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "<html" not in body and 'id="movie-results"' not in body
    assert "Orbital Drift" in body and "Paper Lanterns" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_search_pushes_the_tidy_url_of_the_search(client, app_ctx):
    response = client.get("/movies?q=orb&genre=&language=&format=IMAX&age_rating=&page=1",
                          headers=HTMX)
    assert response.headers["HX-Push-Url"] == "/movies?q=orb&format=IMAX"
    assert "HX-Push-Url" not in client.get("/movies?q=orb").headers


def test_boosted_and_history_restore_requests_get_the_whole_page(client, app_ctx):
    for extra in ({"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}):
        body = client.get("/movies?q=orb", headers={**HTMX, **extra}).get_data(as_text=True)
        assert "<html" in body and 'id="movie-results"' in body


def test_the_film_list_page_is_an_active_search_and_a_plain_get_form(client, app_ctx):
    body = client.get("/movies?q=orb").get_data(as_text=True)

    assert '<form class="film-filters card" method="get" action="/movies"' in body
    assert 'name="q" value="orb"' in body
    assert 'hx-trigger="input changed delay:300ms, search"' in body
    assert 'hx-target="#movie-results"' in body and 'hx-push-url="true"' in body
    assert '<button type="submit"' in body


def test_search_text_is_trimmed_and_capped(client, app_ctx):
    gen_movie("Orbital Drift")
    body = client.get("/movies", query_string={"q": "  orbital   " + "x" * 500}).get_data(
        as_text=True)
    assert "x" * 101 not in body
    assert client.get("/movies", query_string={"q": "   orbital  "}).status_code == 200


# --- the film list: filters -------------------------------------------------------------------

@pytest.fixture
def shelf(app_ctx):
    drama, horror = gen_genre("Drama"), gen_genre("Horror")
    return {
        "quiet": gen_movie("Quiet Hours", genres=[drama], language="French", format="2D",
                           age_rating="15"),
        "haunt": gen_movie("Haunt of the Hollow Pines", genres=[horror], language="English",
                           format="2D", age_rating="18"),
        "orbit": gen_movie("Orbital Drift", genres=[drama], language="English", format="IMAX",
                           age_rating="12A"),
    }


def titles_on(client, url):
    body = client.get(url, headers=HTMX).get_data(as_text=True)
    return {title for title in ("Quiet Hours", "Haunt of the Hollow Pines", "Orbital Drift")
            if title in body}


def test_filters_by_genre_language_format_and_age_rating(client, shelf):
    assert titles_on(client, "/movies?genre=drama") == {"Quiet Hours", "Orbital Drift"}
    assert titles_on(client, "/movies?language=French") == {"Quiet Hours"}
    assert titles_on(client, "/movies?format=IMAX") == {"Orbital Drift"}
    assert titles_on(client, "/movies?age_rating=18") == {"Haunt of the Hollow Pines"}
    assert titles_on(client, "/movies?genre=drama&language=English") == {"Orbital Drift"}
    assert titles_on(client, "/movies?genre=drama&q=quiet") == {"Quiet Hours"}


def test_unknown_filter_values_give_an_empty_list_not_an_error(client, shelf):
    response = client.get("/movies?genre=no-such-genre&format=Smell-O-Vision")
    assert response.status_code == 200
    assert "No films match these filters" in response.get_data(as_text=True)


def test_filter_choices_come_from_the_live_films(client, shelf):
    soft_delete(shelf["quiet"])
    body = client.get("/movies").get_data(as_text=True)
    assert '<option value="horror"' in body and '<option value="drama"' in body
    assert '<option value="French"' not in body
    assert body.index('<option value="12A"') < body.index('<option value="18"')
    selected = client.get("/movies?format=IMAX").get_data(as_text=True)
    assert '<option value="IMAX" selected>' in selected


def test_a_genre_link_on_a_film_page_filters_the_list(client, shelf):
    body = client.get(f"/movies/{shelf['quiet'].id}").get_data(as_text=True)
    assert 'href="/movies?genre=drama"' in body


# --- the film list: pages ---------------------------------------------------------------------

@pytest.fixture
def many_films(app_ctx):
    return [gen_movie(f"Film {n:02d}") for n in range(1, 15)]  # 14 films: 12 + 2


def test_films_come_twelve_to_a_page_by_title(client, many_films):
    first = client.get("/movies").get_data(as_text=True)
    second = client.get("/movies?page=2").get_data(as_text=True)

    assert "Film 01" in first and "Film 12" in first and "Film 13" not in first
    assert "Film 13" in second and "Film 14" in second and "Film 12" not in second
    assert "Films 1–12 of 14" in first and "Page 2 of 2" in second
    assert 'href="/movies?page=2"' in first and 'rel="next"' in first


def test_page_links_keep_the_search(client, many_films):
    body = client.get("/movies?q=film").get_data(as_text=True)
    assert 'href="/movies?page=2&amp;q=film"' in body


@pytest.mark.parametrize("page, expected_page", [
    ("abc", 1), ("0", 1), ("-3", 1), ("", 1), ("2", 2), ("99", 2),
    ("99999999999999999999999", 2),
])
def test_a_bad_page_number_falls_back_to_the_nearest_page(client, many_films, page,
                                                          expected_page):
    response = client.get(f"/movies?page={page}")
    assert response.status_code == 200
    assert f"Page {expected_page} of 2" in response.get_data(as_text=True)


def test_deleted_films_are_hidden_from_the_list_and_the_count(client, many_films):
    soft_delete(many_films[0])
    body = client.get("/movies").get_data(as_text=True)
    assert "Film 01" not in body and "Films 1–12 of 13" in body


# --- a film's page ----------------------------------------------------------------------------

def test_film_page_shows_details_and_showtimes_grouped_by_local_day(client, screen):
    film = gen_movie("Quiet Hours", duration_minutes=101, age_rating="15", language="French",
                     synopsis="A night nurse and a dying composer.")
    tomorrow = local_today() + timedelta(days=1)
    day_after = tomorrow + timedelta(days=1)
    a = gen_showtime(film, screen, local(tomorrow, "13:00"), base_price_cents=1450)
    b = gen_showtime(film, screen, local(tomorrow, "19:15"))
    c = gen_showtime(film, screen, local(day_after, "16:00"))

    body = client.get(f"/movies/{film.id}").get_data(as_text=True)

    assert "<h1>Quiet Hours</h1>" in body and "A night nurse" in body
    assert "1 h 41 min" in body and "French" in body
    days = body.split('class="schedule-day"')
    assert len(days) == 3
    assert f"/showtimes/{a.id}" in days[1] and f"/showtimes/{b.id}" in days[1]
    assert f"/showtimes/{c.id}" in days[2]
    assert "Tomorrow" in days[1] and "£14.50" in days[1]


def test_film_page_marks_cancelled_showtimes_without_a_booking_link(client, screen):
    film = gen_movie()
    cancelled = cancel(gen_showtime(film, screen, soon(30)))
    body = client.get(f"/movies/{film.id}").get_data(as_text=True)
    assert "Cancelled" in body and f"/showtimes/{cancelled.id}" not in body


def test_film_without_showtimes_says_so(client, app_ctx):
    film = gen_movie()
    assert "No showtimes are scheduled" in client.get(f"/movies/{film.id}").get_data(
        as_text=True)


def test_deleted_or_missing_films_are_404(client, app_ctx):
    film = gen_movie()
    soft_delete(film)
    for url in (f"/movies/{film.id}", f"/showtimes/movie/{film.id}", f"/movies/{film.id}/poster",
                "/movies/999999", "/showtimes/movie/999999", f"/showtimes?movie_id={film.id}"):
        response = client.get(url)
        assert response.status_code == 404, url
    assert client.get(f"/movies/{film.id}", headers=JSON).get_json()["error_code"] == "NOT_FOUND"


def test_a_films_showtimes_page_lists_them_by_day(client, screen):
    film = gen_movie("Ember & Ash")
    showtime = gen_showtime(film, screen, soon(26))
    body = client.get(f"/showtimes/movie/{film.id}").get_data(as_text=True)
    assert "Ember &amp; Ash" in body and f'href="/showtimes/{showtime.id}"' in body


# --- posters ----------------------------------------------------------------------------------

def test_poster_is_the_uploaded_file_when_there_is_one(client, app, app_ctx):
    folder = os.path.join(app.instance_path, "posters")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "test-poster.svg"), "w") as handle:
        handle.write("<svg xmlns='http://www.w3.org/2000/svg'><title>uploaded</title></svg>")
    film = gen_movie(poster_path="test-poster.svg")

    response = client.get(f"/movies/{film.id}/poster")

    assert response.status_code == 200 and b"uploaded" in response.data
    assert response.cache_control.public and response.cache_control.max_age == 3600


def test_poster_falls_back_to_a_generated_svg(client, app_ctx):
    film = gen_movie("Paper Lanterns", poster_path="missing.png")

    response = client.get(f"/movies/{film.id}/poster")

    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data and b"Lanterns" in response.data
    assert response.cache_control.public and response.cache_control.max_age == 3600


def test_poster_path_cannot_leave_the_poster_folder(client, app_ctx):
    film = gen_movie(poster_path="../../etc/passwd")
    response = client.get(f"/movies/{film.id}/poster")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"root:" not in response.data


def test_a_generated_poster_sets_any_title_inside_the_poster():
    lines = posters._title_lines(
        "The Extraordinarily Long Tale of "
        "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch Station Master")
    assert all(len(line) <= 15 for line in lines)  # what the poster's width holds
    assert lines[:3] == ["The", "Extraordinarily", "Long Tale of"]
    assert lines[3] == "Llanfairpwllgw-" and len(lines) == 7 and lines[-1].endswith("…")
    assert posters._title_lines("Orbital Drift") == ["Orbital Drift"]
    assert posters.poster_svg("Orbital Drift", "PG").count("<text") == 2
