"""The patrons' pages and their admin pages at 1280 and 390 px in real Chromium: no horizontal
overflow, and axe-core finds no serious or critical violation. Screenshots go to /tmp for a
person to look at (patrons-<page>-<width>.png)."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from cinema.extensions import db
from cinema.models import UserRole, utcnow
from cinema.waitlist import line
from cinema.wishlist import wishlist
from tests.factories import (
    gen_auditorium,
    gen_movie,
    gen_reservation,
    gen_showtime,
    gen_user,
    seats_of,
)
from tests.review_factories import gen_review, gen_viewer
from tests.test_browser_reviews import sign_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
LONG = ("A very long review without spaces: " + "Supercalifragilisticexpialidocious" * 6
        + ". And more words after it, to wrap over several lines of the table. ") * 3


@pytest.fixture
def patrons_world(app_ctx):
    # A title with one word longer than a phone's width (a Welsh place name) must wrap.
    film = gen_movie("The Long Night of the Lighthouse Keeper's Daughter of "
                     "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch")
    for n, rating in enumerate((5, 4, 4, 2)):
        gen_review(film, rating, LONG if n == 0 else f"Review number {n}.",
                   created_at=utcnow() - timedelta(hours=n))
    hidden = gen_review(film, 1, "Spoilers everywhere.")
    hidden.hidden_at, hidden.hidden_reason = utcnow(), "Spoilers"
    db.session.commit()
    viewer = gen_viewer(film, full_name="Vera Viewer")
    screen = gen_auditorium(rows=1, seats_per_row=2)
    showtime = gen_showtime(film, screen, utcnow() + timedelta(days=1))
    gen_reservation(gen_user(), showtime, seats_of(screen))
    for n in range(3):
        line.join(gen_user(full_name=f"Waiting Patron Number {n}").id, showtime.id, 2,
                  utcnow() + timedelta(seconds=n))
    line.join(viewer.id, showtime.id, 1, utcnow() + timedelta(seconds=5))
    wishlist.save(viewer.id, film.id)
    return film, showtime, viewer, gen_user(role=UserRole.ADMIN)


def _check(page, name: str, width: int) -> None:
    page.screenshot(path=f"/tmp/patrons-{name}-{width}.png", full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - "
                             "document.documentElement.clientWidth")
    # What sticks out, for the failure message (an absolutely positioned label inside a
    # scrolling table escapes it unless the scroller is positioned).
    wide = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > document.documentElement.clientWidth + 1).slice(0, 8)"
        ".map(e => e.tagName + '.' + e.className)")
    assert overflow <= 0, f"{name} overflows by {overflow}px at {width}px: {wide}"
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("axe.run(document, {resultTypes: ['violations']})"
                               ".then(r => r.violations.map(v => [v.id, v.impact, v.nodes.length,"
                               " v.nodes[0].target.join(' ')]))")
    assert [v for v in violations if v[1] in ("serious", "critical")] == [], name


@pytest.mark.parametrize("width", [1280, 390])
def test_patron_and_admin_pages_fit_and_pass_axe(browser, base_url, patrons_world, width):
    film, showtime, viewer, admin = patrons_world
    # axe is injected by the test, so the page's own CSP (script-src 'self') is bypassed here only.
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900},
                                  bypass_csp=True)
    page = context.new_page()
    sign_in(page, viewer.email)
    for name, path in (("film", f"/movies/{film.id}"), ("movies", "/movies?sort=rating"),
                       ("wishlist", "/account/wishlist"), ("waitlist", "/account/waitlist"),
                       ("showtime", f"/showtimes/{showtime.id}"),
                       ("search", "/movies?q=Llanfair"),
                       ("film-showtimes", f"/showtimes?movie_id={film.id}"),
                       ("film-days", f"/showtimes/movie/{film.id}")):
        page.goto(path)
        _check(page, name, width)
    page.get_by_role("button", name=re.compile("Sign out")).click()
    sign_in(page, admin.email)
    for name, path in (("admin-reviews", "/admin/reviews"),
                       ("admin-showtime", f"/admin/showtimes/{showtime.id}")):
        page.goto(path)
        _check(page, name, width)
    context.close()
