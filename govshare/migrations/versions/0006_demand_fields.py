"""demands: the legal basis the filer gives (the department it is routed to already has a column)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('demands', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_basis', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('demands', schema=None) as batch_op:
        batch_op.drop_column('legal_basis')
