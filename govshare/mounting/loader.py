"""All-or-nothing loading of validated batches into an entry's data table.

One transaction per load: the entry row is locked (loads of one entry are serialised), rows are
written, row-level changes are recorded with gap-free per-entry sequence numbers, and the mount
state is updated. Any error rolls the whole load back, so readers see the old data or the new,
never a mix; a crash mid-load leaves the previous state (the transaction never commits).

Two paths:
- empty target: rows go straight into the data table (the common first load, and the fast path);
- otherwise: rows go to a temporary staging table and are merged by set-based SQL that classifies
  each key as insert / update / unchanged (and delete, for replace).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govshare.catalog.models import CatalogEntry
from govshare.catalog.vocab import ItemSpec
from govshare.core.config import get_settings
from govshare.core.database import utcnow
from govshare.core.errors import InvalidInput
from govshare.core.i18n import N_
from govshare.core.security import new_id
from govshare.mounting import store

MODES = ("replace", "append", "upsert")


@dataclass
class LoadOutcome:
    """Counts and problems of one load, filled in as it goes."""

    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    warnings: list[dict] = field(default_factory=list)
    warning_count: int = 0

    def add_errors(self, errors: list[dict], count: int | None = None) -> None:
        cap = get_settings().load_error_cap
        self.errors.extend(errors[: max(0, cap - len(self.errors))])
        self.error_count += len(errors) if count is None else count

    def add_warnings(self, warnings: list[dict], count: int | None = None) -> None:
        cap = get_settings().load_error_cap
        self.warnings.extend(warnings[: max(0, cap - len(self.warnings))])
        self.warning_count += len(warnings) if count is None else count


class LoadRejected(InvalidInput):
    """The data broke rules; nothing was written. Details carry the capped error list and total."""

    code = "load_rejected"

    def __init__(self, outcome: LoadOutcome, message: str | None = None):
        self.outcome = outcome
        super().__init__(
            message or f"{outcome.error_count} invalid value(s); nothing was loaded",
            details={"error_count": outcome.error_count, "errors": outcome.errors,
                     "warning_count": outcome.warning_count, "warnings": outcome.warnings},
        )


# A source of typed batches: (first row number, batch with one column per item, in item order).
BatchSource = Callable[[LoadOutcome], Iterator[tuple[int, pa.RecordBatch]]]


def key_array(batch: pa.RecordBatch, items: list[ItemSpec]) -> pa.Array:
    """The canonical `_key` text of each row: the key item's text, or key items joined by U+001F."""
    parts = [_as_text(batch.column(i)) for i, item in enumerate(items) if item.is_key]
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, store.KEY_SEPARATOR)


def _as_text(arr: pa.Array) -> pa.Array:
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return arr
    if pa.types.is_timestamp(arr.type):
        return pc.strftime(arr, format="%Y-%m-%d %H:%M:%S")
    return pc.cast(arr, pa.string())


def _sqlite_column(arr: pa.Array) -> list:
    """Python values sqlite3 binds without adapters (dates as ISO text, booleans as 0/1)."""
    if pa.types.is_date(arr.type):
        return pc.cast(arr, pa.string()).to_pylist()
    if pa.types.is_timestamp(arr.type):
        return pc.strftime(arr, format="%Y-%m-%d %H:%M:%S.%f").to_pylist()
    if pa.types.is_boolean(arr.type):
        return pc.cast(arr, pa.int8()).to_pylist()
    if pa.types.is_decimal(arr.type):  # SQLite has no decimal type; NUMERIC affinity stores REAL
        return pc.cast(arr, pa.float64()).to_pylist()
    return arr.to_pylist()


