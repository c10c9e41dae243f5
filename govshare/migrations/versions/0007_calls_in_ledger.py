"""exchange calls' audit records are their ledger leaves: exchange_calls folds into ledger_entries

Each call was written twice (an exchange_calls row and its leaf). Now the leaf's row carries the
call's columns (method, client, purpose, rows, outcome, status); calls and governance events are
indexed apart by partial indexes. On SQLite the sequence number becomes the rowid.

Calls logged before the ledger existed (no leaf) are appended to the log now, marked `backfilled`,
so the history keeps them; the monitoring cursor moves from call ids to sequence numbers.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

CALL_KINDS = ('exchange.lookup', 'exchange.verify', 'exchange.export', 'exchange.feed')
CALLS = sa.text("method IS NOT NULL")
GOVERNANCE = sa.text("method IS NULL")
SUBJECT = sa.text("subject_hash IS NOT NULL")
_CALL_FIELDS = (('client_id', 'client'), ('purpose', 'purpose'), ('row_count', 'rows'), ('outcome', 'outcome'),
                ('status_code', 'status'))
_OLD_INDEXES = ('ix_ledger_entries_consumer', 'ix_ledger_entries_entry', 'ix_ledger_entries_grant',
                'ix_ledger_entries_subject')


def _iso(at) -> str:
    if isinstance(at, str):  # SQLite's text form, UTC
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).isoformat(timespec="microseconds")[:-6] + "Z"


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    with op.batch_alter_table('ledger_entries', schema=None, recreate='always' if sqlite else 'auto') as batch_op:
        if sqlite:  # INTEGER PRIMARY KEY: the rowid itself, no separate index
            batch_op.alter_column('seq', existing_type=sa.BigInteger(), type_=sa.Integer(), autoincrement=False,
                                  existing_nullable=False)
        for name in _OLD_INDEXES:
            batch_op.drop_index(name)
        batch_op.add_column(sa.Column('method', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('client_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('purpose', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('row_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('status_code', sa.Integer(), nullable=True))

    # The call columns, from each call's leaf (what `ledger verify` will hold them to).
    entries = sa.table('ledger_entries', sa.column('seq'), sa.column('kind'), sa.column('leaf'),
                       *(sa.column(c) for c, _ in _CALL_FIELDS), sa.column('method'))
    rows = bind.execute(sa.select(entries.c.seq, entries.c.kind, entries.c.leaf)
                        .where(entries.c.kind.in_(CALL_KINDS))).all()
    updates = []
    for seq, kind, leaf in rows:
        body = json.loads(bytes(leaf))
        updates.append({'s': seq, 'method': kind.split('.', 1)[1],
                        **{column: body.get(name) for column, name in _CALL_FIELDS}})
    if updates:
        bind.execute(sa.update(entries).where(entries.c.seq == sa.bindparam('s'))
                     .values(**{c: sa.bindparam(c) for c in ('method', *(c for c, _ in _CALL_FIELDS))}), updates)

    _backfill_calls_without_leaf(bind)

    cursor = bind.execute(sa.text("SELECT last_call_id FROM monitoring_cursor WHERE name = 'exchange_calls'")).first()
    with op.batch_alter_table('monitoring_cursor', schema=None) as batch_op:
        batch_op.alter_column('last_call_id', new_column_name='next_seq', existing_type=sa.BigInteger(),
                              existing_nullable=False)
    if cursor is not None:
        # Every call the rules had judged keeps its place; the first one not judged yet is where they go on.
        pending = bind.execute(sa.text("SELECT MIN(ledger_seq) FROM exchange_calls WHERE id > :last "
                                       "AND ledger_seq IS NOT NULL"), {'last': cursor[0]}).scalar()
        size = bind.execute(sa.text("SELECT size FROM ledger_state WHERE id = 1")).scalar() or 0
        bind.execute(sa.text("UPDATE monitoring_cursor SET name = 'ledger', next_seq = :n "
                             "WHERE name = 'exchange_calls'"), {'n': size if pending is None else pending})

    with op.batch_alter_table('exchange_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_exchange_calls_entry_at')
        batch_op.drop_index('ix_exchange_calls_consumer_at')
        batch_op.drop_index('ix_exchange_calls_provider_at')
    op.drop_table('exchange_calls')

    op.create_index('ix_ledger_calls_provider', 'ledger_entries', ['provider_org_id', 'at'], unique=False,
                    sqlite_where=CALLS, postgresql_where=CALLS)
    op.create_index('ix_ledger_calls_consumer', 'ledger_entries', ['consumer_org_id', 'at'], unique=False,
                    sqlite_where=CALLS, postgresql_where=CALLS)
    op.create_index('ix_ledger_entries_entry', 'ledger_entries', ['entry_id', 'at'], unique=False)
    op.create_index('ix_ledger_entries_subject', 'ledger_entries', ['subject_hash', 'at'], unique=False,
                    sqlite_where=SUBJECT, postgresql_where=SUBJECT)
    op.create_index('ix_ledger_events_consumer', 'ledger_entries', ['consumer_org_id', 'at'], unique=False,
                    sqlite_where=GOVERNANCE, postgresql_where=GOVERNANCE)
    op.create_index('ix_ledger_events_grant', 'ledger_entries', ['grant_id', 'at'], unique=False,
                    sqlite_where=GOVERNANCE, postgresql_where=GOVERNANCE)


def _backfill_calls_without_leaf(bind) -> None:
    """Calls recorded before the ledger (revision 0004) have no leaf: log them now, in their order."""
    from govshare.ledger.canonical import canonical  # RFC 8785: the one byte form of a leaf

    calls = bind.execute(sa.text(
        "SELECT at, provider_org_id, consumer_org_id, client_id, entry_id, grant_id, method, purpose, subject_hash, "
        "row_count, outcome, status_code FROM exchange_calls WHERE ledger_seq IS NULL ORDER BY id")).all()
    if not calls:
        return
    size = bind.execute(sa.text("UPDATE ledger_state SET size = size + :n WHERE id = 1 RETURNING size"),
                        {'n': len(calls)}).scalar_one()
    first = size - len(calls)
    rows = []
    for i, c in enumerate(calls):
        kind = f"exchange.{c.method}"
        body = {"v": 1, "kind": kind, "at": _iso(c.at), "subject": c.subject_hash, "consumer": c.consumer_org_id,
                "provider": c.provider_org_id, "entry": c.entry_id, "grant": c.grant_id, "client": c.client_id,
                "purpose": c.purpose, "outcome": c.outcome, "status": c.status_code, "rows": c.row_count,
                "request": None, "response": None, "backfilled": True}
        rows.append({"seq": first + i, "at": c.at, "kind": kind, "leaf": canonical(body),
                     "subject_hash": c.subject_hash, "consumer_org_id": c.consumer_org_id,
                     "provider_org_id": c.provider_org_id, "entry_id": c.entry_id, "grant_id": c.grant_id,
                     "method": c.method, "client_id": c.client_id, "purpose": c.purpose, "row_count": c.row_count,
                     "outcome": c.outcome, "status_code": c.status_code})
    entries = sa.table('ledger_entries', *(sa.column(k) for k in rows[0]))
    bind.execute(sa.insert(entries), rows)


def downgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    for name in ('ix_ledger_events_grant', 'ix_ledger_events_consumer', 'ix_ledger_entries_subject',
                 'ix_ledger_entries_entry', 'ix_ledger_calls_consumer', 'ix_ledger_calls_provider'):
        op.drop_index(name, table_name='ledger_entries')
    calls = op.create_table('exchange_calls',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('provider_org_id', sa.String(length=32), nullable=True),
    sa.Column('consumer_org_id', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('entry_id', sa.String(length=32), nullable=False),
    sa.Column('grant_id', sa.String(length=32), nullable=True),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=True),
    sa.Column('subject_hash', sa.String(length=64), nullable=True),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_calls'))
    )
    bind.execute(sa.text(
        "INSERT INTO exchange_calls (at, provider_org_id, consumer_org_id, client_id, entry_id, grant_id, method, "
        "purpose, subject_hash, row_count, outcome, status_code, ledger_seq) SELECT at, provider_org_id, "
        "consumer_org_id, client_id, entry_id, grant_id, method, purpose, subject_hash, row_count, outcome, "
        "status_code, seq FROM ledger_entries WHERE method IS NOT NULL ORDER BY seq"))
    del calls
    with op.batch_alter_table('exchange_calls', schema=None) as batch_op:
        batch_op.create_index('ix_exchange_calls_entry_at', ['entry_id', 'at'], unique=False)
        batch_op.create_index('ix_exchange_calls_consumer_at', ['consumer_org_id', 'at'], unique=False)
        batch_op.create_index('ix_exchange_calls_provider_at', ['provider_org_id', 'at'], unique=False)
    bind.execute(sa.text(
        "UPDATE monitoring_cursor SET name = 'exchange_calls', next_seq = COALESCE((SELECT MAX(id) FROM "
        "exchange_calls WHERE ledger_seq < monitoring_cursor.next_seq), 0) WHERE name = 'ledger'"))
    with op.batch_alter_table('monitoring_cursor', schema=None) as batch_op:
        batch_op.alter_column('next_seq', new_column_name='last_call_id', existing_type=sa.BigInteger(),
                              existing_nullable=False)
    with op.batch_alter_table('ledger_entries', schema=None, recreate='always' if sqlite else 'auto') as batch_op:
        for name in ('status_code', 'outcome', 'row_count', 'purpose', 'client_id', 'method'):
            batch_op.drop_column(name)
        if sqlite:
            batch_op.alter_column('seq', existing_type=sa.Integer(), type_=sa.BigInteger(), autoincrement=False,
                                  existing_nullable=False)
        batch_op.create_index('ix_ledger_entries_consumer', ['consumer_org_id', 'seq'], unique=False)
        batch_op.create_index('ix_ledger_entries_entry', ['entry_id', 'seq'], unique=False)
        batch_op.create_index('ix_ledger_entries_grant', ['grant_id', 'seq'], unique=False)
        batch_op.create_index('ix_ledger_entries_subject', ['subject_hash', 'seq'], unique=False)
