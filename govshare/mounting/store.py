"""Physical tables of mounted data: one table per entry, columns from its items.

Every data table has one column per item, `_seq` (the change sequence number that last touched the
row; the primary key) and a unique key column: the key item itself when the entry has a single text key (the common
case: an ID number, a credit code, a certificate number), otherwise `_key`, the key items joined as
one canonical text.
"""

from __future__ import annotations

import re

from sqlalchemy import (
    BigInteger, Boolean, Column, Date, DateTime, Float, Index, Integer, MetaData, Numeric, Table, Text, inspect, text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex, CreateTable

from govshare.catalog.vocab import ItemSpec
from govshare.core.security import new_id
from govshare.mounting.validation import DEFAULT_MONEY_SCALE, MONEY_DIGITS

KEY_SEPARATOR = "\x1f"  # unit separator: cannot occur in validated text values

_SQL_TYPES = {
    "C": Text, "M": Text, "N": Float, "B": Float, "F": Float,
    "I": BigInteger, "D": Date, "T": DateTime, "L": Boolean,
}
_SEQ_TYPE = BigInteger().with_variant(Integer, "sqlite")  # INTEGER PRIMARY KEY is SQLite's rowid
_SAFE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def new_table_name() -> str:
    return "d_" + new_id(nbytes=6).lower().replace("x", "0")


def column_for(item: ItemSpec) -> Column:
    if not _SAFE_NAME.match(item.name):  # item names are validated on input; this guards the DDL
        raise ValueError(f"unsafe item name {item.name!r}")
    if item.data_type == "Y":  # money is exact: NUMERIC on PostgreSQL (SQLite keeps REAL)
        sql_type = Numeric(MONEY_DIGITS, DEFAULT_MONEY_SCALE if item.precision is None else item.precision,
                           asdecimal=True)
    else:
        sql_type = _SQL_TYPES[item.data_type]()
    return Column(item.name, sql_type, nullable=True)


def key_column(items: list[ItemSpec]) -> str:
    """The unique key column of an entry's data table."""
    keys = [i for i in items if i.is_key]
    return keys[0].name if len(keys) == 1 and keys[0].data_type == "C" else "_key"


def data_table(name: str, items: list[ItemSpec]) -> Table:
    """The SQLAlchemy Table for an entry's data (a fresh MetaData each time: items can change)."""
    key = key_column(items)
    columns = [column_for(i) for i in items]
    if key == "_key":
        columns.insert(0, Column("_key", Text, nullable=False, unique=True))
    else:
        for col in columns:
            if col.name == key:
                col.unique, col.nullable = True, False
    # `_seq` is the primary key (on SQLite the rowid itself): the change feed reads the rows a page
    # of changes touched as one range of `_seq`, not one key lookup per change.
    table = Table(name, MetaData(), Column("_seq", _SEQ_TYPE, primary_key=True, autoincrement=False), *columns)
    keys = [i for i in items if i.is_key]
    if len(keys) > 1:  # a single key is served by the unique key column itself
        for item in keys:
            Index(f"ix_{name}_{item.name}", table.c[item.name])
    return table


def seq_is_rowid(conn: Connection, name: str) -> bool:
    """SQLite tables created since migration 0003 have `_seq` as their rowid (older ones: a column)."""
    rows = conn.execute(text(f'SELECT name, pk FROM pragma_table_info(\'{name}\')')).all()
    return any(r.name == "_seq" and r.pk == 1 for r in rows)


def ensure_table(conn: Connection, name: str, items: list[ItemSpec]) -> Table:
    """Create the table, or add columns for items added since (optional items only)."""
    table = data_table(name, items)
    inspector = inspect(conn)
    if not inspector.has_table(name):
        conn.execute(CreateTable(table))
        for index in table.indexes:
            conn.execute(CreateIndex(index))
        return table
    existing = {c["name"] for c in inspector.get_columns(name)}
    for item in items:
        if item.name not in existing:
            col = column_for(item)
            col_type = col.type.compile(dialect=conn.dialect)
            conn.execute(text(f'ALTER TABLE "{name}" ADD COLUMN "{item.name}" {col_type}'))
    return table


def drop_table(conn: Connection, name: str) -> None:
    conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
