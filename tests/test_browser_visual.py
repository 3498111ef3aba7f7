"""The visual check: every staff and admin page, at 1280 and 390 px, in real Chromium.

Walks the URL map's GET routes under /admin and /staff (ids filled from the demo data), and
on each page: no horizontal overflow (document scrollWidth <= clientWidth), no select too
narrow to show its choice, no serious or critical axe-core violation
(tests/vendor/axe.min.js, fetched and checked by `make install`), and a screenshot under
test-artifacts/screens/ (tests/screens.py) for a person to look at.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from cinema import demo
from cinema.extensions import db
from cinema.models import (
    Auditorium,
    Movie,
    PricingRule,
    Reservation,
    ReservationStatus,
    Showtime,
    TicketType,
    utcnow,
)
from tests.promo_factories import gen_promo
from tests.screens import (
    WIDTHS,
    clipped_selects,
    horizontal_overflow,
    screenshot,
    widest_elements,
)

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_SOURCE = AXE.read_text() if AXE.exists() else ""
PREFIXES = ("/admin", "/staff")
# Pages that are not pages: a background export's status and download (ids from a job).
SKIP = {"reports.export_status", "reports.export_download"}
ADMIN = ("admin@lumen.example", "admin-demo-pass")


def seeded_ids() -> dict[str, int]:
    demo.seed(utcnow())
    sold = db.session.scalar(sa.select(Reservation.id).where(
        Reservation.status == ReservationStatus.CONFIRMED).order_by(Reservation.id))
    return {
        "auditorium_id": db.session.scalar(sa.select(sa.func.min(Auditorium.id))),
        "movie_id": db.session.scalar(sa.select(sa.func.min(Movie.id))),
        "showtime_id": db.session.scalar(sa.select(sa.func.min(Showtime.id)).where(
            Showtime.starts_at > utcnow())),
        "reservation_id": sold,
        "promo_id": gen_promo("VISUAL10", percent_off=10).id,
        "rule_id": db.session.scalar(sa.select(sa.func.min(PricingRule.id))),
        "type_id": db.session.scalar(sa.select(sa.func.min(TicketType.id))),
    }


def page_urls(app, ids: dict[str, int]) -> list[str]:
    """Every GET page under PREFIXES, its ids filled in."""
    urls = []
    with app.test_request_context():
        from flask import url_for

        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in rule.methods or not rule.rule.startswith(PREFIXES) \
                    or rule.endpoint in SKIP:
                continue
            urls.append(url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments}))
    return urls


def axe_violations(page) -> list[str]:
    """Serious and critical violations on the page as it is now (axe already injected)."""
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3)
                 .map(n => n.target.join(' ')).join(' | '));
    }""")
    return found


def test_every_staff_and_admin_page_fits_and_passes_axe(app, browser, base_url):
    """One signed-in page walks every URL once, at each width in turn (a resize, not a new
    load per width): about a minute for ~35 pages at both widths. ``VISUAL_PAGES=a,b`` (an
    environment variable) checks only the URLs containing ``a`` or ``b``, for a quick look."""
    assert AXE.exists(), "run `make install` (fetches tests/vendor/axe.min.js)"
    with app.app_context():
        urls = page_urls(app, seeded_ids())
    assert len(urls) >= 20, urls
    only = [part for part in os.environ.get("VISUAL_PAGES", "").split(",") if part]
    if only:
        urls = [url for url in urls if any(part in url for part in only)]
    context = browser.new_context(base_url=base_url, bypass_csp=True,
                                  viewport={"width": WIDTHS[0], "height": 900})
    page = context.new_page()
    page.goto("/auth/login")
    page.get_by_label("Email").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)

    problems = []
    for url in urls:
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        response = page.goto(url)
        if response.status >= 400:
            problems.append(f"{url}: HTTP {response.status}")
            continue
        page.add_script_tag(content=AXE_SOURCE)
        for width in WIDTHS:
            if width != WIDTHS[0]:
                page.set_viewport_size({"width": width, "height": 900})
            screenshot(page, f"{width}-{url}")
            overflow = horizontal_overflow(page)
            if overflow > 0:
                problems.append(f"{url} at {width} px: {overflow}px of horizontal scroll from "
                                f"{', '.join(widest_elements(page))}")
            problems += [f"{url} at {width} px: axe {violation}"
                         for violation in axe_violations(page)]
            problems += [f"{url} at {width} px: {clipped}" for clipped in clipped_selects(page)]
    context.close()
    assert not problems, "\n".join(problems)
