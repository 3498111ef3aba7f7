"""seat partners: couple seats in pairs, a wheelchair space and its companion seat

Existing couple seats are paired left to right within each run of adjacent seats of a row (the
layout generator's rule); a run of odd length leaves its last seat unpaired, sold on its own as
before. Companion seats are set by an admin in the layout editor.

Revision ID: b3d1f0c2a9e7
Revises: a7c3e9f1b2d4
Create Date: 2026-11-30 12:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b3d1f0c2a9e7'
down_revision = 'a7c3e9f1b2d4'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('seats', sa.Column('partner_seat_id', sa.Integer(), nullable=True))
    # SQLite cannot add a constraint without rebuilding the table, which would lose its partial
    # and expression indexes: the foreign key is PostgreSQL's only.
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key('fk_seats_partner_seat_id_seats', 'seats', 'seats',
                              ['partner_seat_id'], ['id'], ondelete='SET NULL')
    bind = op.get_bind()
    seats = bind.execute(sa.text(
        "SELECT id, auditorium_id, row_index, col_index FROM seats "
        "WHERE seat_type = 'COUPLE' AND NOT is_deleted "
        "ORDER BY auditorium_id, row_index, col_index")).all()
    pending = None
    for seat in seats:
        if pending is not None and (pending.auditorium_id, pending.row_index) == (
                seat.auditorium_id, seat.row_index) and pending.col_index + 1 == seat.col_index:
            for one, other in ((pending.id, seat.id), (seat.id, pending.id)):
                bind.execute(sa.text("UPDATE seats SET partner_seat_id = :p WHERE id = :s"),
                             {"p": other, "s": one})
            pending = None
        else:
            pending = seat


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint('fk_seats_partner_seat_id_seats', 'seats', type_='foreignkey')
    op.drop_column('seats', 'partner_seat_id')
