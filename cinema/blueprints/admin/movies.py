"""Admin: films (create, edit, soft-delete, restore) with genres and posters."""
from __future__ import annotations

from flask import request

from cinema import audit
from cinema.blueprints.admin import bp
from cinema.blueprints.admin.flow import actor_id, done, now, show_errors
from cinema.catalogue import films
from cinema.errors import on_error_render, render_error
from cinema.forms import validate_or_raise
from cinema.forms.catalogue_admin import MovieForm
from cinema.forms.params import page_param, text_param
from cinema.rendering import render


@bp.errorhandler(413)
def upload_too_large(error):
    """An upload over MAX_CONTENT_LENGTH: a message that says what to do, not a crash."""
    limit_mb = (request.max_content_length or 0) // (1024 * 1024)
    return render_error(413, f"The file is larger than {limit_mb} MB. Choose a smaller image "
                        "(PNG, JPEG or WebP) and try again.", "TOO_LARGE")


def _data(form: MovieForm) -> films.FilmData:
    return films.FilmData(
        title=form.title.data, synopsis=form.synopsis.data or "",
        duration_minutes=form.duration_minutes.data, age_rating=form.age_rating.data,
        language=form.language.data, format=form.format.data,
        release_date=form.release_date.data, trailer_url=form.trailer_url.data or None,
        genre_ids=form.genre_ids.data or [],
        new_genres=[name.strip() for name in (form.new_genres.data or "").split(",")])


def _form_page(form: MovieForm, movie=None, error=None):
    return render("pages/admin/movie_form.html", "partials/_admin_movie_form.html",
                  form=show_errors(form, error), movie=movie, error=error)


def _new_form(**kwargs) -> MovieForm:
    return MovieForm(**kwargs).set_genre_choices(films.all_genres())


@bp.get("/movies")
def movies():
    """Every film, with search and a deleted/live filter."""
    query, show = text_param(request.args, "q", 100), request.args.get("show", "live")
    page = films.list_movies(query, show if show in ("live", "deleted", "all") else "live",
                             page_param(request.args))
    return render("pages/admin/movies.html", "partials/_admin_movie_table.html",
                  movies=page, q=query, show=show)


@bp.get("/movies/new")
def movies_new():
    """The form for a new film."""
    return _form_page(_new_form())


@bp.post("/movies")
def movies_create():
    """Add a film."""
    form = _new_form()
    on_error_render(lambda error: _form_page(form, error=error))
    validate_or_raise(form)
    movie = films.create_movie(_data(form), actor_id(), form.poster_bytes())
    return done(f"Added {movie.title}.", "admin.movies_detail", movie_id=movie.id)


def _detail_page(movie_id: int, error=None):
    movie = films.get_movie(movie_id)
    return render("pages/admin/movie_detail.html", movie=movie, error=error,
                  upcoming=films.upcoming_showtime_count(movie.id, now()),
                  history=audit.list_entries(entity_type="movie", entity_id=movie.id,
                                             per_page=20))


@bp.get("/movies/<id:movie_id>")
def movies_detail(movie_id: int):
    """One film: its details, poster and history."""
    return _detail_page(movie_id)


@bp.get("/movies/<id:movie_id>/edit")
def movies_edit(movie_id: int):
    """The film's form, filled in."""
    movie = films.get_movie(movie_id)
    form = _new_form(obj=movie)
    form.genre_ids.data = [g.id for g in movie.genres]
    return _form_page(form, movie)


@bp.post("/movies/<id:movie_id>/edit")
def movies_update(movie_id: int):
    """Save the film's changes."""
    movie = films.get_movie(movie_id)
    form = _new_form()
    on_error_render(lambda error: _form_page(form, movie, error))
    validate_or_raise(form)
    movie = films.update_movie(movie.id, _data(form), actor_id(), form.poster_bytes(),
                               remove_poster=bool(form.remove_poster.data))
    return done(f"Saved {movie.title}.", "admin.movies_detail", movie_id=movie.id)


@bp.post("/movies/<id:movie_id>/delete")
def movies_delete(movie_id: int):
    """Soft-delete a film (kept for history; hidden from patrons)."""
    on_error_render(lambda error: _detail_page(movie_id, error))
    movie = films.delete_movie(movie_id, actor_id(), now())
    return done(f"Deleted {movie.title}. It is hidden from patrons; restore it any time.",
                "admin.movies")


@bp.post("/movies/<id:movie_id>/restore")
def movies_restore(movie_id: int):
    """Bring a deleted film back."""
    on_error_render(lambda error: _detail_page(movie_id, error))
    movie = films.restore_movie(movie_id, actor_id())
    return done(f"Restored {movie.title}.", "admin.movies_detail", movie_id=movie.id)

