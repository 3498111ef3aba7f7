"""Background CSV exports on a real RQ SimpleWorker and the local Redis."""
from __future__ import annotations

import re

import pytest
from rq import Queue, SimpleWorker

from cinema.extensions import get_redis
from tests.factories import login
from tests.reports_factories import build_week


@pytest.fixture
def staff_client(app, app_ctx):
    week = build_week()
    client = app.test_client()
    assert login(client, week["staff"].email).status_code == 303
    return client


def run_worker(app):
    queue = Queue(app.config["RQ_QUEUE"], connection=get_redis())
    SimpleWorker([queue], connection=get_redis()).work(burst=True)


@pytest.mark.parametrize("kind, extra", [("revenue", {}), ("occupancy", {}),
                                         ("user-stats", {"period": "week"})])
def test_a_year_exports_on_the_worker_with_progress_then_a_download(app, staff_client, kind,
                                                                    extra):
    form = {"kind": kind, "date_from": "2030-01-01", "date_to": "2030-12-31", **extra}
    response = staff_client.post("/admin/reports/exports", data=form)
    assert response.status_code == 303
    status_url = response.headers["Location"]
    export_id = re.search(r"/exports/([0-9a-f]{32})$", status_url).group(1)

    waiting = staff_client.get(status_url, headers={"HX-Request": "true"})
    html = waiting.get_data(as_text=True)
    assert "<html" not in html  # the polling fragment
    assert 'hx-trigger="load delay:1s"' in html and "<progress" in html
    assert "Download" not in html

    run_worker(app)
    from rq.job import Job

    from cinema.reports.report_exports import job_id

    job = Job.fetch(job_id(export_id), connection=get_redis())
    assert job.meta["progress"] == job.meta["total"] > 1 or kind == "user-stats"
    done = staff_client.get(status_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in done and "Download" in done
    page = staff_client.get(status_url).get_data(as_text=True)
    assert "<html" in page and "Download" in page

    download = staff_client.get(f"{status_url}/download")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert f'{kind}-2030-01-01-to-2030-12-31.csv' in download.headers["Content-Disposition"]
    query = "&".join(f"{k}={v}" for k, v in form.items() if k != "kind")
    inline = staff_client.get(f"/admin/reports/{kind}?{query}&format=csv")
    assert download.get_data() == inline.get_data()  # the same figures either way


def test_unknown_exports_are_not_found(staff_client):
    assert staff_client.get("/admin/reports/exports/../../etc/passwd").status_code == 404
    assert staff_client.get("/admin/reports/exports/" + "a" * 32).status_code == 404
    assert staff_client.post("/admin/reports/exports", data={"kind": "nope"}).status_code == 422


@pytest.mark.parametrize("bad", [
    {"kind": "revenue", "movie_id": "999999"}, {"kind": "revenue", "movie_id": str(2**31)},
    {"kind": "occupancy", "auditorium_id": "-1"}, {"kind": "revenue", "movie_id": "abc"},
    {"kind": "revenue", "date_from": "2030-13-45"}, {"kind": "user-stats", "period": "century"},
    {"kind": "x" * 10_000}])
def test_a_bad_export_is_refused_before_it_is_queued(app, staff_client, bad):
    queue = Queue(app.config["RQ_QUEUE"], connection=get_redis())
    before = queue.count
    response = staff_client.post("/admin/reports/exports", data=bad,
                                 headers={"Accept": "application/json"})
    assert response.status_code == 422, bad
    assert response.get_json()["error_code"] == "VALIDATION_ERROR"
    assert queue.count == before  # nothing for the worker to fail on


def test_long_ranges_offer_the_background_export(staff_client):
    html = staff_client.get("/admin/reports/revenue?date_from=2030-01-01&date_to=2030-12-31") \
        .get_data(as_text=True)
    assert "Prepare CSV in the background" in html
    html = staff_client.get("/admin/reports/revenue?date_from=2030-06-10&date_to=2030-06-16") \
        .get_data(as_text=True)
    assert "Prepare CSV in the background" not in html
