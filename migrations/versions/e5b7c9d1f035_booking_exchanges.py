"""booking exchanges: a hold for new seats names the booking it changes; top-up charges; refunds
name the charge they draw on

- ``reservations.exchange_for_id``: on the hold of new seats, the booking being exchanged;
- ``payments.exchange_id``: on a top-up charge, the exchange's hold; ``uq_payments_live_charge``
  now counts the booking's own charges only, and ``uq_payments_live_topup`` allows one live
  top-up per exchange;
- ``payments.refund_of_id``: on a refund, the charge it gives money back from.

Revision ID: e5b7c9d1f035
Revises: d3a5b7c9e024
Create Date: 2026-11-30 15:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e5b7c9d1f035'
down_revision = 'd3a5b7c9e024'
branch_labels = None
depends_on = None

LIVE_CHARGE = "kind = 'CHARGE' AND status IN ('PENDING', 'SUCCEEDED') AND compensated_at IS NULL"
LIVE_BOOKING_CHARGE = f"{LIVE_CHARGE} AND exchange_id IS NULL"
LIVE_TOPUP = f"{LIVE_CHARGE} AND exchange_id IS NOT NULL"

# SQLite cannot add a constraint without rebuilding the table, which would lose its partial
# and expression indexes: the foreign keys are PostgreSQL's only.
FOREIGN_KEYS = [
    ('fk_reservations_exchange_for_id_reservations', 'reservations', 'exchange_for_id',
     'reservations'),
    ('fk_payments_exchange_id_reservations', 'payments', 'exchange_id', 'reservations'),
    ('fk_payments_refund_of_id_payments', 'payments', 'refund_of_id', 'payments'),
]


def _live_charge_index(where: str) -> None:
    op.create_index('uq_payments_live_charge', 'payments', ['reservation_id'], unique=True,
                    postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def upgrade():
    for _name, table, column, _target in FOREIGN_KEYS:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        for name, table, column, target in FOREIGN_KEYS:
            op.create_foreign_key(name, table, target, [column], ['id'])
    op.drop_index('uq_payments_live_charge', table_name='payments')
    _live_charge_index(LIVE_BOOKING_CHARGE)
    op.create_index('uq_payments_live_topup', 'payments', ['exchange_id'], unique=True,
                    postgresql_where=sa.text(LIVE_TOPUP), sqlite_where=sa.text(LIVE_TOPUP))


def downgrade():
    op.drop_index('uq_payments_live_topup', table_name='payments')
    op.drop_index('uq_payments_live_charge', table_name='payments')
    _live_charge_index(LIVE_CHARGE)
    if op.get_bind().dialect.name == "postgresql":
        for name, table, _column, _target in FOREIGN_KEYS:
            op.drop_constraint(name, table, type_='foreignkey')
    for _name, table, column, _target in reversed(FOREIGN_KEYS):
        op.drop_column(table, column)
