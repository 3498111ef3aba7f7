"""pricing rules, ticket types and per-seat line items; seeds matinee/weekend rules and four types

The matinee and weekend modifiers that configuration used to apply become two rules with the
values configuration holds when this migration runs (the defaults otherwise), so prices stay
the same until an admin edits them.

Revision ID: b14c0de5a1e1
Revises: c4e2a1d3b5f8
Create Date: 2026-11-30 10:40:00

"""
import os
from datetime import time

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = 'b14c0de5a1e1'
down_revision = 'c4e2a1d3b5f8'
branch_labels = None
depends_on = None

ONE_EFFECT = "(percent IS NULL) <> (amount_cents IS NULL)"
PERCENT_RANGE = "percent IS NULL OR (percent >= -100 AND percent <= 500 AND percent <> 0)"


def _audit_columns(table):
    return [
        # func.now(): now() on PostgreSQL, CURRENT_TIMESTAMP on SQLite (the seeded rows use it).
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL',
                                name=op.f(f'fk_{table}_created_by_users')),
    ]


def _list_of(item) -> dict:
    """A list column's type and empty default: an array on PostgreSQL, JSON on SQLite (the
    zero-setup `make run`)."""
    if op.get_bind().dialect.name == "postgresql":
        return {"type_": pg.ARRAY(item), "server_default": sa.text("'{}'")}
    return {"type_": sa.JSON(), "server_default": sa.text("'[]'")}


