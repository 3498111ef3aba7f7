"""No CSV the app writes carries a formula: text cells starting with =, +, -, @, tab or CR are
quoted (OWASP), figures stay numbers (a refund of -15.00 is still -15.00)."""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal, InvalidOperation

import pytest

from cinema.extensions import db
from cinema.money import to_decimal
from cinema.reports.report_csv import FORMULA_STARTS, cell, percent
from tests.factories import login
from tests.reports_factories import FIRST, LAST, build_week
from tests.test_report_exports import run_worker

PAYLOAD = '=HYPERLINK("http://x")'
QUERY = {"date_from": FIRST.isoformat(), "date_to": LAST.isoformat()}
KINDS = [("revenue", {}), ("occupancy", {}), ("user-stats", {"period": "week"})]


def test_cell_quotes_text_that_starts_a_formula_and_leaves_numbers_alone():
    for start in FORMULA_STARTS:
        assert cell(f"{start}SUM(A1)") == f"'{start}SUM(A1)"
    assert cell("Screen 1") == "Screen 1" and cell("a=b") == "a=b" and cell(None) == ""
    assert cell(to_decimal(-200)) == Decimal("-2.00") and str(cell(to_decimal(-200))) == "-2.00"
    assert cell(-3) == -3 and cell(percent(12.34)) == Decimal("12.3")
    assert cell("-2.00") == "'-2.00"  # text is text, whatever it looks like


@pytest.fixture
def hostile_week(app_ctx):
    """The reports week with a formula as a patron's name, a film title and a screen name."""
    week = build_week()
    week["u1"].full_name = PAYLOAD
    week["alpha"].title = PAYLOAD
    week["screen_a"].name = PAYLOAD
    db.session.commit()
    return week


@pytest.fixture
def staff_client(app, hostile_week):
    client = app.test_client()
    assert login(client, hostile_week["staff"].email).status_code == 303
    return client


def assert_no_formula(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows:
        for value in row:
            if value.startswith(FORMULA_STARTS):
                try:
                    Decimal(value)  # a figure, e.g. a negative net
                except InvalidOperation:
                    pytest.fail(f"formula in a CSV cell: {value!r}")
    return rows


@pytest.mark.parametrize("kind, extra", KINDS)
def test_every_report_csv_quotes_the_formula(staff_client, kind, extra):
    response = staff_client.get(f"/admin/reports/{kind}",
                                query_string={**QUERY, **extra, "format": "csv"})
    assert response.status_code == 200
    rows = assert_no_formula(response.get_data(as_text=True))
    cells = [value for row in rows for value in row]
    # revenue: the film's and the screen's rows; occupancy: also the showtime rows' film and
    # screen; user statistics: the patron's name on each of their figures.
    assert cells.count("'" + PAYLOAD) >= {"revenue": 2, "occupancy": 4, "user-stats": 1}[kind]
    if kind == "revenue":
        assert "-15.00" in cells  # 15 June: a refund and no sales, still a number


def test_the_background_export_quotes_it_too(app, staff_client):
    for kind, extra in KINDS:
        response = staff_client.post("/admin/reports/exports", data={"kind": kind, **QUERY, **extra})
        status_url = response.headers["Location"]
        assert re.search(r"/exports/[0-9a-f]{32}$", status_url)
        run_worker(app)
        download = staff_client.get(f"{status_url}/download")
        assert download.status_code == 200
        rows = assert_no_formula(download.get_data(as_text=True))
        assert "'" + PAYLOAD in [value for row in rows for value in row], kind
