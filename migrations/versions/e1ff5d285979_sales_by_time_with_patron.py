"""sales by time with their patron: the user statistics count each period's bookers from it

``ix_reservations_confirmed_patron`` replaces ``ix_reservations_confirmed_at`` (same key, so it
still finds a range's sales for every report) and carries the patron and the deleted flag:
the user statistics count the distinct bookers of each period of a range from the index
alone (docs/PERFORMANCE.md, "Reports"). SQLite ignores INCLUDE: there it is the plain index
it replaces.

Revision ID: e1ff5d285979
Revises: 4100c9bcceeb
Create Date: 2026-11-26 05:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e1ff5d285979'
down_revision = '4100c9bcceeb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_reservations_confirmed_patron', 'reservations', ['confirmed_at'],
                    postgresql_include=['user_id', 'is_deleted'])
    op.drop_index('ix_reservations_confirmed_at', table_name='reservations')


def downgrade():
    op.create_index('ix_reservations_confirmed_at', 'reservations', ['confirmed_at'])
    op.drop_index('ix_reservations_confirmed_patron', table_name='reservations')
