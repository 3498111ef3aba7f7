"""No 5xx from any input: the URL map walked with a fixed hostile set, as every role.

Every route of ``app.url_map`` (so a route added tomorrow is walked too) gets, as anonymous,
USER, STAFF and ADMIN:
- each path parameter replaced by each hostile value (the others valid);
- each query parameter (GET) and form field (POST) the route reads replaced by each hostile
  value, one at a time, on top of a small set of valid values.

Which parameters a route reads is not written down anywhere: the walk records it. The request
class is swapped for one whose ``args``/``form`` remember every key asked for, a probe request
finds the first ones, and every key any request reads is queued for fuzzing in turn (so a field
read only once an earlier one is valid is found as well).

Asserted for every response: a status below 500, ``<script>alert(1)</script>`` never in an HTML
page unescaped, and ``{{7*7}}`` never evaluated (no more "49"s than the same request with a
harmless value gives).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

from cinema.accounts import accounts
from cinema.extensions import db
from cinema.models import OutboxEmail, ReservationStatus, UserRole
from tests.factories import (
    PASSWORD,
    gen_auditorium,
    gen_movie,
    gen_reservation,
    gen_showtime,
    gen_user,
    login,
    seats_of,
)
from tests.promo_factories import gen_promo

SCRIPT = "<script>alert(1)</script>"
TEMPLATE = "{{7*7}}"
HOSTILE = {
    "empty": "",
    "10k": "x" * 10_000,
    "nul": "a\x00b",
    "crlf": "a\r\nb",
    "emoji": "\U0001F3AC\U0001F37F",
    "rtl": "\u200fabc",
    "minus-one": "-1",
    "2^31": str(2**31),
    "2^63": str(2**63),
    "1e309": "1e309",
    "array": ["1", "2"],
    "script": SCRIPT,
    "template": TEMPLATE,
}
HARMLESS = "harmless"
# A 49 standing alone (not inside a number, a nonce or a hash).
_FORTY_NINE = re.compile(r"(?<![0-9A-Za-z+/_-])49(?![0-9A-Za-z+/_-])")
# Run last: they end the session the walk runs in, or delete or settle what other routes use.
DESTRUCTIVE = re.compile(r"logout|delete|cancel|confirm|paid")


class _Reads:
    """The (source, key) pairs read from ``request.args`` / ``request.form`` since reset."""

    keys: set[tuple[str, str]] = set()


class _RecordingDict(ImmutableMultiDict):
    source = ""

    def _note(self, key):
        if isinstance(key, str):
            _Reads.keys.add((self.source, key))

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        self._note(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        self._note(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


class _ArgsDict(_RecordingDict):
    source = "args"


class _FormDict(_RecordingDict):
    source = "form"


class RecordingRequest(Request):
    """A request whose query and form dictionaries remember the keys the app reads."""

    @property
    def args(self):
        return _ArgsDict(super().args)

    @property
    def form(self):
        form = super().form
        return form if isinstance(form, _FormDict) else _FormDict(form)


# --- the seeded world -----------------------------------------------------------------------

def _seed():
    """A film, an auditorium, a showtime, a promo code, an email, and per role a user with a
    held booking. Returns (path values by parameter name per role, users by role)."""
    movie = gen_movie(title="Walk Film")
    auditorium = gen_auditorium(name="Walk Screen", rows=4, seats_per_row=6)
    starts = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0)
    showtime = gen_showtime(movie=movie, auditorium=auditorium, starts_at=starts)
    seats = seats_of(auditorium)
    promo = gen_promo(code="WALK10")
    users, bookings = {}, {}
    for index, role in enumerate(UserRole):
        user = gen_user(role=role)
        users[role] = user
        bookings[role] = gen_reservation(
            user, showtime, [seats[index]], status=ReservationStatus.HELD,
            hold_expires_at=datetime.now(timezone.utc) + timedelta(hours=1))
    outbox = OutboxEmail(kind="welcome", to_address=users[UserRole.USER].email, subject="Hi",
                         message=b"Subject: Hi\r\n\r\nHi")
    db.session.add(outbox)
    db.session.commit()
    free_seat = seats[-1].id
    common = {"movie_id": movie.id, "auditorium_id": auditorium.id, "showtime_id": showtime.id,
              "promo_id": promo.id, "outbox_id": outbox.id}
    path_values = {role: {**common, "reservation_id": bookings[role].id,
                          "user_id": users[role].id} for role in UserRole}
    path_values[None] = {**common, "reservation_id": bookings[UserRole.USER].id,
                         "user_id": users[UserRole.USER].id}
    valid_fields = {role: _valid_fields(user.email, showtime.id, free_seat)
                    for role, user in users.items()}
    # An address already taken: a fuzzed signup field must not sign the visitor up for real.
    valid_fields[None] = _valid_fields(users[UserRole.USER].email, showtime.id, free_seat)
    return path_values, valid_fields, users


def _valid_fields(email: str, showtime_id: int, seat_id: int) -> dict:
    """Valid values the fuzzed field is sent among, so that it is the one judged."""
    return {"email": email, "password": PASSWORD, "password_confirm": PASSWORD,
            "full_name": "Walk Patron", "showtime_id": str(showtime_id),
            "seat_ids": [str(seat_id)], "page": "1", "payment_method": "card",
            "card_number": "4242 4242 4242 4242", "card_expiry": "12/34", "card_cvc": "123"}


# --- the walk --------------------------------------------------------------------------------

class Walk:
    def __init__(self, app, client, path_values: dict, valid_fields: dict):
        self.app, self.client = app, client
        self.path_values, self.valid_fields = path_values, valid_fields
        self.failures: list[str] = []
        self.requests = 0
        self.cookies = dict(client._cookies)

    def routes(self):
        """(rule, method) for every rule, reading routes first and destructive ones last."""
        pairs = [(rule, method) for rule in self.app.url_map.iter_rules()
                 if rule.endpoint != "static"
                 for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
        return sorted(pairs, key=lambda p: (p[1] != "GET",
                                            bool(DESTRUCTIVE.search(p[0].endpoint)), p[0].rule))

    def url(self, rule, values: dict) -> str:
        def fill(match):
            name = match.group(1)
            return quote(str(values.get(name, self.path_values.get(name, 1))), safe="")

        return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", fill, rule.rule)

    def send(self, rule, method, path: dict | None = None, fields: dict | None = None,
             where: str = ""):
        fields = fields or {}
        args = {k: v for (src, k), v in fields.items() if src == "args"}
        form = {k: v for (src, k), v in fields.items() if src == "form"}
        if method == "GET":
            args = {**args, **form}
            form = {}
        elif not form:
            form = {"_probe": "1"}  # Flask-WTF reads no fields from an empty form
        url = self.url(rule, path or {})
        # Every request as the role the walk is for, whatever the previous one did (a login
        # form fuzzed with valid credentials signs in afresh, a signup could sign in another).
        self.client._cookies = dict(self.cookies)
        response = self.client.open(url, method=method, query_string=args, data=form)
        self.requests += 1
        label = f"{method} {rule.rule} {where}"
        if response.status_code >= 500:
            self.failures.append(f"{response.status_code} {label}")
        body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        if SCRIPT in body:
            self.failures.append(f"unescaped <script> reflected: {label}")
        return response, body

    def walk_route(self, rule, method):
        _Reads.keys = set()
        baseline, _ = self.send(rule, method, where="(probe)")
        if baseline.status_code in (401, 403) or (
                baseline.status_code == 302 and "/auth/login" in baseline.location):
            return  # the role check answers before any parameter is read
        for name in rule.arguments:
            for label, value in HOSTILE.items():
                if isinstance(value, str):
                    self.send(rule, method, path={name: value}, where=f"path {name}={label}")
        done: set[tuple[str, str]] = set()
        while todo := sorted(_Reads.keys - done - {("form", "_probe")}):
            for key in todo:
                done.add(key)
                self.fuzz_field(rule, method, key)

    def fuzz_field(self, rule, method, key):
        source, name = key
        valid = {(source, field): value for field, value in self.valid_fields.items()}
        for label, value in HOSTILE.items():
            response, body = self.send(rule, method, fields={**valid, key: value},
                                       where=f"{source} {name}={label}")
            if value == TEMPLATE and TEMPLATE not in body and _FORTY_NINE.search(body):
                # Not shown as typed, and a 49 on the page: is it ours? Ask again with a
                # harmless value; a page that evaluated the input has one 49 more.
                _, control = self.send(rule, method, fields={**valid, key: HARMLESS},
                                       where=f"{source} {name}=control")
                if len(_FORTY_NINE.findall(body)) > len(_FORTY_NINE.findall(control)):
                    self.failures.append(f"{{{{7*7}}}} evaluated: {method} {rule.rule} {name}")


@pytest.fixture
def cheap_hashing(monkeypatch):
    """Argon2 at its cheapest for the walk: it posts to the login and signup forms hundreds of
    times, and hashing cost is not what is being tested (a login rehashes to these settings)."""
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", hasher)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", hasher.hash("not a real password"))


@pytest.mark.parametrize("role", [None, *UserRole], ids=lambda r: r.value if r else "anonymous")
def test_no_hostile_input_gets_a_server_error(app, app_ctx, cheap_hashing, role):
    path_values, valid_fields, users = _seed()
    client = app.test_client()
    if role is not None:
        assert login(client, users[role].email).status_code == 303
    db.session.remove()  # the walk's requests run in their own sessions
    walk = Walk(app, client, path_values[role], valid_fields[role])
    app.request_class = RecordingRequest
    try:
        for rule, method in walk.routes():
            walk.walk_route(rule, method)
    finally:
        app.request_class = Request
    assert walk.requests > 200, "the walk barely ran"
    assert not walk.failures, "\n".join(walk.failures[:80])
