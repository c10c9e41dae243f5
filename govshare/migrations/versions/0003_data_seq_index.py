"""data tables: index `_seq` of tables created before it became their primary key

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Tables created since 0003 have `_seq` as primary key; older ones get an index, so the change
    # feed's range reads by `_seq` are index reads on both.
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table in inspector.get_table_names():
        if not table.startswith("d_"):
            continue
        if "_seq" in (inspector.get_pk_constraint(table).get("constrained_columns") or []):
            continue
        if any(ix["column_names"] == ["_seq"] for ix in inspector.get_indexes(table)):
            continue
        op.execute(sa.text(f'CREATE INDEX "ix_{table}__seq" ON "{table}" (_seq)'))


def downgrade() -> None:
    bind = op.get_bind()
    for table in sa.inspect(bind).get_table_names():
        if table.startswith("d_"):
            op.execute(sa.text(f'DROP INDEX IF EXISTS "ix_{table}__seq"'))
