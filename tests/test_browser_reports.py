"""Reports printed to PDF by headless Chromium: title, range and totals on paper."""
from __future__ import annotations

import re
import subprocess

import pytest

from cinema.extensions import db
from tests.factories import (
    PASSWORD,
    gen_auditorium,
    gen_movie,
    gen_showtime,
    gen_user,
    seats_of,
)
from tests.reports_factories import add_booking, build_week, utc

pytestmark = pytest.mark.browser


def pdf_text(path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def pdf_pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                          text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


@pytest.fixture
def staff_page(browser, base_url, app_ctx):
    week = build_week()
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    page.goto("/auth/login")
    page.get_by_label("Email").fill(week["staff"].email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    yield page
    context.close()


def test_a_week_of_revenue_prints_on_one_page_with_title_and_totals(staff_page, tmp_path):
    staff_page.goto("/admin/reports/revenue?date_from=2030-06-10&date_to=2030-06-16")
    pdf = tmp_path / "revenue.pdf"
    staff_page.pdf(path=str(pdf), format="A4", print_background=True)
    text = pdf_text(pdf)
    for expected in ("Revenue report", "10 Jun 2030 – 16 Jun 2030", "Generated",
                     "£107.00", "−£23.00", "£84.00", "Alpha", "Screen B"):
        assert expected in text, expected
    assert "Sign out" not in text and "Download CSV" not in text  # no screen-only parts
    assert pdf_pages(pdf) == 1


def test_a_busy_week_of_revenue_still_prints_on_one_page(staff_page, tmp_path):
    """A week as a real cinema has it: a dozen films with long titles on three screens (the
    demo's week printed on two pages, most of the first one empty)."""
    patrons = [gen_user(email=f"busy{n}@example.com") for n in range(4)]
    screen = gen_auditorium("Screen 3 · Studio", rows=1, seats_per_row=12)
    seats = seats_of(screen)
    for n in range(12):
        film = gen_movie(f"The Long and Winding Title of Film Number {n + 1}")
        showtime = gen_showtime(film, screen, utc(10 + n % 6, 10 + 3 * (n // 6)),
                                base_price_cents=900)
        db.session.commit()
        add_booking(patrons[n % 4], showtime, [seats[n]], [(900, 0, 0, 0)],
                    confirmed_at=utc(10 + n % 6, 12))
    db.session.commit()
    staff_page.goto("/admin/reports/revenue?date_from=2030-06-10&date_to=2030-06-16")
    pdf = tmp_path / "busy.pdf"
    staff_page.pdf(path=str(pdf), format="A4", print_background=True)
    text = pdf_text(pdf)
    assert "Film Number 12" in text and "Pricing rules applied" in text
    assert pdf_pages(pdf) == 1


def test_every_printed_page_carries_title_range_and_time(staff_page, tmp_path):
    staff_page.goto("/admin/reports/revenue?date_from=2030-04-01&date_to=2030-07-31")
    pdf = tmp_path / "long.pdf"
    staff_page.pdf(path=str(pdf), format="A4")
    pages = pdf_pages(pdf)
    assert pages >= 2
    for number in range(1, pages + 1):
        text = pdf_text(pdf, number)
        assert "Revenue report" in text, number
        assert "01 Apr 2030 – 31 Jul 2030" in text, number
        assert "generated" in text, number
    assert "£97.50" in pdf_text(pdf)  # the range now also holds R8 (17 June)


def test_on_a_phone_the_charts_stay_readable_and_scroll_in_their_frame(staff_page):
    staff_page.set_viewport_size({"width": 390, "height": 800})
    staff_page.goto("/admin/reports/revenue?date_from=2030-06-10&date_to=2030-06-16")
    for chart in ("chart-days", "chart-films"):
        svg = staff_page.locator(f"svg[aria-labelledby='{chart}-title']")
        # Drawn at 720 user units: at 390 px wide it would be scaled to half (5 px text).
        assert svg.bounding_box()["width"] >= 540, chart
    assert staff_page.evaluate("document.documentElement.scrollWidth") <= 390
    day = staff_page.locator("th.day").first
    assert day.inner_text() == "Mon 10 Jun" and day.bounding_box()["height"] < 40  # one line
