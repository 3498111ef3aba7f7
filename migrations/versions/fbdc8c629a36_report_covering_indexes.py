"""report covering indexes: seat lines by booking, sold bookings by showtime, refunds due

Measured with bench/reports.py (docs/PERFORMANCE.md, "Reports"). The reports read a range's
sales booking by booking and its showtimes' sold seats showtime by showtime; these indexes
let PostgreSQL answer each step from an index alone:

- ``ix_reserved_seats_reservation_lines`` replaces ``ix_reserved_seats_reservation_id`` (same
  key, so it still serves the foreign key and every lookup by booking) and carries the price
  line items, the seat and the active flag, for index-only scans;
- ``ix_reservations_sold_by_showtime``: the CONFIRMED and COMPLETED bookings of a showtime;
- ``ix_reservations_refund_due``: bookings cancelled after confirmation, by the instant
  their refund counts (the expression the revenue report filters on).

SQLite ignores INCLUDE (the first becomes the plain index it replaces, the second a partial
index on showtime_id); it has partial and expression indexes, so the rest is the same.

Revision ID: fbdc8c629a36
Revises: 5e1f0c2a9b7d
Create Date: 2026-11-26 09:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'fbdc8c629a36'
down_revision = '5e1f0c2a9b7d'
branch_labels = None
depends_on = None

SOLD = sa.text("status IN ('CONFIRMED', 'COMPLETED')")
REFUND_DUE = sa.text("status = 'CANCELLED' AND confirmed_at IS NOT NULL")


def upgrade():
    op.create_index(
        'ix_reserved_seats_reservation_lines', 'reserved_seats', ['reservation_id'],
        postgresql_include=['seat_id', 'is_active', 'base_price_cents',
                            'seat_type_adjustment_cents', 'time_adjustment_cents',
                            'discount_cents', 'price_cents'])
    op.drop_index('ix_reserved_seats_reservation_id', table_name='reserved_seats')
    op.create_index('ix_reservations_sold_by_showtime', 'reservations', ['showtime_id'],
                    postgresql_include=['id'], postgresql_where=SOLD, sqlite_where=SOLD)
    op.create_index('ix_reservations_refund_due', 'reservations',
                    [sa.text('coalesce(cancelled_at, updated_at)')],
                    postgresql_where=REFUND_DUE, sqlite_where=REFUND_DUE)


def downgrade():
    op.drop_index('ix_reservations_refund_due', table_name='reservations')
    op.drop_index('ix_reservations_sold_by_showtime', table_name='reservations')
    op.create_index('ix_reserved_seats_reservation_id', 'reserved_seats', ['reservation_id'])
    op.drop_index('ix_reserved_seats_reservation_lines', table_name='reserved_seats')
