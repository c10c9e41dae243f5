"""Exchange: key lookup, yes/no verification, bulk export, change feed.

Every call takes the same path: client token → grant check (`policy.authorize`) → projection →
region scope → masking (`sharing.masking.Masker`, built once per grant) → audit record. The audit
record is handed to the group-commit writer; the caller waits for it (`Outcome`) before anything
leaves, so a call without its record never returns data.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from datetime import date, datetime

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from govshare.catalog.vocab import ItemSpec
from govshare.core.config import get_settings
from govshare.core.database import driver_cursor, driver_row, driver_rows, utcnow
from govshare.core.errors import GovShareError, InvalidInput, RateLimited
from govshare.core.ratelimit import limiter
from govshare.core.threads import start_daemon
from govshare.exchange import audit
from govshare.exchange.policy import GrantPolicy, authorize, entry_of, row_tokens
from govshare.ledger.sequencer import RECEIPT_HEADER, Receipt, call_event, make_event
from govshare.mounting import store
from govshare.orgs.service import Principal

EXPORT_FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson",
                  "parquet": "application/vnd.apache.parquet",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
XLSX_MAX_ROWS = 1_048_575  # the sheet's limit, less the header
ROW_TOKEN = "_key"


@dataclass
class Outcome:
    """A call's answer (or error) and its audit record; the record must be durable before either.

    `content` is the answer as sent (its hash is in the call's ledger leaf); after the wait,
    `receipt` is the ledger's signed receipt for the call, with the salt of the leaf's hashes (also
    attached to an error's headers)."""

    audit: Future | asyncio.Future  # asyncio's when the call was made on an event loop
    body: object = None
    error: GovShareError | None = None
    content: bytes | None = None
    receipt: Receipt | None = None

    def _settled(self, receipt: Receipt | None):
        if receipt is not None:
            self.receipt = receipt
        if self.error is not None:
            if receipt is not None:
                self.error.headers = {**(self.error.headers or {}), RECEIPT_HEADER: receipt.header()}
            raise self.error
        return self.body

    def wait(self, timeout: float = 30.0):
        if isinstance(self.audit, asyncio.Future):
            raise RuntimeError("a call made on an event loop is awaited: use wait_async()")
        return self._settled(self.audit.result(timeout))

    async def wait_async(self):
        return self._settled(await (self.audit if isinstance(self.audit, asyncio.Future)
                                     else asyncio.wrap_future(self.audit)))

    @property
    def headers(self) -> dict[str, str]:
        return {RECEIPT_HEADER: self.receipt.header()} if self.receipt else {}


def _record(principal: Principal, entry_id: str, method: str, grant: GrantPolicy | None, status: int,
            outcome: str, rows: int = 0, subject: str | None = None, request: dict | None = None,
            content: bytes | None = None) -> Future:
    """The call's ledger leaf, which is also its audit record. The leaf holds the subject as a keyed hash
    and the request and response only as hashes salted per call (the salt goes to the caller in the
    receipt), so neither an ID number nor a yes/no answer can be recovered from the log by guessing
    (`sequencer.CallEvent`, made by the audit writer)."""
    entry = grant.entry if grant else entry_of(principal, entry_id)
    return audit.log_event(call_event(
        method, client_id=principal.id, consumer_org_id=principal.org_id,
        provider_org_id=entry.provider_org_id if entry else None, entry_id=entry_id[:32],
        grant_id=grant.grant_id if grant else None, subject=subject or None,
        purpose=grant.purpose if grant else None, outcome=outcome, status=status, rows=rows,
        request=request, response=content))


def _governed(principal: Principal, entry_id: str, method: str, request: dict,
              work: Callable[[], tuple[object, GrantPolicy, int, str | None]], keyed_by: dict | None = None) -> Outcome:
    """Run `work` (returns body, grant, row count, subject) and audit whatever happens. `keyed_by` (the
    request's item → value) names the subject of a refused call too: the person whose data was asked for."""
    try:
        body, grant, rows, subject = work()
    except GovShareError as exc:
        grant = getattr(exc, "grant", None)
        subject = getattr(exc, "subject", None) or (_asked_key(principal, entry_id, keyed_by) if keyed_by else None)
        return Outcome(_record(principal, entry_id, method, grant, exc.status_code, exc.code, subject=subject,
                               request=request), error=exc)
    content = dumps(body) if body is not None else None
    return Outcome(_record(principal, entry_id, method, grant, 200, "ok" if rows else "not_found", rows, subject,
                           request, content), body=body, content=content)


def _asked_key(principal: Principal, entry_id: str, given: dict) -> str | None:
    """The key value a refused call asked for, when the entry's key items are known and all given."""
    entry = entry_of(principal, entry_id)
    if entry is None or not all(s.name in given for s in entry.key_items):
        return None
    parts = [str(given[s.name]) for s in entry.key_items]
    return parts[0] if len(parts) == 1 else store.KEY_SEPARATOR.join(parts)


def _check_rate(grant: GrantPolicy, principal: Principal) -> None:
    retry = limiter().hit(f"{principal.id}:{grant.grant_id}", grant.rate_limit)
    if retry:
        exc = RateLimited(f"more than {grant.rate_limit} calls per minute for this client and grant",
                          headers={"Retry-After": str(retry)}, details={"retry_after": retry})
        exc.grant = grant
        raise exc


# ---- values ----------------------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def py_value(spec: ItemSpec) -> Callable:
    """Stored value -> the canonical Python value (what a JSON answer shows), for both stores."""
    match spec.data_type:
        case "D":  # SQLite keeps ISO text, which is already what JSON shows
            return lambda v: v[:10] if isinstance(v, str) else v
        case "T":
            return lambda v: datetime.fromisoformat(v) if isinstance(v, str) else v
        case "L":  # SQLite: 0/1, or "0"/"1" read as text
            return lambda v: None if v is None else (v if isinstance(v, bool) else str(v) in ("1", "t", "true"))
        case "Y" | "N" | "B" | "F":
            return lambda v: None if v is None else float(v)
        case "I":
            return lambda v: None if v is None else int(v)
    return lambda v: v


def _json_default(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return float(value)  # Decimal


def dumps(body) -> bytes:
    return orjson.dumps(body, default=_json_default)


def _columns_sql(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _key_value(grant: GrantPolicy, given: dict[str, str]) -> str:
    """The stored key text for the key items' values (joined for composite keys)."""
    parts = [given[s.name] for s in grant.entry.key_items]
    return parts[0] if len(parts) == 1 else store.KEY_SEPARATOR.join(parts)


# ---- lookup ----------------------------------------------------------------------------------------

def lookup(conn: Connection, principal: Principal, entry_id: str, query: dict[str, str],
           now: datetime | None = None) -> Outcome:
    """Rows by key: `?{key_item}=value[&fields=a,b]` → `{"records": [...]}`, granted items, masked."""
    now = now or utcnow()

    def work():
        fields = [f.strip() for f in query.get("fields", "").split(",") if f.strip()]
        keys = {k: v for k, v in query.items() if k != "fields"}
        grant = authorize(conn, principal, entry_id, "lookup", [*fields, *keys], now)
        entry = grant.entry
        key_names = [s.name for s in entry.key_items]
        unknown = [k for k in keys if k not in key_names]
        if unknown or set(keys) != set(key_names):
            raise InvalidInput(f"look up by the key: {', '.join(key_names)}",
                               details=[{"field": k, "reason": "not a key item"} for k in unknown]
                               or [{"field": "+".join(key_names), "reason": "every key item is required"}])
        _check_rate(grant, principal)
        value = _key_value(grant, keys)
        region, params = grant.region_sql()
        row = driver_row(conn, f'SELECT {_columns_sql(grant.items)} FROM "{entry.data_table}" '
                               f'WHERE "{entry.key_column}" = :key{region}', {"key": value, **params})
        records = []
        if row is not None:
            records.append(grant.masker.row({s.name: py_value(s)(v) for s, v in zip(grant.specs, row)}))
            if fields:
                records = [{k: v for k, v in r.items() if k in fields} for r in records]
        return {"records": records}, grant, len(records), value

    return _governed(principal, entry_id, "lookup", {"query": query}, work, keyed_by=query)


# ---- verify ----------------------------------------------------------------------------------------

def _given_text(spec: ItemSpec, value) -> str:
    """A value from the request in the canonical text the stored value is compared with."""
    if value is None:
        raise ValueError("null")
    match spec.data_type:
        case "D":
            return date.fromisoformat(str(value).strip().replace("/", "-")).isoformat()
        case "T":
            return datetime.fromisoformat(str(value).strip().replace("/", "-")).isoformat()
        case "L":
            if isinstance(value, bool):
                return str(value)
            lowered = str(value).strip().lower()
            if lowered in ("true", "1", "是", "y", "yes"):
                return "True"
            if lowered in ("false", "0", "否", "n", "no"):
                return "False"
            raise ValueError("not a boolean")
        case "Y" | "N" | "B" | "F":
            return repr(float(value))
        case "I":
            return str(int(value))
    return str(value).strip()


def _stored_text(convert: Callable, value) -> str | None:
    value = convert(value)
    if value is None:
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def verify(conn: Connection, principal: Principal, entry_id: str, match: dict, now: datetime | None = None) -> Outcome:
    """`{"match": {item: value}}` → `{"result": true|false}`: does the keyed row hold these values?"""
    now = now or utcnow()

    def work():
        grant = authorize(conn, principal, entry_id, "verify", list(match), now)
        entry = grant.entry
        key_names = [s.name for s in entry.key_items]
        missing = [k for k in key_names if k not in match]
        if missing:
            raise InvalidInput("a verification names the key", details=[
                {"field": k, "reason": "every key item is required"} for k in missing])
        problems, wanted = [], {}
        for name, value in match.items():
            try:
                wanted[name] = _given_text(entry.spec(name), value)
            except (ValueError, TypeError):
                problems.append({"field": name, "reason": f"not a valid {entry.spec(name).data_type} value",
                                 "value": str(value)[:100]})
        if problems:
            raise InvalidInput("invalid values to verify", details=problems)
        _check_rate(grant, principal)
        key = _key_value(grant, {k: wanted[k] if entry.spec(k).data_type == "C" else str(match[k])
                                 for k in key_names})
        region, params = grant.region_sql()
        names = list(match)
        row = driver_row(conn, f'SELECT {_columns_sql(names)} FROM "{entry.data_table}" '
                               f'WHERE "{entry.key_column}" = :key{region}', {"key": key, **params})
        result = row is not None and all(
            _stored_text(py_value(entry.spec(n)), v) == wanted[n] for n, v in zip(names, row))
        return {"result": result}, grant, 1 if result else 0, key

    return _governed(principal, entry_id, "verify", {"match": match}, work, keyed_by=match)


# ---- change feed ------------------------------------------------------------------------------------

def changes(conn: Connection, principal: Principal, entry_id: str, cursor: str | None, limit: int,
            now: datetime | None = None) -> Outcome:
    """Changes after `cursor`, oldest first: `{"changes": [{op, key, record, seq}], "next_cursor"}`.

    `key` is the consumer's row token (the `_key` column of its export). Each change carries the
    row as it is now; a change whose row has changed again since is left out (its successor comes
    later), so a consumer that applies the changes in order converges on the provider's data. Rows
    outside the grant's region come as deletes (a row may have moved out of the region).
    """
    now = now or utcnow()

    def work():
        try:
            after = int(cursor or 0)
            if after < 0:
                raise ValueError
        except ValueError:
            raise InvalidInput("cursor must be a value returned as next_cursor",
                               details=[{"field": "cursor", "reason": "not a feed cursor", "value": cursor}]) from None
        page = max(1, min(limit, get_settings().feed_page_max))
        grant = authorize(conn, principal, entry_id, "feed", [], now)
        _check_rate(grant, principal)
        entry = grant.entry
        changes = driver_rows(conn, "SELECT seq, op, key FROM data_changes WHERE entry_id = :e AND seq > :after "
                                    "ORDER BY seq LIMIT :limit", {"e": entry_id, "after": after, "limit": page})
        if not changes:
            return {"changes": [], "next_cursor": str(after)}, grant, 0, None
        last = changes[-1][0]
        # The rows as they are now whose last change is in this page: one range of `_seq` (the key).
        rows = _current_rows(conn, grant, after, last)
        current = {r[0] for r in rows}
        if grant.region_item:
            rows = [r for r in rows if grant.in_region(r[-1])]
        records = dict(zip((r[0] for r in rows), _records(grant, rows, 1)))
        # A delete is current unless the key has come back since (its later insert follows).
        deleted = [key for _, op, key in changes if op == "delete"]
        back = _present_keys(conn, entry, deleted) if deleted else set()
        kept = []
        for seq, op, key in changes:
            if op == "delete":
                if key not in back:
                    kept.append((seq, "delete", key, None))
            elif seq in records:
                kept.append((seq, op, key, records[seq]))
            elif seq in current:
                kept.append((seq, "delete", key, None))  # the row is now outside the grant's region
        tokens = row_tokens(grant.row_key, [k for _, _, k, _ in kept])
        out = [{"seq": seq, "op": op, "key": token, "record": record}
               for (seq, op, _, record), token in zip(kept, tokens)]
        return {"changes": out, "next_cursor": str(last)}, grant, len(out), None

    return _governed(principal, entry_id, "feed", {"cursor": cursor, "limit": limit}, work)


def _current_rows(conn: Connection, grant: GrantPolicy, after: int, last: int) -> list[tuple]:
    """(_seq, granted items…, region item) of the rows whose last change is in (after, last]."""
    names = [*grant.items, *([grant.region_item] if grant.region_item else [])]
    return driver_rows(conn, f'SELECT _seq, {_columns_sql(names)} FROM "{grant.entry.data_table}" '
                             f'WHERE _seq > :after AND _seq <= :last ORDER BY _seq', {"after": after, "last": last})


def _present_keys(conn: Connection, entry, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        part = keys[start:start + 500]
        params = {f"k{i}": k for i, k in enumerate(part)}
        found.update(r[0] for r in driver_rows(
            conn, f'SELECT "{entry.key_column}" FROM "{entry.data_table}" WHERE "{entry.key_column}" IN '
                  f'({", ".join(":" + p for p in params)})', params))
    return found


_IDENTITY = frozenset("CM")


def _records(grant: GrantPolicy, rows: list[tuple], offset: int) -> list[dict]:
    """Rows (the granted items' stored values from position `offset`) as the JSON records a lookup
    returns: clear values through the same conversion as a lookup, masked ones through the masker."""
    if not rows:
        return []
    masker = grant.masker
    position = {n: offset + i for i, n in enumerate(grant.items)}
    names = masker.columns
    pick = itemgetter(*[position[n] for n in names]) if names else (lambda _r: ())
    records = [dict(zip(names, pick(r) if len(names) > 1 else (pick(r),))) for r in rows]
    for name in names:
        spec = grant.entry.spec(name)
        if name in masker.changed or spec.data_type in _IDENTITY:
            continue
        convert = py_value(spec)
        for record in records:
            value = record[name]
            if value is not None:
                record[name] = convert(value)
    if masker.changed:
        arrays = {n: _typed(grant.entry.spec(n), _as_text([r[position[n]] for r in rows])) for n in masker.changed}
        for name, array in masker.arrays(arrays).items():
            for record, value in zip(records, array.to_pylist()):
                record[name] = value
    return records


# ---- bulk export -------------------------------------------------------------------------------------

@dataclass
class Export:
    """A started export: headers to send and the body to stream (holds one read snapshot)."""

    filename: str
    media_type: str
    cursor: int
    rows: int
    chunks: Iterator[bytes]
    receipt: Receipt | None = None


def export(engine: Engine, principal: Principal, entry_id: str, fmt: str, now: datetime | None = None) -> Export:
    """Open one consistent snapshot, count, audit, then stream it in bounded chunks.

    `cursor` is the feed position of the snapshot: following the feed from there after loading
    the export gives exactly the provider's data.
    """
    now = now or utcnow()
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(EXPORT_FORMATS)}",
                           details=[{"field": "format", "reason": "unknown format", "value": fmt}])
    conn = engine.connect()
    if conn.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    else:
        conn = conn.execution_options(read_only=True)
    try:
        conn.begin()
        state: dict = {}

        def work():
            grant = authorize(conn, principal, entry_id, "export", [], now)
            _check_rate(grant, principal)
            region, params = grant.region_sql()
            table = grant.entry.data_table
            cursor = conn.execute(text("SELECT last_seq FROM catalog_entries WHERE id = :id"),
                                  {"id": entry_id}).scalar_one()
            count = conn.execute(text(f'SELECT count(*) FROM "{table}" WHERE 1 = 1{region}'), params).scalar_one()
            if fmt == "xlsx" and count > XLSX_MAX_ROWS:
                raise InvalidInput(f"{count} rows do not fit in one XLSX sheet; use csv, jsonl or parquet",
                                   details=[{"field": "format", "reason": "too many rows for xlsx", "value": count}])
            state.update(grant=grant, cursor=cursor, count=count, region=region, params=params)
            return None, grant, count, None

        outcome = _governed(principal, entry_id, "export", {"format": fmt}, work)
        outcome.wait()
    except BaseException:
        conn.close()
        raise
    grant = state["grant"]
    chunks = _stream(conn, grant, fmt, state["region"], state["params"])
    return Export(filename=f"{entry_id}.{fmt}", media_type=EXPORT_FORMATS[fmt], cursor=state["cursor"],
                  rows=state["count"], chunks=_hashed(chunks, principal, grant, outcome), receipt=outcome.receipt)


def _hashed(chunks: Iterator[bytes], principal: Principal, grant: GrantPolicy, started: Outcome) -> Iterator[bytes]:
    """The export's bytes as they stream; at the end, a ledger event with their (salted) hash, linked to
    the export call's leaf. A stream the client abandons logs how far it got."""
    digest = hashlib.sha256(bytes.fromhex(started.receipt.salt))
    size, complete = 0, False
    try:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            yield chunk
        complete = True
    finally:
        audit.log_event(make_event(
            "exchange.export.completed" if complete else "exchange.export.aborted",
            consumer_org_id=principal.org_id, provider_org_id=grant.entry.provider_org_id,
            entry_id=grant.entry.id, grant_id=grant.grant_id, client=principal.id,
            call=started.receipt.seq if started.receipt else None, bytes=size, response=digest.hexdigest()))


# Exports read rows as text, not as one Python object per value: SQLite hands back one string per
# row (fields joined by U+001F, NULL as U+001E; neither occurs in validated values) that Arrow
# splits; PostgreSQL streams `COPY … TO STDOUT` CSV into Arrow's CSV reader. Either way Arrow
# gets string columns and types them, and the masker works on whole columns.
_FIELD, _NULL = "\x1f", "\x1e"


def _batches(conn: Connection, grant: GrantPolicy, region: str, params: dict) -> Iterator[pa.RecordBatch]:
    entry = grant.entry
    names = [entry.key_column, *grant.items]
    if conn.dialect.name == "sqlite":
        texts = _sqlite_texts(conn, entry, names, region, params)
    else:
        texts = _copy_texts(conn, entry, names, grant.region_item if region else None, grant.region_prefix)
    for columns in texts:
        keys, *values = columns
        typed = [_typed(spec, column) for spec, column in zip(grant.specs, values)]
        batch = grant.masker.batch(pa.RecordBatch.from_arrays(typed, names=list(grant.items)))
        token = pa.array(row_tokens(grant.row_key, keys.to_pylist()), pa.string())
        yield pa.RecordBatch.from_arrays([token, *batch.columns], names=[ROW_TOKEN, *batch.schema.names])


def _sqlite_texts(conn: Connection, entry, names: list[str], region: str, params: dict) -> Iterator[list[pa.Array]]:
    chunk = get_settings().export_chunk_rows
    row = " || char(31) || ".join(f'coalesce(CAST("{n}" AS TEXT), char(30))' for n in names)
    cursor = driver_cursor(conn, f'SELECT {row} FROM "{entry.data_table}" WHERE 1 = 1{region}', params)

    def fetch() -> Iterator[pa.Array]:
        while rows := cursor.fetchmany(chunk):
            yield pa.array([r[0] for r in rows], pa.string())

    try:
        # SQLite steps through rows without the GIL: reading the next chunk in a second thread
        # overlaps it with masking and encoding this one (at most two chunks in memory).
        for lines in _prefetched(fetch()):
            parts = pc.split_pattern(lines, _FIELD)
            columns = []
            for i in range(len(names)):
                column = pc.list_element(parts, i)
                columns.append(pc.if_else(pc.equal(column, _NULL), pa.scalar(None, pa.string()), column))
            yield columns
    finally:
        cursor.close()


def _prefetched(items: Iterator, depth: int = 1) -> Iterator:
    """`items`, produced one step ahead in a background thread; stops it when the consumer stops."""
    import queue
    import threading

    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(done)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
            slots.put(exc)

    thread = start_daemon(produce, "govshare-export-read")
    try:
        while (item := slots.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


class _CopyReader(io.RawIOBase):
    """A readable file over psycopg's COPY TO STDOUT data (a row per block), for Arrow's CSV reader,
    which asks for megabytes at a time: blocks are gathered until a read is filled."""

    def __init__(self, copy):
        self._blocks = iter(copy)
        self._buffer = bytearray()
        self._done = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            block = next(self._blocks, None)
            if block is None:
                self._done = True
            else:
                self._buffer += block
        if size < 0 or size >= len(self._buffer):
            out, self._buffer = bytes(self._buffer), bytearray()
        else:
            out = bytes(self._buffer[:size])
            del self._buffer[:size]
        return out

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _copy_texts(conn: Connection, entry, names: list[str], region_item: str | None,
                prefix: str | None) -> Iterator[list[pa.Array]]:
    where = ""
    if region_item:
        assert prefix and prefix.isdigit()  # a validated region-code prefix: safe to inline (COPY takes no parameters)
        where = f""" AND "{region_item}" LIKE '{prefix}%'"""
    sql = (f'COPY (SELECT {_columns_sql(names)} FROM "{entry.data_table}" WHERE 1 = 1{where}) '
           "TO STDOUT WITH (FORMAT csv)")
    with conn.connection.driver_connection.cursor() as cur, cur.copy(sql) as copy:
        reader = pacsv.open_csv(
            _CopyReader(copy),
            read_options=pacsv.ReadOptions(column_names=names, block_size=2 << 20, use_threads=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=True, quoted_strings_can_be_null=False))
        for batch in reader:
            yield list(batch.columns)


def _as_text(values: list) -> pa.Array:
    """Stored values as read by the driver, as text (the form `_typed` takes)."""
    return pa.array([None if v is None else str(v) for v in values], pa.string())


def _typed(spec: ItemSpec, column: pa.Array) -> pa.Array:
    """A string column of stored values (either store's text, or `str()` of a driver value) as the
    item's Arrow type: the one place where stored values become typed columns."""
    match spec.data_type:
        case "C" | "M":
            return column
        case "D":
            return pc.cast(pc.utf8_slice_codeunits(column, 0, 10), pa.date32())
        case "T":
            return pc.strptime(pc.utf8_slice_codeunits(column, 0, 19), format="%Y-%m-%d %H:%M:%S", unit="us")
        case "L":
            return pc.if_else(pc.is_null(column), pa.scalar(None, pa.bool_()), pc.is_in(column, pa.array(["1", "t", "True"])))
        case "I":
            return pc.cast(column, pa.int64())
    return pc.cast(column, pa.float64())


def _stream(conn: Connection, grant: GrantPolicy, fmt: str, region: str, params: dict) -> Iterator[bytes]:
    try:
        batches = _batches(conn, grant, region, params)
        if fmt == "csv":
            yield from _csv(batches, grant)
        elif fmt == "jsonl":
            for batch in batches:
                yield b"".join(dumps(r) + b"\n" for r in batch.to_pylist())
        elif fmt == "parquet":
            yield from _parquet(batches, grant)
        else:
            yield from _xlsx(batches, grant)
    finally:
        conn.close()


def _empty_schema(grant: GrantPolicy) -> pa.Schema:
    empty = [_typed(spec, pa.array([], pa.string())) for spec in grant.specs]
    batch = grant.masker.batch(pa.RecordBatch.from_arrays(empty, names=list(grant.items)))
    return pa.schema([pa.field(ROW_TOKEN, pa.string()), *batch.schema])


def _csv(batches: Iterator[pa.RecordBatch], grant: GrantPolicy) -> Iterator[bytes]:
    header = True
    for batch in batches:
        buf = io.BytesIO()
        pacsv.write_csv(batch, buf, write_options=pacsv.WriteOptions(include_header=header))
        header = False
        yield buf.getvalue()
    if header:  # no rows: still a header line
        yield (",".join(_empty_schema(grant).names) + "\n").encode()


class _Sink(io.RawIOBase):
    """A write-only stream whose written bytes are taken out as they come."""

    def __init__(self):
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def _parquet(batches: Iterator[pa.RecordBatch], grant: GrantPolicy) -> Iterator[bytes]:
    sink = _Sink()
    writer = None
    for batch in batches:
        if writer is None:
            writer = pq.ParquetWriter(pa.PythonFile(sink, mode="w"), batch.schema)
        writer.write_batch(batch)
        yield sink.take()
    if writer is None:
        writer = pq.ParquetWriter(pa.PythonFile(sink, mode="w"), _empty_schema(grant))
    writer.close()
    yield sink.take()


def _xlsx(batches: Iterator[pa.RecordBatch], grant: GrantPolicy) -> Iterator[bytes]:
    """openpyxl's write-only mode keeps memory bounded but writes the zip at the end: spool to a file."""
    from openpyxl import Workbook
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append(_empty_schema(grant).names)
    for batch in batches:
        for row in zip(*[c.to_pylist() for c in batch.columns]):
            sheet.append(list(row))
    fd, path = tempfile.mkstemp(suffix=".xlsx", dir=get_settings().data_dir if get_settings().data_dir.exists()
                                else None)
    os.close(fd)
    try:
        workbook.save(path)
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                yield chunk
    finally:
        os.unlink(path)
