"""Names and email addresses as the app accepts them, whichever way they come in.

Signup, the profile page, staff accounts made by an admin and box-office sales all pass what
they are given through ``clean_name`` / ``clean_email`` (the forms use the same checks through
``name_problem`` / ``email_problem``, so the message appears next to the field):

- A name is trimmed, its inner runs of spaces become one space, and it may not contain control
  characters (CR, LF, NUL, tab, ...) or the invisible bidi overrides that make text display in
  a different order than it is stored. Any script, accents and emoji are fine.
- An email address must be plain ASCII: internationalised addresses (``user@exämple.com``,
  ``jörg@example.com``) are refused with a message saying so. Not every mail server takes them
  (SMTPUTF8), and a stored address we cannot send to would be a booking without its ticket.
  Addresses are stored trimmed and lower-cased.

Email composition (``notifications.address_header``) does not rely on this: rows stored before
these checks are sanitised when a message is written.
"""
from __future__ import annotations

import re
import unicodedata

from cinema.exceptions import ValidationFailed

NAME_MAX_LENGTH = 120  # users.full_name
EMAIL_MAX_LENGTH = 254  # users.email, and RFC 5321's limit
# Bidi embeddings/overrides/isolates: legitimate text never needs them in a name, and they can
# make a name display as something else.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# The shape only (the forms add email-validator's full check): one @, a dot in the domain.
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
NON_ASCII_EMAIL = ("Internationalised email addresses are not supported yet: please use an "
                   "address with only ASCII letters, digits and punctuation.")


def has_control_characters(text: str) -> bool:
    """True if ``text`` has a control character (category Cc: CR, LF, NUL, tab, DEL, ...)."""
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def name_problem(value: str | None) -> str | None:
    """Why ``value`` is not an acceptable person's name, or None if it is."""
    text = (value or "").strip()
    if not text:
        return "Please give a name."
    if has_control_characters(text) or _BIDI_CONTROLS.search(text):
        return "A name cannot contain line breaks or other control characters."
    if len(" ".join(text.split())) > NAME_MAX_LENGTH:
        return f"At most {NAME_MAX_LENGTH} characters."
    return None


def email_problem(value: str | None) -> str | None:
    """Why ``value`` is not an acceptable email address, or None if it is."""
    text = (value or "").strip()
    if not text:
        return "Please give an email address."
    if len(text) > EMAIL_MAX_LENGTH:
        return f"At most {EMAIL_MAX_LENGTH} characters."
    if has_control_characters(text):
        return "An email address cannot contain line breaks or other control characters."
    if not text.isascii():
        return NON_ASCII_EMAIL
    if not _ADDRESS.match(text):
        return "That does not look like an email address (like name@example.com)."
    return None


def clean_name(value: str | None, field: str = "full_name") -> str:
    """The name to store: trimmed, spaces collapsed. Raises ValidationFailed (422) naming
    ``field`` when it is empty, too long or has control characters."""
    problem = name_problem(value)
    if problem:
        raise ValidationFailed(problem, field_errors={field: [problem]})
    return " ".join(value.split())


def clean_email(value: str | None, field: str = "email") -> str:
    """The address to store: trimmed, lower-cased. Raises ValidationFailed (422) naming
    ``field`` when it is not a plain ASCII email address."""
    problem = email_problem(value)
    if problem:
        raise ValidationFailed(problem, field_errors={field: [problem]})
    return value.strip().lower()
