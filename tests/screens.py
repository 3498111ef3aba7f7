"""Screenshots, layout checks and waits for the browser tests.

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


def htmx_ready(page) -> None:
    """Wait until the page's deferred scripts have run and htmx has wired up its elements.

    A click that navigates returns once the new page is shown, which can be before htmx (a
    deferred script) has run: an event fired that early (a ``change`` on a select) would reach
    no htmx listener, and the page would wait for its button, as it does with JavaScript off.
    """
    page.wait_for_load_state("load")
    page.wait_for_function("() => document.readyState === 'complete'"
                           " && (!document.querySelector('script[src*=htmx]') || 'htmx' in window)")


def horizontal_overflow(page) -> int:
    """How many CSS pixels the document is wider than the window (0: no sideways scroll)."""
    return page.evaluate("() => document.documentElement.scrollWidth"
                         " - document.documentElement.clientWidth")


CLIPPED_SELECTS = """() => {
    const ctx = document.createElement('canvas').getContext('2d');
    return [...document.querySelectorAll('select')].filter(s => s.offsetParent !== null).map(s => {
        const style = getComputedStyle(s);
        ctx.font = style.font;
        const shown = s.selectedOptions.length ? s.selectedOptions[0].text : '';
        const longest = ctx.measureText(shown).width;
        const room = s.clientWidth - parseFloat(style.paddingLeft)
                     - parseFloat(style.paddingRight) - 20;  // the drop-down arrow
        return longest > room + 1
            ? `select ${s.id || s.name}: ${Math.round(longest)}px of text in ${Math.round(room)}px`
            : null;
    }).filter(Boolean);
}"""


def clipped_selects(page) -> list[str]:
    """Selects too narrow to show their chosen option ("Adm", "Any langua…"), one line each. (A
    film title longer than a phone's screen may be cut when it is the one chosen, not before.)"""
    return page.evaluate(CLIPPED_SELECTS)


WIDEST = """() => {
    const limit = document.documentElement.clientWidth;
    const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
        + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
    const out = [];
    for (const e of document.body.querySelectorAll('*')) {
        const r = e.getBoundingClientRect();
        const parent = e.parentElement && e.parentElement.getBoundingClientRect();
        if (r.width && r.right > limit + 1 && !(parent && parent.right > limit + 1)) {
            out.push(name(e.parentElement) + ' > ' + name(e) + ' (right ' + Math.round(r.right) + ')');
        }
    }
    return out.slice(0, 3);
}"""


def widest_elements(page) -> list[str]:
    """The outermost elements reaching past the window's right edge (why a page scrolls)."""
    return page.evaluate(WIDEST)
