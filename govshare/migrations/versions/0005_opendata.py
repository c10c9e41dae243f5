"""open data: an item's treatment when its entry is open to the public (drop / generalise)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('catalog_items', schema=None) as batch_op:
        # NULL: published as is (only allowed for items without personal information).
        batch_op.add_column(sa.Column('open_treatment', sa.String(length=16), nullable=True))
    with op.batch_alter_table('catalog_entries', schema=None) as batch_op:
        # Covering for the open data portal's listing and facet counts (no table lookups per entry).
        batch_op.create_index('ix_catalog_entries_public', ['open_type', 'status', 'updated_at', 'provider_org_id',
                                                            'class_id', 'mounted', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('catalog_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_catalog_entries_public')
    with op.batch_alter_table('catalog_items', schema=None) as batch_op:
        batch_op.drop_column('open_treatment')
