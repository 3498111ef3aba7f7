"""Wishlist, reviews and the waitlist through /api/v1: the same services and rules as the pages
(verified viewers only, one review each, moderation by admins, the waitlist's order)."""
from __future__ import annotations

from datetime import timedelta

from cinema.booking import booking
from cinema.extensions import db
from cinema.models import AuditLog, UserRole, WishlistItem
from tests.api_helpers import api_login, assert_error, bearer, token_user
from tests.booking_helpers import now, setup_showtime
from tests.factories import gen_movie, gen_user
from tests.review_factories import gen_review, gen_viewer


def _auth(tokens) -> dict:
    return bearer(tokens["access_token"])


def test_wishlist_save_list_forget(app_ctx, client):
    movie = gen_movie(title="Paddington")
    user, tokens, _ = token_user(app_ctx)
    for _ in range(2):  # saving twice changes nothing
        saved = client.put(f"/api/v1/wishlist/{movie.id}", headers=_auth(tokens))
        assert saved.status_code == 200 and saved.get_json() == {"movie_id": movie.id, "saved": True}
    listed = client.get("/api/v1/wishlist", headers=_auth(tokens)).get_json()
    assert [card["title"] for card in listed] == ["Paddington"]
    assert listed[0]["rating"] == {"average": None, "count": 0}
    gone = client.delete(f"/api/v1/wishlist/{movie.id}", headers=_auth(tokens))
    assert gone.get_json() == {"movie_id": movie.id, "saved": False}
    assert db.session.query(WishlistItem).count() == 0
    assert_error(client.put("/api/v1/wishlist/999999", headers=_auth(tokens)), 404, "NOT_FOUND")
    assert client.put("/api/v1/wishlist/emails", headers=_auth(tokens),
                      json={"enabled": False}).get_json() == {"enabled": False}
    db.session.refresh(user)
    assert user.wishlist_emails is False
    assert_error(client.get("/api/v1/wishlist"), 401, "AUTH_REQUIRED")


def test_only_a_verified_viewer_reviews_once_and_the_film_shows_the_average(app_ctx, client):
    movie = gen_movie()
    gen_review(movie, 5)
    viewer = gen_viewer(movie, full_name="<b>Ada</b> Viewer")
    tokens = api_login(client, viewer.email)
    _, stranger, _ = token_user(app_ctx)

    refused = client.post(f"/api/v1/movies/{movie.id}/reviews", headers=_auth(stranger),
                          json={"rating": 4})
    assert_error(refused, 403, "NOT_A_VERIFIED_VIEWER")
    mine = client.get(f"/api/v1/movies/{movie.id}/reviews/mine", headers=_auth(stranger))
    assert mine.get_json()["may_review"] is False and mine.get_json()["reason"]

    assert client.get(f"/api/v1/movies/{movie.id}/reviews/mine",
                      headers=_auth(tokens)).get_json()["may_review"] is True
    assert_error(client.post(f"/api/v1/movies/{movie.id}/reviews", headers=_auth(tokens),
                             json={"rating": 6}), 422, "VALIDATION_ERROR")
    created = client.post(f"/api/v1/movies/{movie.id}/reviews", headers=_auth(tokens),
                          json={"rating": 2, "body": "<script>alert(1)</script>"})
    assert created.status_code == 201, created.get_json()
    review = created.get_json()
    assert review["body"] == "<script>alert(1)</script>" and review["hidden"] is False
    assert_error(client.post(f"/api/v1/movies/{movie.id}/reviews", headers=_auth(tokens),
                             json={"rating": 3}), 409, "ALREADY_REVIEWED")

    page = client.get(f"/api/v1/movies/{movie.id}/reviews").get_json()
    assert page["rating"]["average"] == 3.5 and page["rating"]["count"] == 2
    assert [row["stars"] for row in page["rating"]["distribution"]] == [5, 4, 3, 2, 1]
    assert page["items"][0]["id"] == review["id"]  # newest first
    # Others see a first name and an initial; JSON carries text, not HTML.
    assert page["items"][0]["author"] == "<b>Ada</b> V."

    edited = client.put(f"/api/v1/reviews/{review['id']}", headers=_auth(tokens),
                        json={"rating": 4, "body": "Better the second time."})
    assert edited.get_json()["rating"] == 4
    assert_error(client.put(f"/api/v1/reviews/{review['id']}", headers=_auth(stranger),
                            json={"rating": 1}), 403, "FORBIDDEN")
    cards = client.get("/api/v1/movies?sort=rating").get_json()["items"]
    assert {card["id"]: card["rating"] for card in cards}[movie.id] == {"average": 4.5, "count": 2}
    assert client.delete(f"/api/v1/reviews/{review['id']}", headers=_auth(tokens)).status_code == 204
    assert client.get(f"/api/v1/movies/{movie.id}/reviews").get_json()["rating"]["count"] == 1


