"""The cinema seat reservation app: ``create_app(config)`` wires everything, nothing else."""
from __future__ import annotations

import logging
import os

from flask import Flask

from cinema.config import Config
from cinema.settings import CountedConfig


class CinemaFlask(Flask):
    """Flask, with a config that counts its changes (``cinema.settings.settings`` keeps what
    it built from the config until the next change)."""

    config_class = CountedConfig


def create_app(config: Config | dict | None = None) -> Flask:
    """Build an app from ``config`` (a Config, a dict of overrides, or the environment)."""
    if config is None:
        config = Config()
    elif isinstance(config, dict):
        config = Config(**config)
    if not config.SECRET_KEY:
        raise RuntimeError("SECRET_KEY must be set in production (see README, Configuration)")
    _check_site_url(config.SITE_URL)

    app = CinemaFlask(__name__, instance_path=config.INSTANCE_PATH,
                      instance_relative_config=False)
    app.config.from_mapping(config.as_dict())
    os.makedirs(app.instance_path, exist_ok=True)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    from cinema import body_limit, cli, routing, security, settings, templating
    from cinema.blueprints import (
        account,
        admin,
        api,
        auth,
        bookings,
        catalogue,
        public,
        reports,
        reviews,
        showtimes,
        staff,
        waitlist,
        wishlist,
    )
    from cinema.db_connections import keep_prepared_statements
    from cinema.errors import register_error_handlers
    from cinema.extensions import (
        csrf,
        db,
        init_redis,
        limiter,
        login_manager,
        migrate,
        ping_idle_connections,
    )

    routing.init_app(app)
    db.init_app(app)
    with app.app_context():
        keep_prepared_statements(db.engine)
        ping_idle_connections(db.engine)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    init_redis(app)
    body_limit.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    api.init_app(app)
    register_error_handlers(app)
    cli.init_app(app)
    _wire_domain_hooks(app)
    settings.Settings.from_config(app.config, app.instance_path)  # a bad value fails here

    if app.config["PROXY_FIX_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    for blueprint in (public.bp, auth.bp, account.bp, catalogue.bp, showtimes.bp, bookings.bp,
                      admin.bp, reports.bp, staff.bp, reviews.bp, wishlist.bp,
                      waitlist.bp):
        app.register_blueprint(blueprint)
    return app


def _wire_domain_hooks(app: Flask) -> None:
    """The domain packages' reactions to each other, wired here rather than on import."""
    from cinema.booking import freed_seats, refunds
    from cinema.messaging import notifications
    from cinema.programme import cancellation
    from cinema.waitlist import offers

    cancellation.on_reservation_cancelled_by_cinema(app, refunds.refund_cancelled_by_cinema)
    freed_seats.on_seats_freed(app, offers.after_seats_freed)
    notifications.deliver_after_commit()


def _check_site_url(site_url: str | None) -> None:
    """Links in emails are built from SITE_URL alone: production (where Config leaves it None
    unless set) refuses to start without it, and a value that is not an http(s) address is
    refused everywhere rather than producing broken links."""
    from urllib.parse import urlsplit

    if not site_url:
        raise RuntimeError("SITE_URL must be set when CINEMA_ENV=production, e.g. "
                           "https://tickets.example.com (see README, Configuration)")
    parts = urlsplit(site_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise RuntimeError(f"SITE_URL must be an http(s) address such as "
                           f"https://tickets.example.com, not {site_url!r}")


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
