"""Reviews and ratings on the real database: who may review (each way in and out), one review
per patron per film (also under a race), the author's edits, the film page's average and
distribution, the film cards, and the Bayesian sort on a hand-computed fixture."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from cinema.exceptions import AlreadyReviewed, NotAVerifiedViewer
from cinema.extensions import db
from cinema.models import ReservationStatus, Review, utcnow
from cinema.reviews import ratings, reviews
from tests.factories import (
    gen_auditorium,
    gen_movie,
    gen_reservation,
    gen_showtime,
    gen_user,
    login,
    seats_of,
)
from tests.review_factories import gen_review, gen_viewer, past_showtime


@pytest.fixture
def film(app_ctx):
    return gen_movie("Orbital Drift")


# --- the verified-viewer rule -----------------------------------------------------------------

def _booking(film, status, *, ended=True, cancelled_showtime=False, other_film=False):
    user = gen_user()
    movie = gen_movie() if other_film else film
    if ended:
        showtime = past_showtime(movie)
    else:
        showtime = gen_showtime(movie, gen_auditorium(rows=1, seats_per_row=2))
    if cancelled_showtime:
        showtime.cancelled_at = showtime.starts_at - timedelta(days=1)
        db.session.commit()
    gen_reservation(user, showtime, seats_of(showtime.auditorium)[:1], status=status)
    return user


@pytest.mark.parametrize("status, options, allowed, reason", [
    (ReservationStatus.CONFIRMED, dict(ended=True), True, ""),
    (ReservationStatus.COMPLETED, dict(ended=True), True, ""),
    (ReservationStatus.COMPLETED, dict(ended=False), True, ""),  # admitted, film still running
    (ReservationStatus.CONFIRMED, dict(ended=False), False, "once your showtime has ended"),
    (ReservationStatus.CANCELLED, dict(ended=True), False, "Only patrons who saw this film"),
    (ReservationStatus.HELD, dict(ended=True), False, "Only patrons who saw this film"),
    (ReservationStatus.CONFIRMED, dict(ended=True, other_film=True), False, "Only patrons"),
    (ReservationStatus.CONFIRMED, dict(ended=True, cancelled_showtime=True), False, "Only patrons"),
], ids=["confirmed-ended", "admitted", "admitted-still-running", "confirmed-not-yet-ended",
        "cancelled", "held", "other-film", "showtime-cancelled"])
def test_who_is_a_verified_viewer(film, status, options, allowed, reason):
    user = _booking(film, status, **options)
    verdict = reviews.eligibility(user.id, film.id, utcnow())
    assert verdict.allowed is allowed
    assert reason in verdict.reason
    if not allowed:
        with pytest.raises(NotAVerifiedViewer) as refused:
            reviews.create_review(user.id, film.id, 4, "", utcnow())
        assert reason in refused.value.detail
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == 0


def test_a_visitor_is_told_to_sign_in(film, client):
    assert "Sign in to review" in reviews.eligibility(None, film.id, utcnow()).reason
    page = client.get(f"/movies/{film.id}").get_data(as_text=True)
    assert "Sign in to review this film" in page
    assert 'name="rating"' not in page


def test_a_patron_without_a_booking_sees_why_and_posting_anyway_is_refused(film, app):
    user = gen_user()
    client = app.test_client()
    login(client, user.email)
    page = client.get(f"/movies/{film.id}").get_data(as_text=True)
    assert "Only patrons who saw this film here can review it" in page
    assert 'name="rating"' not in page
    refused = client.post(f"/movies/{film.id}/reviews", data={"rating": "5"})
    assert refused.status_code == 403
    assert "Only patrons who saw this film here" in refused.get_data(as_text=True)
    as_json = client.post(f"/movies/{film.id}/reviews", data={"rating": "5"},
                          headers={"Accept": "application/json"})
    assert as_json.get_json()["error_code"] == "NOT_A_VERIFIED_VIEWER"


# --- writing, one per patron per film ---------------------------------------------------------

@pytest.fixture
def viewer_client(film, app):
    viewer = gen_viewer(film, full_name="Ada Viewer")
    client = app.test_client()
    login(client, viewer.email)
    return viewer, client


def test_a_viewer_reviews_and_the_page_shows_it_escaped(film, viewer_client, app):
    viewer, client = viewer_client
    assert 'name="rating"' in client.get(f"/movies/{film.id}").get_data(as_text=True)
    posted = client.post(f"/movies/{film.id}/reviews",
                         data={"rating": "4", "body": "  <script>alert(1)</script> & more  "})
    assert posted.status_code == 303
    assert posted.headers["Location"].endswith(f"/movies/{film.id}#reviews")
    page = client.get(f"/movies/{film.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "<script>alert(1)" not in page
    assert "Your review" in page and "4.0" in page
    public = app.test_client().get(f"/movies/{film.id}").get_data(as_text=True)
    assert "Ada V." in public and "Ada Viewer" not in public  # others see a first name
    review = reviews.own_review(viewer.id, film.id)
    assert (review.rating, review.body) == (4, "<script>alert(1)</script> & more")


@pytest.mark.parametrize("data, field", [
    ({}, "rating"), ({"rating": "0"}, "rating"), ({"rating": "6"}, "rating"),
    ({"rating": "five"}, "rating"), ({"rating": "3", "body": "x" * 2001}, "body"),
])
def test_bad_reviews_are_refused_with_the_form_again(film, viewer_client, data, field):
    _, client = viewer_client
    response = client.post(f"/movies/{film.id}/reviews", data=data)
    assert response.status_code == 422
    assert "field-error" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == 0


def test_a_body_of_exactly_2000_characters_is_fine(film, viewer_client):
    _, client = viewer_client
    assert client.post(f"/movies/{film.id}/reviews",
                       data={"rating": "3", "body": "y" * 2000}).status_code == 303


def test_a_second_review_of_the_same_film_is_a_conflict(film, viewer_client):
    _, client = viewer_client
    assert client.post(f"/movies/{film.id}/reviews", data={"rating": "5"}).status_code == 303
    again = client.post(f"/movies/{film.id}/reviews", data={"rating": "1"},
                        headers={"Accept": "application/json"})
    assert again.status_code == 409
    assert again.get_json()["error_code"] == "ALREADY_REVIEWED"


def test_one_review_per_patron_per_film_under_a_race(film, app):
    viewer_id, movie_id = gen_viewer(film).id, film.id
    contenders = 6
    barrier = threading.Barrier(contenders)
    outcomes: list[str] = []

    def write(rating):
        with app.app_context():
            barrier.wait()
            try:
                reviews.create_review(viewer_id, movie_id, rating, "", utcnow())
                outcomes.append("created")
            except AlreadyReviewed:
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=write, args=(n % 5 + 1,)) for n in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * (contenders - 1) + ["created"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Review)) == 1


def test_htmx_posts_get_the_reviews_section_back(film, viewer_client):
    _, client = viewer_client
    response = client.post(f"/movies/{film.id}/reviews", data={"rating": "5"},
                           headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and 'id="reviews"' in body
    assert "your review is published" in body
    refused = client.post(f"/movies/{film.id}/reviews", data={"rating": "9"},
                          headers={"HX-Request": "true"})
    assert refused.status_code == 409 or refused.status_code == 422
    assert "<html" not in refused.get_data(as_text=True)


def test_the_author_edits_and_deletes_and_no_one_else_can(film, viewer_client, app):
    viewer, client = viewer_client
    client.post(f"/movies/{film.id}/reviews", data={"rating": "2", "body": "meh"})
    review = reviews.own_review(viewer.id, film.id)
    other = app.test_client()
    login(other, gen_viewer(film).email)
    assert other.post(f"/reviews/{review.id}/edit", data={"rating": "1"}).status_code == 403
    assert other.post(f"/reviews/{review.id}/delete").status_code == 403

    assert client.post(f"/reviews/{review.id}/edit",
                       data={"rating": "5", "body": "grew on me"}).status_code == 303
    db.session.expire_all()
    assert (db.session.get(Review, review.id).rating, db.session.get(Review, review.id).body) \
        == (5, "grew on me")
    assert client.post(f"/reviews/{review.id}/edit", data={"rating": "7"}).status_code == 422

    assert client.post(f"/reviews/{review.id}/delete").status_code == 303
    db.session.expire_all()
    assert reviews.own_review(viewer.id, film.id) is None
    assert client.post(f"/movies/{film.id}/reviews", data={"rating": "3"}).status_code == 303
    assert client.post("/reviews/999999/delete").status_code == 404


def test_anonymous_posts_are_refused(film, client):
    assert client.post(f"/movies/{film.id}/reviews", data={"rating": "5"}).status_code == 401
    assert client.post("/movies/999999/reviews", data={"rating": "5"}).status_code == 401


# --- the film page and the cards --------------------------------------------------------------

def test_the_film_page_shows_average_distribution_and_newest_first(film, client):
    start = utcnow() - timedelta(days=30)
    for n, rating in enumerate([5, 4, 4]):
        gen_review(film, rating, f"review number {n}", created_at=start + timedelta(days=n))
    summary = ratings.film_summary(film.id)
    assert (summary.count, summary.average) == (3, 4.3)
    assert summary.distribution() == [(5, 1, 33), (4, 2, 67), (3, 0, 0), (2, 0, 0), (1, 0, 0)]
    page = client.get(f"/movies/{film.id}").get_data(as_text=True)
    assert "<strong>4.3</strong> out of 5" in page and "3 reviews" in page
    assert page.index("review number 2") < page.index("review number 1") < \
        page.index("review number 0")
    assert page.count('class="rating-bar"') == 5


def test_the_author_sees_their_review_once_apart_and_everyone_else_s_in_the_list(film, app):
    author = gen_viewer(film, full_name="Ada Viewer")
    gen_review(film, 4, "mine, once", user=author)
    gen_review(film, 2, "someone else's")
    client = app.test_client()
    login(client, author.email)
    page = client.get(f"/movies/{film.id}").get_data(as_text=True)
    assert page.count('<p class="review-body">mine, once</p>') == 1 and "Your review" in page
    assert "someone else&#39;s" in page and "2 reviews" in page
    listed = page[page.index('class="review-list"'):]
    assert "mine, once" not in listed
    public = app.test_client().get(f"/movies/{film.id}").get_data(as_text=True)
    assert "mine, once" in public[public.index('class="review-list"'):]


def test_reviews_are_paginated(film, client):
    start = utcnow() - timedelta(days=60)
    for n in range(ratings.REVIEWS_PER_PAGE + 1):
        gen_review(film, 3, f"entry-{n:02d}", created_at=start + timedelta(days=n))
    first = client.get(f"/movies/{film.id}").get_data(as_text=True)
    assert "entry-10" in first and "entry-00" not in first and "Page 1 of 2" in first
    second = client.get(f"/movies/{film.id}?reviews_page=2").get_data(as_text=True)
    assert "entry-00" in second and "entry-10" not in second
    assert client.get(f"/movies/{film.id}?reviews_page=99").status_code == 200


def test_film_cards_show_the_average(film, client):
    gen_review(film, 5)
    gen_review(film, 4)
    gen_showtime(film)
    listing = client.get("/movies").get_data(as_text=True)
    assert "Rated 4.5 out of 5 by 2 viewers" in listing
    assert "Rated 4.5 out of 5" in client.get("/").get_data(as_text=True)


def test_sorting_by_rating_uses_the_bayesian_average(app_ctx, client):
    """m = 5, C = 54 / 13 (every rating below). Scores, by hand:
    B: (5 * 54/13 + 45) / 15 = 855/195 = 4.385   (ten ratings, mean 4.5)
    A: (5 * 54/13 + 5) / 6   = 335/78  = 4.295   (one 5-star rating)
    D: no ratings            = 54/13   = 4.154
    C: (5 * 54/13 + 4) / 7   = 322/91  = 3.538   (two 2-star ratings)
    A plain average would put A (5.0) first."""
    films = {name: gen_movie(f"Film {name}") for name in "ABCD"}
    gen_review(films["A"], 5)
    for rating in [4] * 5 + [5] * 5:
        gen_review(films["B"], rating)
    for rating in (2, 2):
        gen_review(films["C"], rating)
    hidden = gen_review(films["C"], 5)  # hidden reviews do not count
    hidden.hidden_at = utcnow()
    db.session.commit()

    assert ratings.overall_mean() == pytest.approx(54 / 13)
    page = client.get("/movies?sort=rating").get_data(as_text=True)
    order = sorted("ABCD", key=lambda name: page.index(f">Film {name}<"))
    assert order == ["B", "A", "D", "C"]
    by_title = client.get("/movies").get_data(as_text=True)
    assert sorted("ABCD", key=lambda name: by_title.index(f">Film {name}<")) == list("ABCD")
    assert 'value="rating" selected' in page
