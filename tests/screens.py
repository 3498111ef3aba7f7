"""Screenshots and layout checks for the browser tests.

Screenshots go to ``test-artifacts/screens/`` (README, "Tests"; gitignored), kept by CI as
artifacts so a person can look at the pages; ``SCREENS_DIR`` moves them.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

SCREENS = Path(os.environ.get("SCREENS_DIR", Path(__file__).resolve().parent.parent
                              / "test-artifacts" / "screens"))
WIDTHS = (1280, 390)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot of ``page`` as ``<name>.png``; returns its path."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


def horizontal_overflow(page) -> int:
    """How many CSS pixels the document is wider than the window (0: no sideways scroll)."""
    return page.evaluate("() => document.documentElement.scrollWidth"
                         " - document.documentElement.clientWidth")