def upgrade():
    rules = op.create_table(
        'pricing_rules',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('enabled', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('priority', sa.Integer(), server_default='100', nullable=False),
        sa.Column('stacking', sa.String(length=10), server_default='STACK', nullable=False),
        sa.Column('percent', sa.Integer(), nullable=True),
        sa.Column('amount_cents', sa.Integer(), nullable=True),
        sa.Column('floor_cents', sa.Integer(), nullable=True),
        sa.Column('ceiling_cents', sa.Integer(), nullable=True),
        sa.Column('weekdays', **_list_of(sa.Integer()), nullable=False),
        sa.Column('starts_from', sa.Time(), nullable=True),
        sa.Column('starts_before', sa.Time(), nullable=True),
        sa.Column('date_from', sa.Date(), nullable=True),
        sa.Column('date_until', sa.Date(), nullable=True),
        sa.Column('seat_types', **_list_of(sa.String(length=12)), nullable=False),
        sa.Column('movie_ids', **_list_of(sa.Integer()), nullable=False),
        sa.Column('auditorium_ids', **_list_of(sa.Integer()), nullable=False),
        sa.Column('formats', **_list_of(sa.String(length=20)), nullable=False),
        sa.Column('demand_at_least', sa.Integer(), nullable=True),
        sa.Column('demand_below', sa.Integer(), nullable=True),
        sa.Column('lead_hours_min', sa.Integer(), nullable=True),
        sa.Column('lead_hours_max', sa.Integer(), nullable=True),
        *_audit_columns('pricing_rules'),
        sa.CheckConstraint(ONE_EFFECT, name=op.f('ck_pricing_rules_one_kind_of_effect')),
        sa.CheckConstraint(PERCENT_RANGE, name=op.f('ck_pricing_rules_percent_range')),
        sa.CheckConstraint("stacking IN ('STACK', 'BEST_ONLY')",
                           name=op.f('ck_pricing_rules_stacking_choice')),
        sa.CheckConstraint("floor_cents IS NULL OR floor_cents >= 0",
                           name=op.f('ck_pricing_rules_floor_not_negative')),
        sa.CheckConstraint("ceiling_cents IS NULL OR floor_cents IS NULL OR ceiling_cents >= floor_cents",
                           name=op.f('ck_pricing_rules_ceiling_above_floor')),
        sa.CheckConstraint("demand_at_least IS NULL OR demand_at_least BETWEEN 0 AND 100",
                           name=op.f('ck_pricing_rules_demand_at_least_range')),
        sa.CheckConstraint("demand_below IS NULL OR demand_below BETWEEN 1 AND 101",
                           name=op.f('ck_pricing_rules_demand_below_range')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pricing_rules')),
    )
    types = op.create_table(
        'ticket_types',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('percent', sa.Integer(), nullable=True),
        sa.Column('amount_cents', sa.Integer(), nullable=True),
        sa.Column('age_restricted', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('is_concession', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('enabled', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('sort_order', sa.Integer(), server_default='0', nullable=False),
        *_audit_columns('ticket_types'),
        sa.CheckConstraint(ONE_EFFECT + " OR (percent IS NULL AND amount_cents IS NULL)",
                           name=op.f('ck_ticket_types_at_most_one_effect')),
        sa.CheckConstraint(PERCENT_RANGE, name=op.f('ck_ticket_types_percent_range')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_types')),
        sa.UniqueConstraint('name', name=op.f('uq_ticket_types_name')),
    )
    op.add_column('reserved_seats', sa.Column('ticket_type_id', sa.Integer(), nullable=True))
    # SQLite cannot add a constraint to a table without rebuilding it, and a rebuild would lose
    # its partial unique index (the guarantee against double booking): PostgreSQL only.
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(op.f('fk_reserved_seats_ticket_type_id_ticket_types'),
                              'reserved_seats', 'ticket_types', ['ticket_type_id'], ['id'])
    op.create_table(
        'reserved_seat_line_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reserved_seat_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('label', sa.String(length=120), nullable=False),
        sa.Column('rule_id', sa.Integer(), nullable=True),
        sa.Column('ticket_type_id', sa.Integer(), nullable=True),
        sa.Column('amount_cents', sa.Integer(), nullable=False),
        sa.Column('floor_cents', sa.Integer(), nullable=True),
        sa.Column('ceiling_cents', sa.Integer(), nullable=True),
        *_audit_columns('reserved_seat_line_items'),
        sa.ForeignKeyConstraint(['reserved_seat_id'], ['reserved_seats.id'], ondelete='CASCADE',
                                name=op.f('fk_reserved_seat_line_items_reserved_seat_id_reserved_seats')),
        sa.ForeignKeyConstraint(['rule_id'], ['pricing_rules.id'], ondelete='SET NULL',
                                name=op.f('fk_reserved_seat_line_items_rule_id_pricing_rules')),
        sa.ForeignKeyConstraint(['ticket_type_id'], ['ticket_types.id'], ondelete='SET NULL',
                                name=op.f('fk_reserved_seat_line_items_ticket_type_id_ticket_types')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reserved_seat_line_items')),
    )
    op.create_index('ix_reserved_seat_line_items_reserved_seat_id', 'reserved_seat_line_items',
                    ['reserved_seat_id'])
    op.create_index('ix_reserved_seat_line_items_rule_id', 'reserved_seat_line_items', ['rule_id'])

    hour, minute = (int(part) for part in os.environ.get("MATINEE_BEFORE", "17:00").split(":"))
    op.bulk_insert(rules, [
        {"name": "Matinee", "priority": 100, "stacking": "STACK",
         "amount_cents": -int(os.environ.get("MATINEE_DISCOUNT_CENTS", "200")),
         "weekdays": [0, 1, 2, 3, 4], "starts_before": time(hour, minute)},
        {"name": "Weekend", "priority": 100, "stacking": "STACK",
         "amount_cents": int(os.environ.get("WEEKEND_SURCHARGE_CENTS", "150")),
         "weekdays": [5, 6], "starts_before": None},
    ])
    op.bulk_insert(types, [
        {"name": "Adult", "percent": None, "age_restricted": False, "is_concession": False,
         "sort_order": 0},
        {"name": "Child", "percent": -25, "age_restricted": True, "is_concession": True,
         "sort_order": 1},
        {"name": "Senior", "percent": -20, "age_restricted": False, "is_concession": True,
         "sort_order": 2},
        {"name": "Student", "percent": -15, "age_restricted": False, "is_concession": True,
         "sort_order": 3},
    ])


def downgrade():
    op.drop_index('ix_reserved_seat_line_items_rule_id', table_name='reserved_seat_line_items')
    op.drop_index('ix_reserved_seat_line_items_reserved_seat_id',
                  table_name='reserved_seat_line_items')
    op.drop_table('reserved_seat_line_items')
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f('fk_reserved_seats_ticket_type_id_ticket_types'),
                           'reserved_seats', type_='foreignkey')
    op.drop_column('reserved_seats', 'ticket_type_id')
    op.drop_table('ticket_types')
    op.drop_table('pricing_rules')