def test_admins_hide_and_restore_reviews_audited(app_ctx, client):
    movie = gen_movie()
    review = gen_review(movie, 1, "spoilers!")
    admin, admin_tokens, _ = token_user(app_ctx, role=UserRole.ADMIN)
    _, patron_tokens, _ = token_user(app_ctx)
    assert_error(client.get("/api/v1/admin/reviews", headers=_auth(patron_tokens)), 403,
                 "FORBIDDEN")
    assert_error(client.post(f"/api/v1/admin/reviews/{review.id}/hide", headers=_auth(admin_tokens),
                             json={"reason": ""}), 422, "VALIDATION_ERROR")
    hidden = client.post(f"/api/v1/admin/reviews/{review.id}/hide", headers=_auth(admin_tokens),
                         json={"reason": "Spoilers"})
    assert hidden.status_code == 200 and hidden.get_json()["hidden_reason"] == "Spoilers"
    assert client.get(f"/api/v1/movies/{movie.id}/reviews").get_json()["total"] == 0
    listed = client.get("/api/v1/admin/reviews?state=hidden", headers=_auth(admin_tokens))
    assert [row["id"] for row in listed.get_json()["items"]] == [review.id]
    assert_error(client.post(f"/api/v1/admin/reviews/{review.id}/hide",
                             headers=_auth(admin_tokens), json={"reason": "again"}),
                 409, "CONFLICT")
    restored = client.post(f"/api/v1/admin/reviews/{review.id}/restore",
                           headers=_auth(admin_tokens))
    assert restored.get_json()["hidden"] is False
    actions = [row.action for row in db.session.query(AuditLog).filter_by(actor_id=admin.id)]
    assert actions == ["review.hide", "review.restore"]


def test_waitlist_join_position_offer_and_leave(app_ctx, client):
    showtime, seats = setup_showtime()
    buyer = gen_user()
    sold = booking.hold_seats(buyer.id, showtime.id, [seat.id for seat in seats[:10]], now())
    booking.hold_seats(gen_user().id, showtime.id, [seat.id for seat in seats[10:]], now())
    _, first, _ = token_user(app_ctx)
    _, second, _ = token_user(app_ctx)
    joined = client.post(f"/api/v1/showtimes/{showtime.id}/waitlist", headers=_auth(first),
                         json={"party_size": 2})
    assert joined.status_code == 201, joined.get_json()
    assert joined.get_json()["position"] == 1 and joined.get_json()["status"] == "WAITING"
    assert_error(client.post(f"/api/v1/showtimes/{showtime.id}/waitlist", headers=_auth(first),
                             json={"party_size": 1}), 409, "ALREADY_WAITING")
    assert_error(client.post(f"/api/v1/showtimes/{showtime.id}/waitlist", headers=_auth(second),
                             json={"party_size": 0}), 422, "VALIDATION_ERROR")
    second_entry = client.post(f"/api/v1/showtimes/{showtime.id}/waitlist",
                               headers=_auth(second), json={"party_size": 1}).get_json()
    assert second_entry["position"] == 2

    booking.cancel_booking(sold.id, buyer.id, now() + timedelta(seconds=5))  # 10 seats free
    mine = client.get("/api/v1/waitlist", headers=_auth(first)).get_json()
    assert mine[0]["status"] == "OFFERED" and mine[0]["reservation_id"]
    _, admin_tokens, _ = token_user(app_ctx, role=UserRole.ADMIN)
    counts = client.get(f"/api/v1/admin/showtimes/{showtime.id}/waitlist",
                        headers=_auth(admin_tokens)).get_json()["counts"]
    assert counts["OFFERED"] == 2
    left = client.delete(f"/api/v1/waitlist/{mine[0]['id']}", headers=_auth(first))
    assert left.status_code == 200 and left.get_json()["status"] == "LEFT"
    assert_error(client.delete(f"/api/v1/waitlist/{mine[0]['id']}", headers=_auth(first)), 404,
                 "NOT_FOUND")
    assert_error(client.delete(f"/api/v1/waitlist/{second_entry['id']}", headers=_auth(first)),
                 404, "NOT_FOUND")