def _insert_rows(conn: Connection, table: str, columns: list[str], arrays: list[pa.Array | list]) -> None:
    """Bulk insert through the driver's fastest path: executemany on SQLite, COPY on PostgreSQL.

    For SQLite a column may come already converted to Python values (see `_prepared`)."""
    raw = conn.connection.driver_connection
    cols = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "sqlite":
        placeholders = ", ".join("?" * len(columns))
        rows = zip(*[_sqlite_column(a) if isinstance(a, pa.Array) else a for a in arrays])
        raw.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({placeholders})', rows)
        return
    buf = io.BytesIO()
    pacsv.write_csv(pa.table(arrays, names=columns), buf,
                    write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN WITH (FORMAT csv)') as copy:
        copy.write(buf.getvalue())


def _prepared(conn: Connection, batches: Iterator[tuple[int, pa.RecordBatch]]
              ) -> Iterator[tuple[int, pa.RecordBatch, list]]:
    """Batches with their columns as the driver takes them (Python values for SQLite).

    (Converting in a second thread was measured: no gain, the work holds the GIL on both sides;
    the reader already reads ahead in its own thread.)"""
    convert = conn.dialect.name == "sqlite"
    for first_row, batch in batches:
        yield first_row, batch, [_sqlite_column(c) for c in batch.columns] if convert else list(batch.columns)


def _null_safe_equal(conn: Connection, a: str, b: str) -> str:
    return f"{a} IS {b}" if conn.dialect.name == "sqlite" else f"{a} IS NOT DISTINCT FROM {b}"


def run_load(session: Session, entry: CatalogEntry, items: list[ItemSpec], mode: str,
             source: BatchSource, load_id: str) -> LoadOutcome:
    """Load into `entry` inside the session's transaction; raises LoadRejected on bad data."""
    if mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}", code="invalid_input",
                           details=[{"field": "mode", "reason": "unknown mode", "value": mode}])
    conn = session.connection()
    if not entry.data_table:
        entry.data_table = store.new_table_name()
    store.ensure_table(conn, entry.data_table, items)
    empty = conn.execute(text(f'SELECT 1 FROM "{entry.data_table}" LIMIT 1')).first() is None
    outcome = LoadOutcome()
    if empty:
        # A savepoint of our own (not the ORM's): the bulk insert runs on the driver connection.
        conn.exec_driver_sql("SAVEPOINT direct_load")
        try:
            _load_into_empty(conn, entry, items, source, load_id, outcome)
            conn.exec_driver_sql("RELEASE SAVEPOINT direct_load")
        except _Abort:
            conn.exec_driver_sql("ROLLBACK TO SAVEPOINT direct_load")  # invalid values: nothing written
        except (IntegrityError, conn.dialect.dbapi.IntegrityError):
            # A duplicate key (raised by the driver during the bulk insert): redo through staging,
            # which names the rows.
            conn.exec_driver_sql("ROLLBACK TO SAVEPOINT direct_load")
            outcome = LoadOutcome()
            _load_via_staging(conn, entry, items, mode, source, load_id, outcome)
    else:
        _load_via_staging(conn, entry, items, mode, source, load_id, outcome)
    if outcome.error_count:
        raise LoadRejected(outcome)
    changed = outcome.inserted + outcome.updated + outcome.deleted
    now = utcnow()
    entry.row_count = conn.execute(text(f'SELECT COUNT(*) FROM "{entry.data_table}"')).scalar_one()
    entry.mounted = True
    entry.last_load_at = now
    if changed:
        entry.last_change_at = now
        entry.last_seq = outcome.last_seq or entry.last_seq
    session.flush()
    return outcome


def _item_columns(items: list[ItemSpec]) -> list[str]:
    return [i.name for i in items]


def _load_into_empty(conn: Connection, entry: CatalogEntry, items: list[ItemSpec], source: BatchSource,
                     load_id: str, outcome: LoadOutcome) -> None:
    base = entry.last_seq
    seq = base
    key = store.key_column(items)
    own_key = key == "_key"
    # On SQLite `_seq` is the rowid: a first load (sequence numbers from 1) lets SQLite number the
    # rows itself, the append path of its B-tree, instead of checking each given rowid.
    implicit = conn.dialect.name == "sqlite" and base == 0 and store.seq_is_rowid(conn, entry.data_table)
    columns = (["_key"] if own_key else []) + ([] if implicit else ["_seq"]) + _item_columns(items)
    for _first_row, batch, values in _prepared(conn, source(outcome)):
        outcome.rows_read += batch.num_rows
        if outcome.error_count:
            continue  # keep validating to report every error, but write nothing more
        seqs = [] if implicit else [pa.array(range(seq + 1, seq + 1 + batch.num_rows), pa.int64())]
        keys = [key_array(batch, items)] if own_key else []
        _insert_rows(conn, entry.data_table, columns, [*keys, *seqs, *values])
        seq += batch.num_rows
    if outcome.error_count:
        raise _Abort()  # rolls back the savepoint; caller raises LoadRejected
    if seq > base:
        conn.execute(text(
            "INSERT INTO data_changes (entry_id, seq, op, key, load_id) "
            f"SELECT :entry, _seq, 'insert', \"{key}\", :load FROM \"{entry.data_table}\""),
            {"entry": entry.id, "load": load_id})
        outcome.inserted = seq - base
        outcome.first_seq, outcome.last_seq = base + 1, seq


