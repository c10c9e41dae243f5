"""subjects are indexed by the integrator (ledger_subjects), not with each leaf's row

`ix_ledger_entries_subject` (keyed hash, time) wrote a random page for every call. `ledger_subjects`
(first 64 bits of the keyed hash, leaf number) is written by the integrator with each checkpoint, in
key order; it covers exactly the integrated leaves, so it is filled here for the leaves below the
latest checkpoint.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""
from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

SUBJECT = sa.text("subject_hash IS NOT NULL")
CHUNK = 50_000


def _key(subject: str) -> int:
    """`ledger.subjects.subject_key` as of this revision (the index's rows must stay what it wrote)."""
    try:
        raw = bytes.fromhex(subject[:16])
    except ValueError:
        raw = b""
    if len(raw) != 8:
        raw = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).digest()[:8]
    return int.from_bytes(raw, "big", signed=True)


def upgrade() -> None:
    op.create_table(
        'ledger_subjects',
        sa.Column('subject_key', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint('subject_key', 'seq', name=op.f('pk_ledger_subjects')),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    integrated = bind.execute(sa.text("SELECT max(size) FROM ledger_checkpoints")).scalar() or 0
    after = -1
    while True:
        rows = bind.execute(sa.text("SELECT seq, subject_hash FROM ledger_entries WHERE seq > :after AND seq < :n "
                                    "AND subject_hash IS NOT NULL ORDER BY seq LIMIT :chunk"),
                            {"after": after, "n": integrated, "chunk": CHUNK}).all()
        if not rows:
            break
        bind.execute(sa.text("INSERT INTO ledger_subjects (subject_key, seq) VALUES (:k, :s)"),
                     sorted(({"k": _key(subject), "s": seq} for seq, subject in rows), key=lambda r: (r["k"], r["s"])))
        after = rows[-1][0]
    op.drop_index('ix_ledger_entries_subject', table_name='ledger_entries', sqlite_where=SUBJECT,
                  postgresql_where=SUBJECT)


def downgrade() -> None:
    op.create_index('ix_ledger_entries_subject', 'ledger_entries', ['subject_hash', 'at'], unique=False,
                    sqlite_where=SUBJECT, postgresql_where=SUBJECT)
    op.drop_table('ledger_subjects')
