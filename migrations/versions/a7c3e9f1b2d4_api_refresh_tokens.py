"""api refresh tokens: hashed, rotated, grouped in families for reuse detection

Revision ID: a7c3e9f1b2d4
Revises: a7c3e91d2b40
Create Date: 2026-11-30 09:15:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a7c3e9f1b2d4'
down_revision = 'a7c3e91d2b40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_refresh_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('family_id', sa.String(length=32), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('rotated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('is_deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_api_refresh_tokens_user_id_users')),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_api_refresh_tokens_created_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_refresh_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_refresh_tokens_token_hash')),
    )
    op.create_index('ix_api_refresh_tokens_family_id', 'api_refresh_tokens', ['family_id'])
    op.create_index('ix_api_refresh_tokens_user_live', 'api_refresh_tokens',
                    ['user_id', 'revoked_at'])


def downgrade():
    op.drop_index('ix_api_refresh_tokens_user_live', table_name='api_refresh_tokens')
    op.drop_index('ix_api_refresh_tokens_family_id', table_name='api_refresh_tokens')
    op.drop_table('api_refresh_tokens')
