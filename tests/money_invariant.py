"""The money invariant, checked after every money test and printed by the fault suite.

For every reservation, money taken minus money refunded (SUCCEEDED charges minus SUCCEEDED
refunds in ``payments``) is its total if it is CONFIRMED or COMPLETED and paid by card, and 0
otherwise; and no "pay at the box office" booking is admitted (COMPLETED) without having
been paid at the counter (``paid_at``). And the app's record agrees with the provider's: every
successful entry in the simulated gateway's ledger is a SUCCEEDED payment row with the same
key, kind and amount, and the other way round, so no money moved that the app does not know
about.

Plain SQL over an engine, so it runs against any database of the app (the fault suite's too).
"""
from __future__ import annotations

import sqlalchemy as sa

BALANCES = sa.text("""
    SELECT r.id, r.code, r.status, r.payment_method, r.total_price_cents, r.paid_at,
           COALESCE(SUM(CASE WHEN p.kind = 'CHARGE' AND p.status = 'SUCCEEDED'
                             THEN p.amount_cents END), 0)
         - COALESCE(SUM(CASE WHEN p.kind = 'REFUND' AND p.status = 'SUCCEEDED'
                             THEN p.amount_cents END), 0) AS net
    FROM reservations r LEFT JOIN payments p ON p.reservation_id = r.id
    GROUP BY r.id, r.code, r.status, r.payment_method, r.total_price_cents, r.paid_at
    ORDER BY r.id
""")
APP_MONEY = sa.text("""
    SELECT idempotency_key, kind, amount_cents FROM payments
    WHERE status = 'SUCCEEDED' AND provider = 'simulated'
""")
# Seats whose frozen line items do not sum to their price before the promo code discount.
ITEMS_OFF = sa.text("""
    SELECT rs.id, rs.price_cents + rs.discount_cents AS price, SUM(li.amount_cents) AS items
    FROM reserved_seats rs JOIN reserved_seat_line_items li ON li.reserved_seat_id = rs.id
    GROUP BY rs.id HAVING SUM(li.amount_cents) <> rs.price_cents + rs.discount_cents
""")
PROVIDER_MONEY = sa.text("""
    SELECT idempotency_key, kind, amount_cents FROM simulated_gateway_ledger WHERE ok
""")


def money_invariant_violations(engine) -> list[str]:
    """Every way the money disagrees with the bookings or with the provider; empty when none."""
    problems = []
    with engine.connect() as conn:
        for row in conn.execute(BALANCES):
            sold = row.status in ("CONFIRMED", "COMPLETED") and row.payment_method == "CARD"
            expected = row.total_price_cents if sold else 0
            if row.net != expected:
                problems.append(f"reservation {row.id} ({row.code}, {row.status}, "
                                f"{row.payment_method}): net {row.net} cents, expected {expected}")
            if row.status == "COMPLETED" and row.payment_method == "BOX_OFFICE" \
                    and row.paid_at is None:
                problems.append(f"reservation {row.id} ({row.code}) was admitted unpaid")
        app = {tuple(row) for row in conn.execute(APP_MONEY)}
        provider = {tuple(row) for row in conn.execute(PROVIDER_MONEY)}
        for row in conn.execute(ITEMS_OFF):
            problems.append(f"reserved seat {row.id}: line items sum to {row.items} cents, "
                            f"its price before discount is {row.price}")
    for key, kind, amount in sorted(provider - app):
        problems.append(f"provider moved {amount} cents ({kind} {key}) the app does not record")
    for key, kind, amount in sorted(app - provider):
        problems.append(f"app records {amount} cents ({kind} {key}) the provider never moved")
    return problems


def assert_money_invariant(engine) -> None:
    problems = money_invariant_violations(engine)
    assert not problems, "money invariant violated:\n" + "\n".join(problems)
