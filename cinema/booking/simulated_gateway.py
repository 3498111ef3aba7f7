"""The simulated card gateway: answers by test card number (``payments`` module docstring) and
keeps a ledger, as a real provider does, so that a key already seen gets its recorded answer,
money moves at most once per key, and a lost answer can be looked up.

The ledger (``simulated_gateway_ledger``) is written through a connection of its own in
autocommit: what the provider did stays done when the application's transaction rolls back or
its process dies, which is exactly the situation reconciliation has to handle.
"""
from __future__ import annotations

import hashlib

import sqlalchemy as sa

from cinema.booking.payments import DECLINES, Card, PaymentProvider, ProviderResult
from cinema.extensions import db
from cinema.models import SimulatedGatewayEntry

LEDGER = SimulatedGatewayEntry.__table__


def _reference(prefix: str, key: str) -> str:
    return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:20]}"


def _result(row) -> ProviderResult:
    return ProviderResult(row.ok, reference=row.reference, error_code=row.error_code,
                          message=row.message)


class SimulatedCardGateway(PaymentProvider):
    name = "simulated"

    def _recorded(self, conn, key: str):
        return conn.execute(sa.select(LEDGER).where(LEDGER.c.idempotency_key == key)).first()

    def _record(self, key: str, kind: str, amount_cents: int, result: ProviderResult,
                charge_reference: str | None = None) -> ProviderResult:
        """Write the answer under ``key`` unless one is there; return the one that is."""
        with db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            try:
                conn.execute(sa.insert(LEDGER).values(
                    idempotency_key=key, kind=kind, amount_cents=amount_cents, ok=result.ok,
                    reference=result.reference, charge_reference=charge_reference,
                    error_code=result.error_code, message=result.message))
            except sa.exc.IntegrityError:  # the same key at the same moment: the first wins
                pass
            return _result(self._recorded(conn, key))

    def lookup(self, idempotency_key: str) -> ProviderResult | None:
        with db.engine.connect() as conn:
            row = self._recorded(conn, idempotency_key)
            conn.rollback()
        return None if row is None else _result(row)

    def charge(self, amount_cents: int, card: Card, idempotency_key: str) -> ProviderResult:
        recorded = self.lookup(idempotency_key)
        if recorded is not None:
            return recorded
        if card.number in DECLINES:
            code, message = DECLINES[card.number]
            result = ProviderResult(False, error_code=code, message=message)
        else:
            result = ProviderResult(True, reference=_reference("sim_ch", idempotency_key))
        return self._record(idempotency_key, "CHARGE", amount_cents, result)

    def refund(self, charge_reference: str, amount_cents: int,
               idempotency_key: str) -> ProviderResult:
        """Give back part or all of a charge; never more than is left of it. A refused refund
        is not recorded, so the same key may succeed once the request is right."""
        recorded = self.lookup(idempotency_key)
        if recorded is not None:
            return recorded
        with db.engine.connect() as conn:
            charged = conn.execute(sa.select(LEDGER.c.amount_cents).where(
                LEDGER.c.reference == charge_reference, LEDGER.c.kind == "CHARGE",
                LEDGER.c.ok.is_(True))).scalar()
            refunded = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(
                LEDGER.c.amount_cents), 0)).where(LEDGER.c.charge_reference == charge_reference,
                                                  LEDGER.c.kind == "REFUND",
                                                  LEDGER.c.ok.is_(True))).scalar()
            conn.rollback()
        if charged is None:
            return ProviderResult(False, error_code="no_such_charge",
                                  message="There is no such charge to refund.")
        if refunded + amount_cents > charged:
            return ProviderResult(False, error_code="refund_exceeds_charge",
                                  message="That is more than is left of the charge.")
        result = ProviderResult(True, reference=_reference("sim_re", idempotency_key))
        return self._record(idempotency_key, "REFUND", amount_cents, result, charge_reference)
