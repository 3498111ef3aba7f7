"""Admin: the email outbox (pending, sent, failed with the error) and retrying a failure."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from cinema.blueprints.admin import bp
from cinema.forms.params import page_param
from cinema.messaging import mail_delivery
from cinema.models import OutboxStatus, utcnow
from cinema.rendering import render


@bp.get("/outbox")
def outbox():
    """Every email, newest first; ``?status=PENDING|SENT|FAILED`` filters."""
    status = OutboxStatus.__members__.get(request.args.get("status", ""))
    rows = mail_delivery.list_outbox(status, page_param(request.args))
    return render("pages/admin/outbox.html", rows=rows, status=status,
                  counts=mail_delivery.status_counts(), statuses=list(OutboxStatus))


@bp.post("/outbox/<id:outbox_id>/retry")
def outbox_retry(outbox_id: int):
    """Put a failed email back in the queue."""
    row = mail_delivery.retry(outbox_id, current_user.id, utcnow())
    flash(f"The email to {row.to_address} is queued again.", "success")
    return redirect(url_for("admin.outbox", status=OutboxStatus.FAILED.value), 303)
