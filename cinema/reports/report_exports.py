"""Large CSV exports (a whole year) built on the worker, with progress, then downloaded.

``start_export`` writes a small JSON description ``instance/exports/<id>.json`` and enqueues
``build_export_job`` on the worker; the job computes the report month by month (each step one SQL
aggregation), records ``progress``/``total`` in its RQ job's ``meta``, and writes
``<id>.csv`` atomically (``.part`` then rename). The file existing means the export is done.
Without Redis the task runs at once, in the request. Web instances and workers must share
``instance/exports`` (one machine, or a shared volume).
"""
from __future__ import annotations

import json
import logging
import os
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from rq import get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job

from cinema import jobs
from cinema.exceptions import NotFound, ValidationFailed
from cinema.extensions import db, get_redis
from cinema.ids import parse_id
from cinema.models import Auditorium, Movie
from cinema.reports import report_csv, reports, user_stats
from cinema.reports.report_dates import DateRange
from cinema.settings import settings

log = logging.getLogger(__name__)

KINDS = {"revenue": "Revenue", "occupancy": "Occupancy", "user-stats": "User statistics"}
# Ranges longer than this are offered as a background export on the report pages.
BACKGROUND_AFTER_DAYS = 92
_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class ExportStatus:
    id: str
    kind: str
    title: str
    range: DateRange
    state: str  # queued, running, done, failed
    done: int = 0
    total: int = 0
    filename: str = ""

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


def exports_dir() -> Path:
    path = Path(settings().instance_path) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _paths(export_id: str) -> tuple[Path, Path]:
    if not _ID.match(export_id or ""):
        raise NotFound("No such export.")
    folder = exports_dir()
    return folder / f"{export_id}.json", folder / f"{export_id}.csv"


def job_id(export_id: str) -> str:
    return f"{settings().redis_prefix}-export-{export_id}"


def start_export(kind: str, rng: DateRange, filters: reports.Filters, period: str | None,
                 requested_by: int, now: datetime) -> str:
    """Describe the export, enqueue it (or build it now without Redis); returns its id.

    Everything the worker will need is checked here, so a bad request is a 422 now rather than
    a failed job later: ValidationFailed for an unknown kind, a filter naming no film or
    auditorium, or ids out of range."""
    if kind not in KINDS:
        raise ValidationFailed("Unknown report.", field_errors={"kind": ["Unknown report."]})
    _check_filters(filters)
    export_id = uuid.uuid4().hex
    description = {"kind": kind, "first": rng.first.isoformat(), "last": rng.last.isoformat(),
                   "filters": filters.as_dict(), "period": period,
                   "requested_by": requested_by, "requested_at": now.isoformat(),
                   "filename": f"{kind}-{rng.slug}.csv"}
    meta_path, _ = _paths(export_id)
    meta_path.write_text(json.dumps(description), encoding="utf-8")
    queue = jobs.queue()
    if queue is None:
        build_export_job(export_id)
    else:
        queue.enqueue(build_export_job, export_id, job_id=job_id(export_id),
                      job_timeout=3600, result_ttl=86400, failure_ttl=86400)
    return export_id


def _check_filters(filters: reports.Filters) -> None:
    for name, model, label in (("movie_id", Movie, "film"),
                               ("auditorium_id", Auditorium, "auditorium")):
        value = getattr(filters, name)
        if value is None:
            continue
        if parse_id(value) is None or db.session.get(model, value) is None:
            raise ValidationFailed(f"There is no such {label}.",
                                   field_errors={name: [f"No such {label}."]})


def _description(export_id: str) -> dict:
    meta_path, _ = _paths(export_id)
    if not meta_path.exists():
        raise NotFound("No such export.")
    return json.loads(meta_path.read_text(encoding="utf-8"))


def _range_of(description: dict) -> DateRange:
    return DateRange(date.fromisoformat(description["first"]),
                     date.fromisoformat(description["last"]))


def build_export_job(export_id: str) -> str:
    """The background job: ``build_export`` with progress in the RQ job's meta."""
    job = get_current_job()

    def progress(done: int, total: int) -> None:
        if job is not None:
            job.meta.update(progress=done, total=total)
            job.save_meta()

    return build_export(export_id, progress)


def build_export(export_id: str, progress=None) -> str:
    """Compute the report in steps and write its CSV; returns the file's path.

    ``progress(done, total)`` is called after each step. Raises on failure (RQ records it).
    """
    description = _description(export_id)
    kind, rng = description["kind"], _range_of(description)
    filters = reports.Filters(**description["filters"])
    progress = progress or (lambda done, total: None)
    if kind == "revenue":
        months = rng.months()
        steps = len(months) + 3
        days = []
        for n, month in enumerate(months, 1):
            days += reports.revenue_by_day(month, filters)
            progress(n, steps)
        films = reports.revenue_by_film(rng, filters)
        progress(steps - 2, steps)
        auditoriums = reports.revenue_by_auditorium(rng, filters)
        progress(steps - 1, steps)
        report = reports.RevenueReport(rng, filters, days, films, auditoriums,
                                       reports.revenue_total(rng, filters))
    elif kind == "occupancy":
        months = rng.months()
        steps = len(months) + 1
        showtimes = []
        for n, month in enumerate(months, 1):
            showtimes += reports.occupancy_showtimes(*month.utc_bounds(), filters)
            progress(n, steps)
        report = reports.occupancy_report(rng, filters, showtime_limit=0)
        report.showtimes = showtimes
    else:
        steps = 1
        report = user_stats.user_stats(rng, description["period"] or "month",
                                        datetime.fromisoformat(description["requested_at"]))
    _, csv_path = _paths(export_id)
    part = csv_path.with_suffix(".part")
    part.write_text(report_csv.WRITERS[kind](report), encoding="utf-8")
    os.replace(part, csv_path)
    progress(steps, steps)
    return str(csv_path)


def export_status(export_id: str) -> ExportStatus:
    """Where an export is: queued, running (with progress), done or failed."""
    description = _description(export_id)
    _, csv_path = _paths(export_id)
    status = ExportStatus(id=export_id, kind=description["kind"],
                          title=KINDS[description["kind"]], range=_range_of(description),
                          state="queued", filename=description["filename"])
    if csv_path.exists():
        status.state = "done"
        return status
    redis = get_redis()
    if redis is None:
        status.state = "failed"  # built in the request: no file means it failed
        return status
    try:
        job = Job.fetch(job_id(export_id), connection=redis)
    except NoSuchJobError:
        status.state = "failed"
        return status
    state = job.get_status(refresh=True)
    status.done, status.total = job.meta.get("progress", 0), job.meta.get("total", 0)
    status.state = {"failed": "failed", "stopped": "failed", "canceled": "failed",
                    "started": "running", "finished": "done"}.get(getattr(state, "value", state),
                                                                  "queued")
    if status.state == "done" and not csv_path.exists():
        status.state = "failed"
    return status


def export_file(export_id: str) -> tuple[Path, str]:
    """(path, download name) of a finished export. Raises NotFound."""
    description = _description(export_id)
    _, csv_path = _paths(export_id)
    if not csv_path.exists():
        raise NotFound("That export is not ready.")
    return csv_path, description["filename"]
