"""Fixtures on real services: a fresh PostgreSQL database per run, the local Redis (keys under a
run-unique prefix), and Debian's Chromium for browser tests. A service that cannot be reached
makes the run fail, never skip."""
from __future__ import annotations

import os
import threading
import uuid

import psycopg
import pytest
import redis as redis_lib
import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from cinema import create_app
from cinema.extensions import db

PG_SERVER_URL = os.environ.get("TEST_PG_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN_ID = uuid.uuid4().hex[:10]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


# --- the run's summary sections ----------------------------------------------------------------
# Tests put lines for the end of the run into their reports' user_properties under a section
# name ("fault suite"): reports reach this process also from pytest-xdist's workers.
SECTIONS: dict[str, list[str]] = {}


def pytest_runtest_logreport(report):
    if report.when == "teardown":
        for section, line in report.user_properties:
            SECTIONS.setdefault(section, []).append(line)


def pytest_terminal_summary(terminalreporter):
    for section, lines in SECTIONS.items():
        terminalreporter.section(section)
        for line in lines:
            terminalreporter.write_line(line)


def _admin_connection():
    return psycopg.connect(f"{PG_SERVER_URL}/postgres", autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def database_url():
    """A database of our own for this run, dropped at the end."""
    name = f"cinema_test_{RUN_ID}"
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{PG_SERVER_URL.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url():
    client = redis_lib.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    client.ping()  # fails the run loudly if Redis is not there
    yield REDIS_URL
    # The run's own keys, and RQ's keys that carry the run's queue name (rq:queue:..., ...).
    for key in client.scan_iter(f"*cinematest-{RUN_ID}*"):
        client.delete(key)


def app_config(database_url: str, redis_url: str, **overrides) -> dict:
    prefix = f"cinematest-{RUN_ID}"
    config = dict(
        TESTING=True,
        SECRET_KEY="test-secret",
        SQLALCHEMY_DATABASE_URI=database_url,
        REDIS_URL=redis_url,
        REDIS_PREFIX=prefix,
        RQ_QUEUE=f"{prefix}-default",
        RATELIMIT_STORAGE_URI=redis_url,
        RATELIMIT_KEY_PREFIX=prefix,
        # High enough that ordinary tests never meet it; test_rate_limits lowers it.
        RATELIMIT_LOGIN="1000 per minute",
        RATELIMIT_SIGNUP="1000 per minute",
        WTF_CSRF_ENABLED=False,
        ADMIN_SIGNUP_SECRET="open-sesame",
        SESSION_COOKIE_SECURE=False,
        REMEMBER_COOKIE_SECURE=False,
        SERVER_NAME=None,
        # Off for tests that hold arbitrary seats; tests/test_seat_gap_rule.py turns it on.
        SEAT_GAP_RULE=False,
    )
    config.update(overrides)
    return config


class IsolatedClient(FlaskClient):
    """A test client whose every request runs with its own app context, as in production.

    Flask reuses an app context a test has pushed (``app_ctx``), and with it ``g`` (where
    Flask-Login caches the signed-in user) and the database session. Running the request in a
    fresh thread gives it a fresh context, so two clients in one test never share a user.
    """

    def open(self, *args, **kwargs):
        outcome = {}

        def run():
            try:
                outcome["response"] = super(IsolatedClient, self).open(*args, **kwargs)
            except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
                outcome["error"] = error

        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["response"]


@pytest.fixture(scope="session")
def app(database_url, redis_url, tmp_path_factory):
    """One app for the run, migrated once with the real Alembic migrations."""
    from flask_migrate import upgrade

    application = create_app(app_config(
        database_url, redis_url, INSTANCE_PATH=str(tmp_path_factory.mktemp("instance"))))
    application.test_client_class = IsolatedClient
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def clean_database(request):
    """Every test starts with empty tables (only for tests that use the app)."""
    if "app" not in request.fixturenames:
        yield
        return
    application = request.getfixturevalue("app")
    yield
    with application.app_context():
        db.session.remove()
        tables = ", ".join(table.name for table in db.metadata.sorted_tables)
        db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        # The migration's default price book (matinee/weekend rules, ticket types) again.
        from cinema.pricing import defaults as price_defaults
        from cinema.settings import settings

        price_defaults.seed(settings())
        db.session.commit()
    # Ids start again at 1: a release window remembered for showtime 1 is another showtime's.
    from cinema.booking.expiry import ScheduledReleases

    ScheduledReleases.forget()


@pytest.fixture
def money_checked(app):
    """After the test, the money invariant holds (tests/money_invariant.py). Runs before the
    tables are emptied. Money tests use it through ``pytestmark``."""
    from tests.money_invariant import assert_money_invariant

    yield
    with app.app_context():
        db.session.remove()
        assert_money_invariant(db.engine)


@pytest.fixture
def flat_prices(app):
    """No pricing rule (matinee, weekend...): a difference between two showtimes is their base
    prices', whatever the day and hour the suite runs (a Friday booking moved to Saturday would
    meet the weekend rule)."""
    from cinema.models import PricingRule

    with app.app_context():
        db.session.execute(sa.delete(PricingRule))
        db.session.commit()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


# --- email and outage tests (servers of their own, see tests/mail_factories.py) ------------

@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on a free port, that a test may stop and start."""
    from tests.mail_factories import SmtpSink

    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_app(app, database_url, tmp_path, smtp):
    """An app that mails through the test SMTP server (no Redis)."""
    from tests.mail_factories import dispose, mail_app

    application = mail_app(database_url, str(tmp_path), smtp_port=smtp.port)
    yield application
    dispose(application)


@pytest.fixture
def private_redis():
    """A redis-server of the test's own, never the shared one, that it may stop and start."""
    from tests.mail_factories import PrivateRedis

    server = PrivateRedis().start()
    yield server
    server.stop()


# --- browser tests ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def live_server(app):
    """The app served from a thread on a free port, for Chromium."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server


@pytest.fixture(params=[True, False], ids=["js-on", "js-off"])
def browser_page(request, browser, base_url):
    """A page in a fresh browser context, once with JavaScript on and once with it off."""
    context = browser.new_context(base_url=base_url, java_script_enabled=request.param)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Playwright cannot download its own browsers here: launch Debian's Chromium.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"],
    }
