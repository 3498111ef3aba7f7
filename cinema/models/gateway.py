"""The simulated card gateway's own ledger: the provider's record of money moved.

Not the application's data: the gateway writes it through a connection of its own, in
autocommit, so it stays true whatever happens to the application's transaction (a crash after
the charge, a rollback). It is what a real provider's dashboard and status API would show, and
what tests compare the ``payments`` rows against.
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from cinema.extensions import db
from cinema.models.base import AuditMixin


class SimulatedGatewayEntry(AuditMixin, db.Model):
    """One charge or refund the simulated gateway answered, by idempotency key."""

    __tablename__ = "simulated_gateway_ledger"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    idempotency_key: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))  # CHARGE or REFUND
    amount_cents: so.Mapped[int]
    ok: so.Mapped[bool]
    reference: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    charge_reference: so.Mapped[str | None] = so.mapped_column(sa.String(80))  # refunds
    error_code: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    message: so.Mapped[str | None] = so.mapped_column(sa.String(300))
