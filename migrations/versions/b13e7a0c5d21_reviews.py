"""reviews: one rating (1-5) and optional text per patron per film, hideable by admins

Revision ID: b13e7a0c5d21
Revises: 9b2d41c7e5a3
Create Date: 2026-11-30 10:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b13e7a0c5d21'
down_revision = '9b2d41c7e5a3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'reviews',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('movie_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('rating', sa.SmallInteger(), nullable=False),
        sa.Column('body', sa.Text(), server_default='', nullable=False),
        sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('hidden_reason', sa.String(length=300), nullable=True),
        sa.Column('hidden_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_reviews_rating_range')),
        sa.CheckConstraint('length(body) <= 2000', name=op.f('ck_reviews_body_length')),
        sa.ForeignKeyConstraint(['movie_id'], ['movies.id'], name=op.f('fk_reviews_movie_id_movies'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_reviews_user_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['hidden_by'], ['users.id'],
                                name=op.f('fk_reviews_hidden_by_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'],
                                name=op.f('fk_reviews_created_by_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
        sa.UniqueConstraint('user_id', 'movie_id', name=op.f('uq_reviews_patron_film')),
    )
    op.create_index('ix_reviews_movie_created', 'reviews', ['movie_id', 'created_at'])
    op.create_index(op.f('ix_reviews_user_id'), 'reviews', ['user_id'])


def downgrade():
    op.drop_index(op.f('ix_reviews_user_id'), table_name='reviews')
    op.drop_index('ix_reviews_movie_created', table_name='reviews')
    op.drop_table('reviews')
