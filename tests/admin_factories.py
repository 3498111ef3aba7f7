"""Helpers for the admin tests: a signed-in admin client and small image files."""
from __future__ import annotations

import io

from PIL import Image

from cinema.models import UserRole
from tests.factories import gen_user, login


def admin_client(app):
    """(client, admin user): a test client signed in as a new admin."""
    admin = gen_user(role=UserRole.ADMIN)
    client = app.test_client()
    assert login(client, admin.email).status_code == 303
    return client, admin


def image_bytes(fmt: str = "PNG", size=(20, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 30, 40)).save(buffer, format=fmt)
    return buffer.getvalue()
