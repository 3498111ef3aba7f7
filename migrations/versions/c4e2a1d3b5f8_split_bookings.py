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
    op.add_column('reservations', sa.Column('split_from_id', sa.Integer(), nullable=True))
    # SQLite cannot add a constraint without rebuilding the table, which would lose its partial
    # and expression indexes: the foreign key is PostgreSQL's only.
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key('fk_reservations_split_from_id_reservations', 'reservations',
                              'reservations', ['split_from_id'], ['id'])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint('fk_reservations_split_from_id_reservations', 'reservations',
                           type_='foreignkey')
    op.drop_column('reservations', 'split_from_id')
