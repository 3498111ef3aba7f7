"""New passwords: common ones, blank ones and one character repeated are refused with a clear
message, and the length message gives both limits, at every place a password is chosen."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from cinema.accounts import accounts, password_policy, password_reset
from cinema.exceptions import ValidationFailed
from cinema.extensions import db
from cinema.models import User, UserRole, utcnow
from tests.factories import PASSWORD, gen_user, login

REFUSED = {
    "password": password_policy.COMMON_MESSAGE,
    "PassWord": password_policy.COMMON_MESSAGE,
    "12345678": password_policy.COMMON_MESSAGE,
    "qwertyuiop": password_policy.COMMON_MESSAGE,
    " " * 8: password_policy.BLANK_MESSAGE,
    "\t" * 9: password_policy.BLANK_MESSAGE,
    "aaaaaaaa": password_policy.REPEATED_MESSAGE,
    "short": password_policy.LENGTH_MESSAGE,
    "x7" * 101: password_policy.LENGTH_MESSAGE,
}


def test_the_rules_and_their_messages():
    for password, message in REFUSED.items():
        assert password_policy.problem(password) == message, password
    assert password_policy.problem("correct-horse-42") is None
    assert password_policy.problem("x7" * 100) is None  # 200 characters: the upper limit
    assert "8" in password_policy.LENGTH_MESSAGE and "200" in password_policy.LENGTH_MESSAGE
    assert len(password_policy.common_passwords()) > 10_000


def test_every_service_that_sets_a_password_refuses_a_common_one(app_ctx):
    with pytest.raises(ValidationFailed) as refused:
        accounts.register("new@example.com", "New Person", "password")
    assert refused.value.field_errors == {"password": [password_policy.COMMON_MESSAGE]}
    user = gen_user()
    with pytest.raises(ValidationFailed):
        accounts.change_password(user, PASSWORD, "12345678")
    with pytest.raises(ValidationFailed):
        password_reset.reset_password(password_reset.make_token(user, utcnow()), " " * 8,
                                      utcnow())
    db.session.rollback()
    assert accounts._verify(db.session.get(User, user.id).password_hash, PASSWORD)


def _signup(client, path, password, **extra):
    return client.post(path, data={"email": "new@example.com", "full_name": "New Person",
                                   "password": password, "password_confirm": password, **extra})


@pytest.mark.parametrize("password", ["password", "12345678", " " * 8, "short", "x7" * 101])
def test_signup_and_admin_signup_show_the_message_next_to_the_field(app, client, password):
    for path, extra in [("/auth/signup", {}), ("/auth/admin/signup", {"admin_secret": "open-sesame"})]:
        response = _signup(client, path, password, **extra)
        assert response.status_code == 422
        assert REFUSED[password] in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_the_form_says_both_length_limits_and_sets_them_on_the_input(client):
    page = client.get("/auth/signup").get_data(as_text=True)
    assert 'minlength="8"' in page and 'maxlength="200"' in page
    assert password_policy.HINT in page


def test_an_admin_creating_a_staff_account_is_held_to_the_same_rules(app, client):
    with app.app_context():
        admin = gen_user(UserRole.ADMIN)
        login(client, admin.email)
    response = _signup(client, "/admin/users", "password", role="STAFF")
    assert response.status_code == 422
    assert password_policy.COMMON_MESSAGE in response.get_data(as_text=True)


def test_password_change_and_reset_pages_refuse_weak_passwords(app, client):
    with app.app_context():
        user = gen_user()
        token = password_reset.make_token(user, utcnow())
        login(client, user.email)
    changed = client.post("/account/password", data={
        "pw-current_password": PASSWORD, "pw-password": "12345678",
        "pw-password_confirm": "12345678"})
    assert changed.status_code == 422
    assert password_policy.COMMON_MESSAGE in changed.get_data(as_text=True)
    reset = client.post(f"/auth/reset/{token}", data={"password": " " * 8,
                                                      "password_confirm": " " * 8})
    assert reset.status_code == 422
    assert password_policy.BLANK_MESSAGE in reset.get_data(as_text=True)
    too_long = client.post(f"/auth/reset/{token}", data={"password": "x7" * 101,
                                                         "password_confirm": "x7" * 101})
    assert password_policy.LENGTH_MESSAGE in too_long.get_data(as_text=True)
