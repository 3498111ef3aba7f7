"""Layers that import-linter cannot see: domain code never touches the request.

The import-linter contract (``.importlinter``, run by ``make test``) checks which modules import
which; it cannot see *names*. This scan does: no module in a domain package imports flask's
``request``, ``session``, ``g`` or ``render_template``, nor anything from ``cinema.blueprints``.
Domain services take plain arguments (docs/ARCHITECTURE.md, "Layers").
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

CINEMA = Path(__file__).resolve().parent.parent / "cinema"
DOMAIN_PACKAGES = ("accounts", "booking", "catalogue", "messaging", "pricing", "programme",
                   "reports", "reviews", "waitlist", "wishlist")
REQUEST_NAMES = {"request", "session", "g", "render_template", "render_template_string"}
# The one allowed use, with its reason: email bodies are the messaging package's own templates
# (templates/email/), rendered inside the app context on a worker as often as in a request.
ALLOWED = {"messaging/notifications.py": {"from flask import render_template"}}


def _domain_modules():
    for package in DOMAIN_PACKAGES:
        yield from sorted((CINEMA / package).rglob("*.py"))


def _offences(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "flask":
                found += [f"from flask import {a.name}" for a in node.names if a.name in REQUEST_NAMES]
            if node.module == "cinema.blueprints" or node.module.startswith("cinema.blueprints."):
                found += [f"from {node.module} import {a.name}" for a in node.names]
            if node.module == "cinema" and any(a.name == "blueprints" for a in node.names):
                found.append("from cinema import blueprints")
        elif isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.startswith("cinema.blueprints")]
        elif (isinstance(node, ast.Attribute) and node.attr in REQUEST_NAMES
              and isinstance(node.value, ast.Name) and node.value.id == "flask"):
            found.append(f"flask.{node.attr}")
    return found


# Reads of the time zone that cinema/clock.py takes over (issue 11, point 3).
CONFIG_READS_LEFT = {"reports/report_dates.py", "reports/report_rollup.py"}


@pytest.mark.parametrize("path", list(_domain_modules()), ids=lambda p: str(p.relative_to(CINEMA)))
def test_domain_module_reads_settings_not_the_app_config(path):
    """Domain code asks cinema/settings.py (or takes arguments), never current_app.config."""
    if path.relative_to(CINEMA).as_posix() in CONFIG_READS_LEFT:
        return
    assert "current_app.config" not in path.read_text(encoding="utf-8")


def test_the_scan_sees_domain_modules():
    assert len(list(_domain_modules())) > 30


@pytest.mark.parametrize("path", list(_domain_modules()), ids=lambda p: str(p.relative_to(CINEMA)))
def test_domain_module_does_not_touch_the_request(path):
    allowed = ALLOWED.get(path.relative_to(CINEMA).as_posix(), set())
    assert [found for found in _offences(path) if found not in allowed] == []


def test_the_scan_catches_an_offence(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from flask import current_app, request\nimport flask\nflask.g.user = 1\n"
                   "from cinema.blueprints.admin import flow\n", encoding="utf-8")
    assert sorted(_offences(bad)) == ["flask.g", "from cinema.blueprints.admin import flow",
                                      "from flask import request"]
