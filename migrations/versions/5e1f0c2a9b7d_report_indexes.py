"""report indexes: sales by confirmation time, refunds by kind and time

Measured with bench/reports.py (docs/PERFORMANCE.md, "Reports"): without them every revenue
query scans the whole reservations and payments tables.

Revision ID: 5e1f0c2a9b7d
Revises: c6006741d735
Create Date: 2026-11-26 03:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '5e1f0c2a9b7d'
down_revision = 'c6006741d735'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_reservations_confirmed_at', 'reservations', ['confirmed_at'])
    op.create_index('ix_payments_kind_created_at', 'payments', ['kind', 'created_at'])


def downgrade():
    op.drop_index('ix_payments_kind_created_at', table_name='payments')
    op.drop_index('ix_reservations_confirmed_at', table_name='reservations')
