"""split bookings: seats cancelled from a confirmed booking move to a cancelled booking of their own

Revision ID: c4e2a1d3b5f8
Revises: b3d1f0c2a9e7
Create Date: 2026-11-30 13:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c4e2a1d3b5f8'
down_revision = 'b3d1f0c2a9e7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reservations') as batch:
        batch.add_column(sa.Column('split_from_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_reservations_split_from_id_reservations', 'reservations',
                                 ['split_from_id'], ['id'])


def downgrade():
    with op.batch_alter_table('reservations') as batch:
        batch.drop_constraint('fk_reservations_split_from_id_reservations', type_='foreignkey')
        batch.drop_column('split_from_id')
