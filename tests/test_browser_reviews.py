"""A patron who saw a film rates it in real Chromium, with JavaScript on (the reviews section
is swapped in place) and off (a plain form post and a redirect back to the film); the film
page then shows the new average; an admin hides the review with a reason its author sees."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cinema.models import UserRole
from tests.factories import PASSWORD, gen_movie, gen_user
from tests.review_factories import gen_review, gen_viewer

pytestmark = pytest.mark.browser


def sign_in(page, email):
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name=re.compile("Sign out"))).to_be_visible()


@pytest.fixture
def rated_film(app_ctx):
    film = gen_movie("Quiet Hours", synopsis="A lighthouse keeper listens.")
    gen_review(film, 5, "Luminous.")
    viewer = gen_viewer(film, full_name="Vera Viewer")
    admin = gen_user(role=UserRole.ADMIN)
    return film, viewer, admin


def test_a_viewer_rates_a_film_and_an_admin_hides_it(request, browser_page, rated_film):
    page, javascript = browser_page, request.node.callspec.params["browser_page"]
    film, viewer, admin = rated_film
    sign_in(page, viewer.email)
    page.goto(f"/movies/{film.id}")
    reviews = page.locator("#reviews")
    expect(reviews).to_contain_text("5.0 out of 5")
    if javascript:
        page.evaluate("window.__sameDocument = true")

    reviews.get_by_label("3 stars").check()
    reviews.get_by_label("Your review (optional)").fill("Slow, <b>but</b> it stays with you.")
    reviews.get_by_role("button", name="Publish review").click()

    expect(reviews).to_contain_text("Your review")
    expect(reviews).to_contain_text("Slow, <b>but</b> it stays with you.")
    expect(reviews.locator(".rating-average")).to_contain_text("4.0 out of 5")
    expect(reviews.locator(".rating-average")).to_contain_text("2 reviews")
    expect(page.locator("#film-rating")).to_contain_text("4.0")
    if javascript:
        assert page.evaluate("window.__sameDocument") is True  # swapped, not reloaded
    else:
        expect(page).to_have_url(re.compile(rf"/movies/{film.id}#reviews$"))
    page.screenshot(path=f"/tmp/patrons-film-reviews-{javascript}.png", full_page=True)

    page.get_by_role("button", name=re.compile("Sign out")).click()
    sign_in(page, admin.email)
    page.goto("/admin/reviews")
    row = page.locator("tr", has_text="Vera Viewer")
    row.get_by_label("Reason shown to the author").fill("Spoils the ending")
    row.get_by_role("button", name=re.compile("Hide")).click()
    expect(page.locator("tr", has_text="Vera Viewer")).to_contain_text("Spoils the ending")

    page.get_by_role("button", name=re.compile("Sign out")).click()
    sign_in(page, viewer.email)
    page.goto(f"/movies/{film.id}")
    expect(page.locator(".own-review")).to_contain_text(
        "Hidden by our moderators: Spoils the ending")
    expect(page.locator(".rating-average")).to_contain_text("5.0 out of 5")

