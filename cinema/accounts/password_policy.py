"""What a new password must be: 8 to 200 characters, not blank, not one character repeated,
and not one of the commonly used passwords an attacker tries first.

The common passwords are a bundled list (``cinema/data/common-passwords.txt``, from zxcvbn's
frequency list), compared case-insensitively. The same rules apply at signup (patron, admin, and
accounts an admin creates), password change and password reset: the services call ``check``;
the forms (``cinema.forms.accounts.PasswordRules``) call ``problem`` so the message shows
next to the field.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from cinema.exceptions import ValidationFailed

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200
LENGTH_MESSAGE = f"Use between {MIN_PASSWORD_LENGTH} and {MAX_PASSWORD_LENGTH} characters."
COMMON_MESSAGE = ("That is one of the most commonly used passwords, among the first an attacker "
                  "would try. Choose something less predictable, such as a few unrelated words.")
HINT = (f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters, "
        "and not a commonly used password.")
BLANK_MESSAGE = "A password cannot be only spaces."
REPEATED_MESSAGE = "A password cannot be one character repeated."

_LIST = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with _LIST.open(encoding="utf-8") as handle:
        return frozenset(line.rstrip("\n") for line in handle if line.strip()
                         and not line.startswith("#"))


def problem(password: str | None) -> str | None:
    """Why ``password`` is refused, or None if it is acceptable."""
    password = password or ""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return LENGTH_MESSAGE
    if not password.strip():
        return BLANK_MESSAGE
    if len(set(password)) == 1:
        return REPEATED_MESSAGE
    if password.strip().lower() in common_passwords():
        return COMMON_MESSAGE
    return None


def check(password: str | None, field: str = "password") -> None:
    """Raise ValidationFailed (422, the message on ``field``) unless ``password`` is acceptable."""
    message = problem(password)
    if message:
        raise ValidationFailed(f"Please choose another password: {message}",
                               field_errors={field: [message]})

