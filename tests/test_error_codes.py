"""docs/ERROR_CODES.md is the table of every error code the app answers with, and it matches the
code: one row per domain exception of cinema.exceptions (its code, status, name and docstring),
one row per code the handler gives errors that are not domain exceptions, and no other row."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import cinema
from cinema import errors, exceptions
from cinema.exceptions import DomainError

TABLE = Path(__file__).resolve().parent.parent / "docs" / "ERROR_CODES.md"
ROW = re.compile(r"^\| `(?P<code>[A-Z_]+)` \| (?P<status>\d{3}|any) \| (?P<exception>[^|]+?) \| "
                 r"(?P<meaning>[^|]+?) \|$")
HTTP_ONLY = "(HTTP only)"


def domain_rows() -> set[tuple[str, str, str, str]]:
    rows = set()
    for name, cls in vars(exceptions).items():
        if inspect.isclass(cls) and issubclass(cls, DomainError):
            meaning = inspect.getdoc(cls).splitlines()[0]
            rows.add((cls.error_code, str(cls.status_code), f"`{name}`", meaning))
    return rows


def table_rows() -> list[tuple[str, str, str, str]]:
    lines = TABLE.read_text().splitlines()
    rows = [ROW.match(line) for line in lines if line.startswith("| `")]
    assert all(rows), "a row of docs/ERROR_CODES.md does not have the form | `CODE` | 409 | ... | ... |"
    return [(m["code"], m["status"], m["exception"], m["meaning"]) for m in rows]


def test_every_domain_exception_is_a_row_with_its_status_and_meaning():
    rows = [row for row in table_rows() if row[2] != HTTP_ONLY]
    assert len(rows) == len(set(rows)), "a row appears twice"
    expected = domain_rows()
    missing = sorted(expected - set(rows))
    stale = sorted(set(rows) - expected)
    assert not missing and not stale, (
        "docs/ERROR_CODES.md differs from cinema/exceptions.py; missing rows:\n"
        + "\n".join(f"| `{c}` | {s} | {e} | {m} |" for c, s, e, m in missing)
        + "\nstale rows:\n" + "\n".join(map(str, stale)))


def test_every_code_of_the_handler_is_a_row():
    domain_codes = {cls.error_code for cls in vars(exceptions).values()
                    if inspect.isclass(cls) and issubclass(cls, DomainError)}
    expected = {(code, str(status)) for status, code in errors.HTTP_ERROR_CODES.items()
                if code not in domain_codes}
    expected |= {(errors.CSRF_FAILED, "400"), (errors.HTTP_ERROR, "any")}
    rows = {(code, status) for code, status, exception, _ in table_rows() if exception == HTTP_ONLY}
    assert rows == expected


def test_each_domain_code_names_one_exception():
    codes = [code for code, _, exception, _ in table_rows() if exception != HTTP_ONLY]
    assert len(codes) == len(set(codes))


def test_no_domain_exception_is_defined_outside_the_exceptions_module():
    for module in pkgutil.walk_packages(cinema.__path__, "cinema."):
        importlib.import_module(module.name)
    stack, outside = [DomainError], []
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("cinema.") and cls.__module__ != "cinema.exceptions":
            outside.append(f"{cls.__module__}.{cls.__name__}")
    assert not outside, f"define these in cinema/exceptions.py: {outside}"
