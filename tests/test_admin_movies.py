"""Admin films: the form's errors, genres, posters (checked by content, served with caching
headers), soft delete and restore, and the audit trail."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from cinema.extensions import db
from cinema.models import AuditLog, Genre, Movie
from tests.admin_factories import admin_client, image_bytes
from tests.factories import gen_genre, gen_movie, gen_showtime

FILM = {"title": "Paper Lanterns", "synopsis": "Two siblings follow a lantern.",
        "duration_minutes": "96", "age_rating": "PG", "language": "English", "format": "3D",
        "release_date": "2030-05-01", "trailer_url": "https://example.com/trailer"}


@pytest.fixture
def admin(app_ctx, app):
    return admin_client(app)


def test_admin_adds_a_film_with_chosen_and_new_genres(admin):
    client, user = admin
    drama = gen_genre("Drama")
    response = client.post("/admin/movies", data={
        **FILM, "genre_ids": [str(drama.id)], "new_genres": "Family, science fiction, drama"})
    assert response.status_code == 303
    movie = db.session.scalar(sa.select(Movie).where(Movie.title == "Paper Lanterns"))
    assert response.headers["Location"].endswith(f"/admin/movies/{movie.id}")
    assert [g.name for g in movie.genres] == ["Drama", "Family", "science fiction"]
    assert db.session.scalar(sa.select(sa.func.count(Genre.id))) == 3  # "drama" reused
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "movie.create"))
    assert entry.actor_id == user.id and entry.after["title"] == "Paper Lanterns"
    assert "Paper Lanterns" in client.get("/admin/movies").get_data(as_text=True)


@pytest.mark.parametrize("change, message", [
    ({"title": ""}, "This field is required"),
    ({"duration_minutes": "0"}, "Between 1 and 600 minutes."),
    ({"duration_minutes": "ninety"}, "Not a valid integer value"),
    ({"age_rating": "R18+"}, "Not a valid choice"),
    ({"trailer_url": "javascript:alert(1)"}, "A web address"),
    ({"trailer_url": "foo"}, "A web address"),
    ({"release_date": "31/02/2030"}, "Not a valid date value"),
])
def test_film_form_errors_rerender_the_form_with_422(admin, change, message):
    client, _ = admin
    response = client.post("/admin/movies", data={**FILM, **change})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    if "trailer_url" in change:  # one message for one mistake (it used to be said twice)
        assert page.count("A web address starting with https://") == 2  # field, summary
    assert 'name="title"' in page  # the form again, values kept
    assert db.session.scalar(sa.select(sa.func.count(Movie.id))) == 0


def test_htmx_form_errors_answer_the_form_fragment(admin):
    client, _ = admin
    response = client.post("/admin/movies", data={**FILM, "title": ""},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert b"<html" not in response.data and b'id="movie-form"' in response.data


def test_htmx_success_redirects_with_hx_redirect(admin):
    client, _ = admin
    response = client.post("/admin/movies", data=FILM, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/admin/movies/")


def test_edit_changes_the_film_and_audits_before_and_after(admin):
    client, _ = admin
    movie = gen_movie("Old Title", duration_minutes=90)
    assert 'value="Old Title"' in client.get(f"/admin/movies/{movie.id}/edit").get_data(as_text=True)
    response = client.post(f"/admin/movies/{movie.id}/edit", data={**FILM, "title": "New Title"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Movie, movie.id).title == "New Title"
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "movie.update"))
    assert entry.before["title"] == "Old Title" and entry.after["title"] == "New Title"
    assert entry.before["duration_minutes"] == 90


def as_visitor(app, url):
    """A GET by a visitor in an app context of its own (``g`` holds the signed-in user of the
    test's shared context otherwise)."""
    with app.app_context():
        return app.test_client().get(url)


def test_soft_delete_hides_the_poster_from_visitors_keeps_the_row_and_restores(admin, app):
    client, _ = admin
    movie = gen_movie("Ghost Film")
    assert as_visitor(app, f"/movies/{movie.id}/poster").status_code == 200

    response = client.post(f"/admin/movies/{movie.id}/delete")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Movie, movie.id).is_deleted is True
    assert as_visitor(app, f"/movies/{movie.id}/poster").status_code == 404
    assert client.get(f"/movies/{movie.id}/poster").status_code == 200  # admins still see it
    link = f'href="/admin/movies/{movie.id}"'
    assert link not in client.get("/admin/movies").get_data(as_text=True)
    assert link in client.get("/admin/movies?show=deleted").get_data(as_text=True)

    assert client.post(f"/admin/movies/{movie.id}/restore").status_code == 303
    db.session.expire_all()
    assert db.session.get(Movie, movie.id).is_deleted is False
    actions = db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["movie.delete", "movie.restore"]


