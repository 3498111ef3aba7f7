"""Fixtures of the fault suite: one private stack for all scenarios, emptied and seeded again
before each (a film, a 10 x 20 auditorium, a few showtimes and patrons)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from cinema.extensions import db
from cinema.models import UserRole
from tests.factories import PASSWORD, gen_auditorium, gen_movie, gen_showtime, gen_user, seats_of
from tests.faults.checks import SUMMARY, reset, stack_app
from tests.faults.patrons import Clerk, FaultPatron, Journal, Seats
from tests.faults.services import Stack

SHOWTIMES = 4
PATRONS = 8
CLERKS = 4


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The private services, the database migrated with the app's Alembic migrations, gunicorn
    and the worker running; all stopped at the end, whatever happened."""
    stack = Stack(tmp_path_factory.mktemp("faults"))
    try:
        stack.start()
        yield stack
    finally:
        stack.close()


@pytest.fixture(scope="session")
def fault_app(stack):
    """An app in the test process on the stack (it migrates the database first)."""
    from flask_migrate import upgrade

    app = stack_app(stack)
    with app.app_context():
        upgrade()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@dataclass
class World:
    """One scenario's view of the stack: its seats, its patrons' emails and its journal."""

    stack: Stack
    app: object
    seats: Seats
    emails: list[str]
    exchange_seats: Seats  # a dearer showtime of the same film, to move bookings to
    clerk_emails: list[str]  # STAFF accounts, selling and moving bookings at the counter
    journal: Journal = field(default_factory=Journal)

    def patrons(self, count: int) -> list[FaultPatron]:
        """``count`` patrons, each signed in with a session of its own."""
        patrons = [FaultPatron(self.stack.gunicorn.base_url, address, PASSWORD, self.journal)
                   for address in self.emails[:count]]
        for patron in patrons:
            patron.sign_in_patiently()
        return patrons

    def clerks(self, count: int) -> list[Clerk]:
        """``count`` box-office clerks, signed in, selling to the patrons' emails."""
        clerks = [Clerk(self.stack.gunicorn.base_url, address, PASSWORD, self.journal,
                        self.emails) for address in self.clerk_emails[:count]]
        for clerk in clerks:
            clerk.sign_in_patiently()
        return clerks


def seed() -> tuple[Seats, list[str], Seats, list[str]]:
    auditorium = gen_auditorium(rows=10, seats_per_row=20)
    movie = gen_movie()
    first = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0)
    showtimes = [gen_showtime(movie=movie, auditorium=auditorium,
                              starts_at=first + timedelta(hours=4 * n)) for n in range(SHOWTIMES)]
    seats = seats_of(auditorium)
    pairs = [[a.id, b.id] for a, b in zip(seats[0::2], seats[1::2], strict=True)]
    slots = [(showtime.id, pair) for showtime in showtimes for pair in pairs]
    emails = [gen_user().email for _ in range(PATRONS)]
    dearer = gen_showtime(movie=movie, auditorium=auditorium,
                          starts_at=first + timedelta(hours=4 * SHOWTIMES), base_price_cents=1350)
    exchange_slots = [(dearer.id, pair) for pair in pairs]
    clerks = [gen_user(role=UserRole.STAFF).email for _ in range(CLERKS)]
    db.session.remove()
    return Seats(slots), emails, Seats(exchange_slots), clerks


@pytest.fixture
def world(stack, fault_app):
    stack.ensure_running()
    reset(stack, fault_app)
    with fault_app.app_context():
        seats, emails, exchange_seats, clerks = seed()
    return World(stack, fault_app, seats, emails, exchange_seats, clerks)


@pytest.fixture(autouse=True)
def summary_lines(request):
    """The scenario's summary line goes into its report (``user_properties``), which reaches
    the main pytest process also when pytest-xdist ran the test in a worker; the root
    conftest prints every such line in a "fault suite" section at the end of the run."""
    before = len(SUMMARY)
    yield
    request.node.user_properties.extend(("fault suite", line) for line in SUMMARY[before:])
