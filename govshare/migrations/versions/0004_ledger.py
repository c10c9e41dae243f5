"""ledger: sequenced leaves, tiles of node hashes, signed checkpoints, keys; calls point at their leaf

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    state = op.create_table('ledger_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_state'))
    )
    op.bulk_insert(state, [{"id": 1, "size": 0}])
    op.create_table('ledger_entries',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('leaf', sa.LargeBinary(), nullable=False),
    sa.Column('subject_hash', sa.String(length=64), nullable=True),
    sa.Column('consumer_org_id', sa.String(length=32), nullable=True),
    sa.Column('provider_org_id', sa.String(length=32), nullable=True),
    sa.Column('entry_id', sa.String(length=32), nullable=True),
    sa.Column('grant_id', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_ledger_entries'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_consumer', ['consumer_org_id', 'seq'], unique=False)
        batch_op.create_index('ix_ledger_entries_entry', ['entry_id', 'seq'], unique=False)
        batch_op.create_index('ix_ledger_entries_grant', ['grant_id', 'seq'], unique=False)
        batch_op.create_index('ix_ledger_entries_subject', ['subject_hash', 'seq'], unique=False)
    op.create_table('ledger_tiles',
    sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('width', sa.SmallInteger(), nullable=False),
    sa.Column('hashes', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('level', 'idx', name=op.f('pk_ledger_tiles'))
    )
    op.create_table('ledger_checkpoints',
    sa.Column('size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root', sa.LargeBinary(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('key_id', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('size', name=op.f('pk_ledger_checkpoints'))
    )
    op.create_table('ledger_keys',
    sa.Column('key_id', sa.String(length=8), nullable=False),
    sa.Column('verifier_key', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key_id', name=op.f('pk_ledger_keys'))
    )
    with op.batch_alter_table('exchange_calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ledger_seq', sa.BigInteger(), nullable=True))
        # Calls by person are found through the ledger's subject index (trace, citizen's record): one
        # random-order index less to write per call.
        batch_op.drop_index('ix_exchange_calls_subject')
    op.create_table('monitoring_alerts',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('provider_org_id', sa.String(length=32), nullable=True),
    sa.Column('consumer_org_id', sa.String(length=32), nullable=True),
    sa.Column('client_id', sa.String(length=32), nullable=True),
    sa.Column('entry_id', sa.String(length=32), nullable=True),
    sa.Column('grant_id', sa.String(length=32), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Double(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_alerts'))
    )
    with op.batch_alter_table('monitoring_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitoring_alerts_provider_org_id'), ['provider_org_id'], unique=False)
    op.create_table('monitoring_cursor',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('last_call_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_monitoring_cursor'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_subject_hash'), ['subject_hash'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_subject_hash'))
        batch_op.drop_column('subject_hash')
    op.drop_table('monitoring_cursor')
    with op.batch_alter_table('monitoring_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitoring_alerts_provider_org_id'))
    op.drop_table('monitoring_alerts')
    with op.batch_alter_table('exchange_calls', schema=None) as batch_op:
        batch_op.create_index('ix_exchange_calls_subject', ['subject_hash'], unique=False)
        batch_op.drop_column('ledger_seq')
    op.drop_table('ledger_keys')
    op.drop_table('ledger_checkpoints')
    op.drop_table('ledger_tiles')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_subject')
        batch_op.drop_index('ix_ledger_entries_grant')
        batch_op.drop_index('ix_ledger_entries_entry')
        batch_op.drop_index('ix_ledger_entries_consumer')
    op.drop_table('ledger_entries')
    op.drop_table('ledger_state')
