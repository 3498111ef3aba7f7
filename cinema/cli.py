"""Command line: ``flask create-admin``, ``flask seed-demo``, ``flask serve``,
``flask forget-report-rollups``, ``flask reconcile-payments``."""
from __future__ import annotations

import getpass

import click
from flask import Flask

from cinema import demo
from cinema.accounts import accounts
from cinema.models import UserRole


def init_app(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--name", "full_name", prompt="Full name")
    @click.option("--password", default=None, help="Prompted for when not given.")
    def create_admin(email: str, full_name: str, password: str | None):
        """Create an ADMIN account."""
        if password is None:
            password = getpass.getpass("Password: ")
        user = accounts.register(email, full_name, password, role=UserRole.ADMIN)
        click.echo(f"Created administrator {user.email}.")

    @app.cli.command("seed-demo")
    def seed_demo():
        """Load a believable demo cinema (safe to run again: nothing is duplicated)."""
        summary = demo.seed()
        click.echo(summary.report())

    @app.cli.command("forget-report-rollups")
    @click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), default=None)
    @click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), default=None)
    def forget_report_rollups(first, last):
        """Drop the reports' sums of past days (after correcting past data by hand); they are
        summed again from the bookings when next needed."""
        from cinema.reports import report_rollup

        report_rollup.forget(first.date() if first else None, last.date() if last else None)
        click.echo("Report rollups dropped; they are summed again when next needed.")

    @app.cli.command("reconcile-payments")
    def reconcile_payments():
        """Settle unfinished payments and refund charges that pay for no booking (what the
        worker does every minute); prints what it did."""
        from cinema.booking import reconciliation
        from cinema.models import utcnow

        for name, count in reconciliation.reconcile_payments(utcnow()).items():
            click.echo(f"{name}: {count}")

    @app.cli.command("serve")
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", default=5000, type=int)
    def serve(host: str, port: int):
        """Development server; without Redis it also runs the background jobs in-process."""
        from cinema import jobs, tasks

        if not app.config["REDIS_URL"]:
            jobs.start_inprocess_scheduler(app, tasks.periodic_tick)
            click.echo("Mode: embedded (SQLite/no Redis): background jobs run in this process.")
        else:
            click.echo("Mode: PostgreSQL + Redis: background jobs run in worker.py.")
        click.echo(f"Serving on http://{host}:{port}/")
        from werkzeug.serving import run_simple

        run_simple(host, port, app, use_reloader=False, threaded=True)