class _Abort(Exception):
    pass


def _load_via_staging(conn: Connection, entry: CatalogEntry, items: list[ItemSpec], mode: str,
                      source: BatchSource, load_id: str, outcome: LoadOutcome) -> None:
    stg = "stg_" + new_id(nbytes=6).lower()
    target = entry.data_table
    cols = _item_columns(items)
    item_cols = [store.column_for(i).type.compile(dialect=conn.dialect) for i in items]
    ddl = ", ".join(f'"{c}" {t}' for c, t in zip(cols, item_cols))
    suffix = " ON COMMIT DROP" if conn.dialect.name == "postgresql" else ""
    conn.execute(text(f'CREATE TEMP TABLE "{stg}" (_key TEXT NOT NULL, _row BIGINT NOT NULL, _op TEXT, '
                      f'_seq BIGINT, {ddl}){suffix}'))
    try:
        for first_row, batch, values in _prepared(conn, source(outcome)):
            outcome.rows_read += batch.num_rows
            if outcome.error_count:
                continue
            rows = pa.array(range(first_row, first_row + batch.num_rows), pa.int64())
            _insert_rows(conn, stg, ["_key", "_row", *cols], [key_array(batch, items), rows, *values])
        if outcome.error_count:
            return
        conn.execute(text(f'CREATE INDEX "ix_{stg}_key" ON "{stg}" (_key)'))
        if _duplicate_keys(conn, stg, items, outcome) or (
                mode == "append" and _existing_keys(conn, stg, target, items, outcome)):
            return
        _merge(conn, entry, stg, items, mode, load_id, outcome)
    finally:
        conn.execute(text(f'DROP TABLE IF EXISTS "{stg}"'))


def _key_label(items: list[ItemSpec]) -> tuple[str, str]:
    keys = [i for i in items if i.is_key]
    return "+".join(i.name for i in keys), "+".join(i.label for i in keys)


def _duplicate_keys(conn: Connection, stg: str, items: list[ItemSpec], outcome: LoadOutcome) -> bool:
    cap = get_settings().load_error_cap
    total = conn.execute(text(
        f'SELECT COUNT(*) FROM (SELECT _key FROM "{stg}" GROUP BY _key HAVING COUNT(*) > 1) d')).scalar_one()
    if not total:
        return False
    column, label = _key_label(items)
    rows = conn.execute(text(
        f'SELECT s._row, s._key, d.first_row FROM "{stg}" s JOIN (SELECT _key, MIN(_row) AS first_row FROM "{stg}" '
        f'GROUP BY _key HAVING COUNT(*) > 1) d ON d._key = s._key WHERE s._row > d.first_row ORDER BY s._row '
        f'LIMIT :cap'), {"cap": cap}).all()
    dup_rows = conn.execute(text(
        f'SELECT COUNT(*) - COUNT(DISTINCT _key) FROM "{stg}" WHERE _key IN '
        f'(SELECT _key FROM "{stg}" GROUP BY _key HAVING COUNT(*) > 1)')).scalar_one()
    outcome.add_errors([
        {"row": r._row, "column": column, "label": label, "value": r._key.replace(store.KEY_SEPARATOR, "+"),
         "reason": f"duplicate key: same as row {r.first_row}",
         "reason_template": N_("duplicate key: same as row %(row)s"), "params": {"row": r.first_row}}
        for r in rows], count=dup_rows)
    return True


def _existing_keys(conn: Connection, stg: str, target: str, items: list[ItemSpec], outcome: LoadOutcome) -> bool:
    cap = get_settings().load_error_cap
    key = store.key_column(items)
    total = conn.execute(text(
        f'SELECT COUNT(*) FROM "{stg}" s WHERE EXISTS (SELECT 1 FROM "{target}" t WHERE t."{key}" = s._key)')
    ).scalar_one()
    if not total:
        return False
    column, label = _key_label(items)
    rows = conn.execute(text(
        f'SELECT s._row, s._key FROM "{stg}" s WHERE EXISTS (SELECT 1 FROM "{target}" t WHERE t."{key}" = s._key) '
        f'ORDER BY s._row LIMIT :cap'), {"cap": cap}).all()
    outcome.add_errors([
        {"row": r._row, "column": column, "label": label, "value": r._key.replace(store.KEY_SEPARATOR, "+"),
         "reason": N_("key already loaded; append adds new keys only (use upsert or replace)")} for r in rows],
        count=total)
    return True


