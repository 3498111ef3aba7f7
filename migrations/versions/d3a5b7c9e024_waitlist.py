"""waitlist: parties waiting for seats of sold-out showtimes

Revision ID: d3a5b7c9e024
Revises: c2f4d6e8a013
Create Date: 2026-11-30 10:55:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd3a5b7c9e024'
down_revision = 'c2f4d6e8a013'
branch_labels = None
depends_on = None

LIVE = "status IN ('WAITING', 'OFFERING', 'OFFERED')"


def upgrade():
    op.create_table(
        'waitlist_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('showtime_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('party_size', sa.SmallInteger(), nullable=False),
        sa.Column('status', sa.Enum('WAITING', 'OFFERING', 'OFFERED', 'BOOKED', 'EXPIRED', 'LEFT',
                                    name='waitliststatus', native_enum=False,
                                    create_constraint=True, length=24), nullable=False),
        sa.Column('reservation_id', sa.Integer(), nullable=True),
        sa.Column('offered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint('party_size BETWEEN 1 AND 50',
                           name=op.f('ck_waitlist_entries_party_size_range')),
        sa.ForeignKeyConstraint(['showtime_id'], ['showtimes.id'],
                                name=op.f('fk_waitlist_entries_showtime_id_showtimes')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_waitlist_entries_user_id_users')),
        sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'],
                                name=op.f('fk_waitlist_entries_reservation_id_reservations')),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_waitlist_entries_created_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entries')),
    )
    op.create_index('uq_waitlist_entries_live', 'waitlist_entries', ['showtime_id', 'user_id'],
                    unique=True, postgresql_where=sa.text(LIVE), sqlite_where=sa.text(LIVE))
    op.create_index('ix_waitlist_entries_line', 'waitlist_entries',
                    ['showtime_id', 'status', 'created_at', 'id'])
    op.create_index(op.f('ix_waitlist_entries_user_id'), 'waitlist_entries', ['user_id'])


def downgrade():
    op.drop_table('waitlist_entries')
