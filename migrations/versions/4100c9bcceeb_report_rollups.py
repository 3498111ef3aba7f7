"""report rollups: closed days, day sales, showtime sales

Sums the reports keep for what no longer changes (cinema/reports/report_rollup.py): the
sales and refunds of each closed local day per film and auditorium, and the seats sold of
each showtime that has ended. A cache: the reports give the same figures without them.

Revision ID: 4100c9bcceeb
Revises: fbdc8c629a36
Create Date: 2026-11-26 04:40:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '4100c9bcceeb'
down_revision = 'fbdc8c629a36'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_closed_days',
    sa.Column('zone', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_report_closed_days_created_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('zone', 'day', name=op.f('pk_report_closed_days'))
    )
    op.create_table('report_day_sales',
    sa.Column('zone', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('movie_id', sa.Integer(), nullable=False),
    sa.Column('auditorium_id', sa.Integer(), nullable=False),
    sa.Column('bookings', sa.Integer(), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('base_cents', sa.BigInteger(), nullable=False),
    sa.Column('seat_type_cents', sa.BigInteger(), nullable=False),
    sa.Column('time_cents', sa.BigInteger(), nullable=False),
    sa.Column('discount_cents', sa.BigInteger(), nullable=False),
    sa.Column('sales_cents', sa.BigInteger(), nullable=False),
    sa.Column('refunds', sa.Integer(), nullable=False),
    sa.Column('refunds_cents', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['auditorium_id'], ['auditoriums.id'], name=op.f('fk_report_day_sales_auditorium_id_auditoriums')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_report_day_sales_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['movie_id'], ['movies.id'], name=op.f('fk_report_day_sales_movie_id_movies')),
    sa.PrimaryKeyConstraint('zone', 'day', 'movie_id', 'auditorium_id', name=op.f('pk_report_day_sales'))
    )
    op.create_table('report_showtime_sales',
    sa.Column('showtime_id', sa.Integer(), nullable=False),
    sa.Column('sold', sa.Integer(), nullable=False),
    sa.Column('sold_regular', sa.Integer(), nullable=False),
    sa.Column('sold_premium', sa.Integer(), nullable=False),
    sa.Column('sold_wheelchair', sa.Integer(), nullable=False),
    sa.Column('sold_couple', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_report_showtime_sales_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['showtime_id'], ['showtimes.id'], name=op.f('fk_report_showtime_sales_showtime_id_showtimes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('showtime_id', name=op.f('pk_report_showtime_sales'))
    )


def downgrade():
    op.drop_table('report_showtime_sales')
    op.drop_table('report_day_sales')
    op.drop_table('report_closed_days')