def test_a_film_with_showtimes_to_come_cannot_be_deleted(admin):
    client, _ = admin
    showtime = gen_showtime()
    response = client.post(f"/admin/movies/{showtime.movie_id}/delete")
    assert response.status_code == 409
    assert "still to come" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Movie, showtime.movie_id).is_deleted is False


def _upload(client, url, data: bytes, filename="poster.png", **fields):
    return client.post(url, data={**FILM, **fields, "poster": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_a_png_poster_is_stored_under_instance_and_served_with_caching_headers(admin, app):
    client, _ = admin
    png = image_bytes("PNG")
    assert _upload(client, "/admin/movies", png).status_code == 303
    movie = db.session.scalar(sa.select(Movie))
    assert movie.poster_path.startswith(f"movie-{movie.id}-") and movie.poster_path.endswith(".png")

    response = app.test_client().get(f"/movies/{movie.id}/poster")
    assert response.status_code == 200
    assert response.data == png and response.mimetype == "image/png"
    assert "max-age=3600" in response.headers["Cache-Control"]
    assert "public" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    again = app.test_client().get(f"/movies/{movie.id}/poster", headers={"If-None-Match": etag})
    assert again.status_code == 304


@pytest.mark.parametrize("fmt, ext", [("JPEG", "jpg"), ("WEBP", "webp")])
def test_jpeg_and_webp_posters_are_accepted(admin, fmt, ext):
    client, _ = admin
    assert _upload(client, "/admin/movies", image_bytes(fmt), f"p.{ext}").status_code == 303
    assert db.session.scalar(sa.select(Movie.poster_path)).endswith(f".{ext}")


@pytest.mark.parametrize("data, filename", [
    (b"GIF89a" + b"\0" * 40, "poster.png"),  # a GIF named .png
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "p.png"),
    (b"\x89PNG\r\n\x1a\n" + b"not really a png", "poster.png"),  # right magic, broken body
])
def test_posters_are_checked_by_content_not_by_name(admin, data, filename):
    client, _ = admin
    response = _upload(client, "/admin/movies", data, filename)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "PNG, JPEG or WebP" in page or "not really an image" in page
    assert db.session.scalar(sa.select(sa.func.count(Movie.id))) == 0


def test_a_too_large_upload_gets_a_clear_413(admin):
    client, _ = admin
    response = _upload(client, "/admin/movies", b"\x89PNG\r\n\x1a\n" + b"0" * (6 * 1024 * 1024))
    assert response.status_code == 413
    assert "larger than 5 MB" in response.get_data(as_text=True)
    as_json = client.post("/admin/movies", data={"poster": (io.BytesIO(b"0" * (6 << 20)), "a.png")},
                          content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert as_json.status_code == 413 and as_json.get_json()["error_code"] == "TOO_LARGE"


def test_without_a_poster_a_placeholder_svg_is_generated(app_ctx, app):
    movie = gen_movie("Quiet Hours")
    response = app.test_client().get(f"/movies/{movie.id}/poster")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"Quiet Hours" in response.data
    assert "max-age=3600" in response.headers["Cache-Control"]
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert app.test_client().get(f"/movies/{movie.id}/poster", headers={
        "If-None-Match": response.headers["ETag"]}).status_code == 304


def test_replacing_and_removing_a_poster(admin, app):
    client, _ = admin
    _upload(client, "/admin/movies", image_bytes("PNG"))
    movie = db.session.scalar(sa.select(Movie))
    first = movie.poster_path
    _upload(client, f"/admin/movies/{movie.id}/edit", image_bytes("JPEG"), "new.jpg")
    db.session.expire_all()
    second = db.session.get(Movie, movie.id).poster_path
    assert second != first and second.endswith(".jpg")
    import os
    assert not os.path.exists(os.path.join(app.instance_path, "posters", first))
    client.post(f"/admin/movies/{movie.id}/edit", data={**FILM, "remove_poster": "y"})
    db.session.expire_all()
    assert db.session.get(Movie, movie.id).poster_path is None
    assert app.test_client().get(f"/movies/{movie.id}/poster").mimetype == "image/svg+xml"
