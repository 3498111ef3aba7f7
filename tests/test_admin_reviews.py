"""Admins moderate reviews at /admin/reviews: hide with a reason (the author still sees the
review, with the reason; nobody else does and the average leaves it out), restore, and both
are in the audit log. Text is escaped on the admin page too."""
from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from cinema.extensions import db
from cinema.models import AuditLog, Review
from cinema.reviews import ratings
from tests.admin_factories import admin_client
from tests.factories import gen_movie, login
from tests.review_factories import gen_review, gen_viewer


@pytest.fixture
def admin(app, app_ctx):
    return admin_client(app)[0]


@pytest.fixture
def reviewed(app_ctx):
    film = gen_movie("Paper Lanterns")
    author = gen_viewer(film, full_name="Ana Author")
    review = gen_review(film, 1, "<b>terrible</b> & loud", user=author)
    gen_review(film, 5)
    return film, author, review


def test_hide_with_a_reason_then_restore(app, admin, reviewed):
    film, author, review = reviewed
    listing = admin.get("/admin/reviews").get_data(as_text=True)
    assert "&lt;b&gt;terrible&lt;/b&gt; &amp; loud" in listing and "<b>terrible" not in listing

    hidden = admin.post(f"/admin/reviews/{review.id}/hide",
                               data={"reason": "Personal <attack>"})
    assert hidden.status_code == 303
    db.session.expire_all()
    assert db.session.get(Review, review.id).hidden_reason == "Personal <attack>"
    assert ratings.film_summary(film.id).count == 1  # only the 5-star one counts now

    author_client = app.test_client()
    login(author_client, author.email)
    own_page = author_client.get(f"/movies/{film.id}").get_data(as_text=True)
    assert "Hidden by our moderators: Personal &lt;attack&gt;" in own_page
    public_page = app.test_client().get(f"/movies/{film.id}").get_data(as_text=True)
    assert "terrible" not in public_page
    assert "<strong>5.0</strong> out of 5" in public_page

    assert "Hidden" in admin.get("/admin/reviews?state=hidden").get_data(as_text=True)
    assert admin.post(f"/admin/reviews/{review.id}/hide",
                             data={"reason": "again"}).status_code == 409
    assert admin.post(f"/admin/reviews/{review.id}/restore").status_code == 303
    db.session.expire_all()
    assert db.session.get(Review, review.id).hidden_at is None
    assert "terrible" in app.test_client().get(f"/movies/{film.id}").get_data(as_text=True)
    assert admin.post(f"/admin/reviews/{review.id}/restore").status_code == 409

    actions = db.session.execute(
        sa.select(AuditLog.action, AuditLog.entity_id, AuditLog.after)
        .where(AuditLog.entity_type == "review").order_by(AuditLog.id)).all()
    assert [(action, entity_id) for action, entity_id, _ in actions] == [
        ("review.hide", review.id), ("review.restore", review.id)]
    assert actions[0].after["hidden_reason"] == "Personal <attack>"
    audit_page = admin.get("/admin/audit?entity_type=review").get_data(as_text=True)
    assert "review.hide" in audit_page or "Hid a review" in audit_page


@pytest.mark.parametrize("reason", ["", "   ", "x" * 301])
def test_hiding_needs_a_reason(admin, reviewed, reason):
    _, _, review = reviewed
    response = admin.post(f"/admin/reviews/{review.id}/hide", data={"reason": reason})
    assert response.status_code == 422
    assert 'class="alert alert-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Review, review.id).hidden_at is None


def test_unknown_reviews_and_states(admin, reviewed):
    assert admin.post("/admin/reviews/999999/hide",
                             data={"reason": "spam"}).status_code == 404
    assert admin.post("/admin/reviews/999999/restore").status_code == 404
    assert admin.get("/admin/reviews?state=nonsense&page=abc").status_code == 200


def test_the_csv_keeps_text_as_text(admin, app_ctx):
    film = gen_movie("=HYPERLINK(\"http://evil\")")
    gen_review(film, 3, "+1 <b>great</b>, \"quoted\"\nsecond line")
    response = admin.get("/admin/reviews?format=csv&state=visible")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:6] == ["id", "film", "author", "email", "rating", "review"]
    assert rows[1][1] == "'=HYPERLINK(\"http://evil\")"
    assert rows[1][4] == "3" and rows[1][5] == "'+1 <b>great</b>, \"quoted\"\nsecond line"
