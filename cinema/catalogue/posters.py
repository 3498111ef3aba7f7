"""Poster images: uploads checked by content, stored under ``instance/posters``, and a
generated placeholder for films without one.

Only PNG, JPEG and WebP are accepted, decided by the file's first bytes (its magic number) and
confirmed by decoding the header with Pillow, never by the name or the browser's content type.
Each upload gets a new random file name, so a changed poster is a new file.
"""
from __future__ import annotations

import io
import os
import secrets

from flask import current_app
from PIL import Image, UnidentifiedImageError

from cinema.exceptions import ValidationFailed

MAX_POSTER_BYTES = 5 * 1024 * 1024
MAX_POSTER_PIXELS = 40_000_000  # refuse decompression bombs long before Pillow would
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp",
                 "svg": "image/svg+xml"}
_PILLOW_FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}


def sniff_image_type(data: bytes) -> str | None:
    """"png", "jpg" or "webp" from the magic number, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _refuse(message: str):
    raise ValidationFailed(message, field_errors={"poster": [message]})


def check_poster(data: bytes) -> str:
    """The file extension for an acceptable poster. Raises ValidationFailed."""
    if not data:
        _refuse("The poster file is empty.")
    if len(data) > MAX_POSTER_BYTES:
        _refuse("The poster is larger than 5 MB.")
    kind = sniff_image_type(data)
    if kind is None:
        _refuse("The poster must be a PNG, JPEG or WebP image.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if image.format != _PILLOW_FORMATS[kind]:
                raise UnidentifiedImageError(image.format)
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        _refuse("The poster file is damaged or not really an image.")
    if width * height > MAX_POSTER_PIXELS:
        _refuse("The poster has too many pixels; 2000 × 3000 is plenty.")
    return kind


def poster_dir() -> str:
    path = os.path.join(current_app.instance_path, "posters")
    os.makedirs(path, exist_ok=True)
    return path


def store_poster(movie_id: int, data: bytes) -> str:
    """Check and write an uploaded poster; returns its file name (under ``poster_dir``)."""
    kind = check_poster(data)
    filename = f"movie-{movie_id}-{secrets.token_hex(6)}.{kind}"
    with open(os.path.join(poster_dir(), filename), "wb") as handle:
        handle.write(data)
    return filename


def poster_path(filename: str | None) -> str | None:
    """The absolute path of a stored poster that exists, else None (never leaves the folder)."""
    if not filename or os.path.basename(filename) != filename:
        return None
    path = os.path.join(poster_dir(), filename)
    return path if os.path.isfile(path) else None


def discard_poster(filename: str | None) -> None:
    """Delete an uploaded poster file (generated demo posters are left alone)."""
    path = poster_path(filename)
    if path and filename.startswith("movie-"):
        os.remove(path)


def content_type(filename: str) -> str:
    return CONTENT_TYPES.get(filename.rsplit(".", 1)[-1].lower(), "application/octet-stream")