def _merge(conn: Connection, entry: CatalogEntry, stg: str, items: list[ItemSpec], mode: str, load_id: str,
           outcome: LoadOutcome) -> None:
    target = entry.data_table
    cols = _item_columns(items)
    key = store.key_column(items)
    params = {"entry": entry.id, "load": load_id}
    conn.execute(text(
        f'UPDATE "{stg}" SET _op = \'i\' WHERE NOT EXISTS (SELECT 1 FROM "{target}" t WHERE t."{key}" = "{stg}"._key)'))
    same = " AND ".join(_null_safe_equal(conn, f't."{c}"', f'"{stg}"."{c}"') for c in cols)
    conn.execute(text(
        f'UPDATE "{stg}" SET _op = \'u\' WHERE _op IS NULL AND EXISTS (SELECT 1 FROM "{target}" t '
        f'WHERE t."{key}" = "{stg}"._key AND NOT ({same}))'))
    base = entry.last_seq
    conn.execute(text(
        f'UPDATE "{stg}" SET _seq = r.n + :base FROM (SELECT _row, ROW_NUMBER() OVER (ORDER BY _row) AS n '
        f'FROM "{stg}" WHERE _op IS NOT NULL) r WHERE "{stg}"._row = r._row'), {"base": base})
    counts = dict(conn.execute(text(
        f'SELECT _op, COUNT(*) FROM "{stg}" WHERE _op IS NOT NULL GROUP BY _op')).all())
    outcome.inserted, outcome.updated = counts.get("i", 0), counts.get("u", 0)
    outcome.unchanged = outcome.rows_read - outcome.inserted - outcome.updated
    seq = base + outcome.inserted + outcome.updated
    conn.execute(text(
        "INSERT INTO data_changes (entry_id, seq, op, key, load_id) "
        f"SELECT :entry, _seq, CASE _op WHEN 'i' THEN 'insert' ELSE 'update' END, _key, :load "
        f'FROM "{stg}" WHERE _op IS NOT NULL'), params)
    if mode == "replace":
        missing = f'NOT EXISTS (SELECT 1 FROM "{stg}" s WHERE s._key = "{target}"."{key}")'
        result = conn.execute(text(
            "INSERT INTO data_changes (entry_id, seq, op, key, load_id) "
            f'SELECT :entry, :base + ROW_NUMBER() OVER (ORDER BY "{key}"), \'delete\', "{key}", :load '
            f'FROM "{target}" WHERE {missing}'), {**params, "base": seq})
        outcome.deleted = result.rowcount
        conn.execute(text(f'DELETE FROM "{target}" WHERE {missing}'))
        seq += outcome.deleted
    assignments = ", ".join(f'"{c}" = s."{c}"' for c in cols)
    conn.execute(text(
        f'UPDATE "{target}" SET {assignments}, _seq = s._seq FROM "{stg}" s '
        f'WHERE s._key = "{target}"."{key}" AND s._op = \'u\''))
    col_list = ", ".join(f'"{c}"' for c in cols)
    own_key = "_key, " if key == "_key" else ""
    conn.execute(text(
        f'INSERT INTO "{target}" ({own_key}_seq, {col_list}) SELECT {own_key}_seq, {col_list} FROM "{stg}" '
        f"WHERE _op = 'i'"))
    if seq > base:
        outcome.first_seq, outcome.last_seq = base + 1, seq


def iterate_once(batches: Iterable[tuple[int, pa.RecordBatch]]) -> BatchSource:
    """Wrap an iterator as a BatchSource that can only be consumed once (no re-run possible)."""
    used = False

    def source(_outcome: LoadOutcome) -> Iterator[tuple[int, pa.RecordBatch]]:
        nonlocal used
        if used:
            raise RuntimeError("batch source already consumed")
        used = True
        return iter(batches)
    return source


def elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
