"""Poster images: uploads checked by content, stored under ``instance/posters``, and a
generated placeholder for films without one.

Only PNG, JPEG and WebP are accepted, decided by the file's first bytes (its magic number) and
confirmed by decoding the header with Pillow, never by the name or the browser's content type.
Each upload gets a new random file name, so a changed poster is a new file.
"""
from __future__ import annotations

import hashlib
import io
import os
import secrets
from html import escape

from PIL import Image, UnidentifiedImageError

from cinema.exceptions import ValidationFailed
from cinema.models import Movie
from cinema.settings import settings

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
    path = os.path.join(settings().instance_path, "posters")
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


def poster_svg(title: str, subtitle: str) -> str:
    """A generated poster: a colour field from the title's hash, the title set in type."""
    digest = hashlib.sha256(title.encode()).digest()
    hue1, hue2 = digest[0] * 360 // 256, digest[1] * 360 // 256
    lines = _title_lines(title)
    text = "".join(
        f'<text x="150" y="{250 + i * 40 - len(lines) * 20}" text-anchor="middle" '
        f'font-family="Georgia, serif" font-size="32" font-weight="700" fill="#fff">'
        f"{escape(part)}</text>" for i, part in enumerate(lines))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 450" width="300" height="450">'
        f'<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="hsl({hue1},55%,38%)"/>'
        f'<stop offset="1" stop-color="hsl({hue2},60%,14%)"/></linearGradient></defs>'
        '<rect width="300" height="450" fill="url(#g)"/>'
        f'<circle cx="150" cy="120" r="70" fill="hsl({hue2},70%,70%)" opacity=".35"/>'
        f"{text}"
        f'<text x="150" y="420" text-anchor="middle" font-family="system-ui, sans-serif" '
        f'font-size="14" fill="#fff" opacity=".8">{escape(subtitle)}</text></svg>'
    )


def _title_lines(title: str, width: int = 13, longest: int = 15, most: int = 7) -> list[str]:
    """The title set in lines of about ``width`` characters: a word longer than ``longest``
    (what the poster's width holds) is cut over several lines, hyphenated, and a title longer
    than ``most`` lines ends in an ellipsis."""
    lines, line = [], ""
    for word in title.split():
        while len(word) > longest:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:longest - 1] + "-")
            word = word[longest - 1:]
        if len(line) + len(word) > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][:width - 1].rstrip("-") + "…"
    return lines


def placeholder_svg(movie: Movie) -> str:
    """The generated poster of a film without an uploaded one."""
    return poster_svg(movie.title, f"{movie.age_rating} · {movie.duration_minutes} min · "
                                   f"{movie.format}")
