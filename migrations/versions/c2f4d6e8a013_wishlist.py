"""wishlist: saved films per patron, and the patron's wishlist email setting

Revision ID: c2f4d6e8a013
Revises: b13e7a0c5d21
Create Date: 2026-11-30 10:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c2f4d6e8a013'
down_revision = 'b13e7a0c5d21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'wishlist_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('movie_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_wishlist_items_user_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['movie_id'], ['movies.id'],
                                name=op.f('fk_wishlist_items_movie_id_movies'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'],
                                name=op.f('fk_wishlist_items_created_by_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_wishlist_items')),
        sa.UniqueConstraint('user_id', 'movie_id', name='uq_wishlist_items_patron_film'),
    )
    op.create_index(op.f('ix_wishlist_items_movie_id'), 'wishlist_items', ['movie_id'])
    # Plain ADD COLUMNs: SQLite's batch mode would rebuild users and lose its expression index
    # (one account per email, whatever its case).
    op.add_column('users', sa.Column('wishlist_emails', sa.Boolean(), server_default=sa.true(),
                                     nullable=False))
    op.add_column('users', sa.Column('wishlist_notified_at', sa.DateTime(timezone=True),
                                     nullable=True))


def downgrade():
    with op.batch_alter_table('users') as batch:
        batch.drop_column('wishlist_notified_at')
        batch.drop_column('wishlist_emails')
    op.drop_index(op.f('ix_wishlist_items_movie_id'), table_name='wishlist_items')
    op.drop_table('wishlist_items')
