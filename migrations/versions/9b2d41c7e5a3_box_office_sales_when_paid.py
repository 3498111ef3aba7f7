"""box-office sales when paid: sales indexed by the instant they count, unpaid bookings

- ``ix_reservations_sold_at``: the reports find a range's sales by ``SOLD_AT``
  (cinema/reports/report_rows.py): ``paid_at`` for a "pay at the box office" booking,
  ``confirmed_at`` for the rest; an expression index on exactly that expression, carrying
  what the user statistics read, as ``ix_reservations_confirmed_patron`` does.
- ``ix_reservations_unpaid_box_office``: confirmed box-office bookings not paid yet, by
  showtime (the release sweep before the start, the dashboard's list for today).

Revision ID: 9b2d41c7e5a3
Revises: b14c0de5a1e1
Create Date: 2026-11-30 10:40:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '9b2d41c7e5a3'
down_revision = 'b14c0de5a1e1'
branch_labels = None
depends_on = None

SOLD_AT = sa.text("(CASE WHEN payment_method = 'BOX_OFFICE' THEN paid_at ELSE confirmed_at END)")
UNPAID = sa.text("status = 'CONFIRMED' AND payment_method = 'BOX_OFFICE' AND paid_at IS NULL")


def upgrade():
    op.create_index('ix_reservations_sold_at', 'reservations', [SOLD_AT],
                    postgresql_include=['user_id', 'is_deleted'])
    op.create_index('ix_reservations_unpaid_box_office', 'reservations', ['showtime_id'],
                    postgresql_where=UNPAID, sqlite_where=UNPAID)


def downgrade():
    op.drop_index('ix_reservations_unpaid_box_office', table_name='reservations')
    op.drop_index('ix_reservations_sold_at', table_name='reservations')
