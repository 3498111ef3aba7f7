"""Small factories with explicit overrides (``gen_*``), used inside an app context."""
from __future__ import annotations

import itertools

from cinema.extensions import db
from cinema.models import User, UserRole
from cinema.services.accounts import hash_password

_counter = itertools.count(1)
PASSWORD = "correct-horse-42"
# One hash for every factory user: argon2 is deliberately slow.
_PASSWORD_HASH = None


def gen_user(role: UserRole = UserRole.USER, email: str | None = None,
             full_name: str | None = None, password: str = PASSWORD) -> User:
    global _PASSWORD_HASH
    n = next(_counter)
    if password == PASSWORD:
        _PASSWORD_HASH = _PASSWORD_HASH or hash_password(PASSWORD)
        password_hash = _PASSWORD_HASH
    else:
        password_hash = hash_password(password)
    user = User(email=email or f"user{n}@example.com", full_name=full_name or f"User {n}",
                role=role, password_hash=password_hash)
    db.session.add(user)
    db.session.commit()
    return user


def login(client, email: str, password: str = PASSWORD, **extra):
    return client.post("/auth/login", data={"email": email, "password": password, **extra})
