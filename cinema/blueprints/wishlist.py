"""The patron's wishlist: the Save toggle (htmx swaps the button; without JS the page reloads
in place), the list of saved films, the email setting, and the unsubscribe link from the
digest, which works without signing in."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from cinema.access import login_required, safe_next
from cinema.catalogue import catalogue
from cinema.clock import cinema_tz, local_today
from cinema.models import utcnow
from cinema.rendering import render, wants_fragment
from cinema.wishlist import wishlist

bp = Blueprint("wishlist", __name__)

TOKEN = "<string(maxlength=200):token>"


@bp.post("/account/wishlist/<id:movie_id>")
@login_required
def toggle(movie_id: int):
    """Save the film, or forget it; htmx gets the new button, a form post goes back."""
    saved = wishlist.toggle(current_user.id, movie_id)
    if wants_fragment():
        return render("partials/_wishlist_button.html", movie=catalogue.get_movie(movie_id),
                      saved_ids={movie_id} if saved else set())
    back = url_for("catalogue.movie_detail", movie_id=movie_id)
    return redirect(safe_next(request.form.get("next"), back), 303)


@bp.get("/account/wishlist")
@login_required
def index():
    """The saved films with their next showtimes."""
    now = utcnow()
    movies = wishlist.saved_movies(current_user.id)
    return render("pages/account/wishlist.html", cards=catalogue.film_cards(movies, now),
                  saved_ids={movie.id for movie in movies},
                  today=local_today(now, cinema_tz()))


@bp.post("/account/wishlist/emails")
@login_required
def emails():
    """Turn the wishlist emails on or off (the setting on /account)."""
    enabled = request.form.get("wishlist_emails") == "on"
    wishlist.set_emails(current_user.id, enabled)
    flash("We will email you about new showtimes of your saved films." if enabled else
          "We will not email you about your saved films.", "success")
    return redirect(url_for("account.index", _anchor="wishlist-emails"), 303)


@bp.get(f"/wishlist/unsubscribe/{TOKEN}")
def unsubscribe(token: str):
    """Ask to confirm (a GET changes nothing: mail scanners open links)."""
    user = wishlist.user_for_token(token)
    return render("pages/account/unsubscribe.html", token=token, user=user, done=False)


@bp.post(f"/wishlist/unsubscribe/{TOKEN}")
def unsubscribe_confirm(token: str):
    """Stop the wishlist emails of the patron the link names."""
    user = wishlist.unsubscribe(token)
    return render("pages/account/unsubscribe.html", token=token, user=user, done=True)
