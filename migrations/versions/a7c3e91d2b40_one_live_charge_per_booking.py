"""one live charge per booking, the simulated gateway's ledger

- ``payments.compensated_at``: set on a charge once a refund of it was opened;
- ``uq_payments_live_charge``: at most one live charge (PENDING, or SUCCEEDED and not given
  back) per reservation;
- ``simulated_gateway_ledger``: the simulated provider's own record, by idempotency key.

Before the index can exist, charges taken twice under the old per-page keys are sorted out:
charges already given back are marked, and of the live charges left on one reservation the one
that pays for it (or the first) stays, the others are marked and get a PENDING refund that the
reconciliation job sends (``flask reconcile-payments``).

Revision ID: a7c3e91d2b40
Revises: e1ff5d285979
Create Date: 2026-12-02 10:00:00

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7c3e91d2b40'
down_revision = 'e1ff5d285979'
branch_labels = None
depends_on = None

LIVE_CHARGE = "kind = 'CHARGE' AND status IN ('PENDING', 'SUCCEEDED') AND compensated_at IS NULL"


def _mark_given_back_and_split_duplicates(conn):
    now = datetime.now(timezone.utc)
    if conn.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    charges = conn.execute(sa.text(
        "SELECT p.id, p.reservation_id, p.status, p.provider, p.amount_cents, p.provider_ref,"
        " r.payment_id FROM payments p JOIN reservations r ON r.id = p.reservation_id"
        " WHERE p.kind = 'CHARGE' AND p.status IN ('PENDING', 'SUCCEEDED') ORDER BY p.id")).all()
    refund_keys = set(conn.execute(sa.text(
        "SELECT idempotency_key FROM payments WHERE kind = 'REFUND'")).scalars())
    mark = sa.text("UPDATE payments SET compensated_at = :now WHERE id = :id")
    live_by_reservation: dict[int, list] = {}
    for charge in charges:
        if f"refund-charge:{charge.id}" in refund_keys:
            conn.execute(mark, {"now": now, "id": charge.id})
        else:
            live_by_reservation.setdefault(charge.reservation_id, []).append(charge)
    for reservation_id, live in live_by_reservation.items():
        succeeded = [c for c in live if c.status == "SUCCEEDED"]
        if f"refund:{reservation_id}" in refund_keys and succeeded:
            # A cancellation refunded the latest successful charge (refunds.refund_payment).
            given_back = succeeded[-1]
            conn.execute(mark, {"now": now, "id": given_back.id})
            live.remove(given_back)
        if len(live) < 2:
            continue
        keep = next((c for c in live if c.provider_ref and c.provider_ref == c.payment_id),
                    live[0])
        for extra in (c for c in live if c is not keep):
            conn.execute(mark, {"now": now, "id": extra.id})
            if extra.status == "SUCCEEDED":
                conn.execute(sa.text(
                    "INSERT INTO payments (reservation_id, provider, kind, status, amount_cents,"
                    " idempotency_key, created_at, updated_at, is_deleted) VALUES (:r, :provider,"
                    " 'REFUND', 'PENDING', :amount, :key, :now, :now, :false)"),
                    {"r": reservation_id, "provider": extra.provider,
                     "amount": extra.amount_cents, "key": f"refund-charge:{extra.id}",
                     "now": now, "false": False})


def upgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('compensated_at', sa.DateTime(timezone=True), nullable=True))
    _mark_given_back_and_split_duplicates(op.get_bind())
    op.create_index('uq_payments_live_charge', 'payments', ['reservation_id'], unique=True,
                    postgresql_where=sa.text(LIVE_CHARGE), sqlite_where=sa.text(LIVE_CHARGE))
    op.create_table('simulated_gateway_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('reference', sa.String(length=80), nullable=True),
    sa.Column('charge_reference', sa.String(length=80), nullable=True),
    sa.Column('error_code', sa.String(length=40), nullable=True),
    sa.Column('message', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_simulated_gateway_ledger_created_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_simulated_gateway_ledger')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_simulated_gateway_ledger_idempotency_key'))
    )


def downgrade():
    op.drop_table('simulated_gateway_ledger')
    op.drop_index('uq_payments_live_charge', table_name='payments')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('compensated_at')
