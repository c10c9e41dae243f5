"""Mounting an entry to a department's own database (挂接数据库) and pulling from it.

A provider configures a `DatabaseSource` for one of its entries: a SQLAlchemy URL and either a
table (`schema.table`) or a read-only SELECT. `pull` streams the source's rows with a server-side
cursor, turns each batch into string columns named by item, and sends them through the same
validation and the same all-or-nothing recorded load as a file upload
(`validation.validate_batch`, `service.run_recorded_load`), so a pull is reported, rejected and
change-logged exactly like an upload.

Full and incremental pulls
    A full pull reads every row and loads with mode `replace`: keys that vanished from the source
    are deleted. With a `change_column` (a column the source raises on every insert and update,
    e.g. `updated_at`) later pulls are incremental: `WHERE change_col >= :last ORDER BY change_col`,
    loaded with mode `upsert`. `>=` rather than `>`: rows that share the boundary value but were
    committed after the previous read (common with second-precision DATETIME columns) are not
    lost; re-read rows are counted `unchanged` and change nothing.

    Incremental pulls cannot see deletions (a deleted row has no change value to find), nor rows
    whose change value is NULL or was set lower than one already seen (e.g. by a long transaction
    that commits late). A full pull reconciles all of that: `full=True`, and automatically every
    `FULL_PULL_EVERY`-th successful pull, when the last full pull is older than
    `FULL_PULL_MAX_AGE`, or when another load (an upload) changed the data since.

The last change value
    Stored as text tagged with its Python type (`datetime:2024-05-01T08:30:00.123456`,
    `int:42`, `decimal:12.50`, `str:…`, see `encode_change_value`) and bound back as that Python
    type, so the source compares it in its own type (timestamps as timestamps, not as text).

Safety
    Only PostgreSQL (psycopg) and MySQL / MariaDB (PyMySQL) URLs are accepted, with a short list of
    harmless URL parameters (no `local_infile`, `read_default_file`, `host=/socket`, `options`…):
    the platform connects out with the department's credentials and must not be turned against
    itself. Sessions are read-only (`default_transaction_read_only` / `SET SESSION TRANSACTION READ
    ONLY`); a query must be one SELECT (no `;`, comments, INTO, locking or writing keywords) and is
    always wrapped as `SELECT * FROM (<query>) AS src`. Passwords never leave this module: every
    message, log line and API answer shows `mask_url(url)` and driver messages are scrubbed.
"""

from __future__ import annotations

import json
import logging
import re
import time as _time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import quote

import pyarrow as pa
from sqlalchemy import create_engine, or_, select, text, update
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from govshare.catalog import service as catalog
from govshare.catalog.models import CatalogEntry
from govshare.catalog.vocab import UPDATE_CYCLE_SECONDS, ItemSpec
from govshare.core import jobs
from govshare.core.config import get_settings
from govshare.core.database import as_utc, session_scope, utcnow
from govshare.core.errors import Forbidden, GovShareError, InvalidInput, NotFound
from govshare.mounting import loader, validation
from govshare.mounting.models import DatabaseSource, DataLoad
from govshare.mounting.schemas import SourceConfig, SourceRead
from govshare.mounting.service import require_data_writer, run_recorded_load
from govshare.orgs.service import Principal

log = logging.getLogger("govshare.mounting.sources")

CONNECT_TIMEOUT_SECONDS = 5
PROBE_TIMEOUT_SECONDS = 30  # reading the column names
PULL_READ_TIMEOUT_SECONDS = 600  # MySQL: longest wait for the next packet while streaming
FULL_PULL_EVERY = 24  # every 24th successful pull is a full one (hourly pulls: a daily reconcile)
FULL_PULL_MAX_AGE = timedelta(days=7)  # and never more than a week between full pulls
RETRY_SECONDS = 900  # after a failed pull, retry within 15 minutes (or the schedule, if sooner)
LEASE_NAME = "mount-scheduler"
DEFAULT_MAX_PULLS = 20

_DRIVERS = {"postgresql": "psycopg", "mysql": "pymysql", "mariadb": "pymysql"}
_URL_PARAMS = {
    "postgresql": {"sslmode", "sslrootcert", "application_name", "target_session_attrs"},
    "mysql": {"charset", "ssl_ca", "ssl_check_hostname", "ssl_verify_cert"},
    "mariadb": {"charset", "ssl_ca", "ssl_check_hostname", "ssl_verify_cert"},
}
_IDENTIFIER = re.compile(r"^[^\W\d][\w$]{0,62}$")
_FORBIDDEN_WORDS = re.compile(
    r"\b(insert|update|delete|merge|upsert|drop|alter|create|truncate|rename|grant|revoke|call|exec|execute|"
    r"copy|lock|unlock|into|outfile|dumpfile|handler|vacuum|analyze|attach|detach|set|do|prepare|deallocate|"
    r"begin|commit|rollback|savepoint|release|kill|shutdown|flush|listen|notify|refresh|reindex|cluster|"
    r"pg_read_file|pg_read_binary_file|pg_ls_dir|pg_stat_file|lo_import|lo_export|lo_unlink|dblink|"
    r"dblink_exec|pg_terminate_backend|pg_cancel_backend|pg_reload_conf|set_config|nextval|setval|"
    r"load_file|sys_exec|sys_eval|sleep|pg_sleep|benchmark|get_lock|release_lock)\b"
    r"|\bfor\s+(share|key\s+share|no\s+key)\b",
    re.IGNORECASE)
_STANDARD_LITERALS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`(?:[^`]|``)*`")
_BACKSLASH_LITERALS = re.compile(r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\"|`(?:[^`]|``)*`", re.DOTALL)


# ---------------------------------------------------------------- URLs and masking


def mask_url(url: str | URL) -> str:
    """The URL as it may be shown: password replaced by ***."""
    try:
        return (url if isinstance(url, URL) else make_url(url)).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        return "<invalid database URL>"


def scrub(message: str, url: str | URL | None) -> str:
    """`message` with the URL masked and the password (plain or URL-encoded) replaced by ***."""
    if not message or url is None:
        return message
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except (ArgumentError, ValueError, TypeError):
        return message
    if isinstance(url, str):
        message = message.replace(url, mask_url(parsed))
    password = parsed.password
    if password:
        for secret in {str(password), quote(str(password), safe=""), quote(str(password))}:
            if secret:
                message = message.replace(secret, "***")
    return message


def _driver_message(exc: BaseException, url: URL) -> str:
    orig = getattr(exc, "orig", None) or exc
    message = " ".join(str(orig).split())  # one line; drops psycopg's indented hints
    message = re.sub(r"\(Background on this error at: [^)]*\)", "", message).strip()
    return scrub(message[:500], url)


def _parse_url(raw: str, existing: str | None = None) -> URL:
    """Validate and normalise a source URL (driver made explicit; *** keeps the stored password)."""
    def bad(reason: str) -> InvalidInput:
        return InvalidInput(f"url: {reason}", details=[{"field": "url", "reason": reason, "value": mask_url(raw)}])
    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError) as exc:
        raise InvalidInput("url: not a database URL (dialect+driver://user:password@host:port/database)",
                           details=[{"field": "url", "reason": "not a database URL"}]) from exc
    backend = url.get_backend_name()
    if backend not in _DRIVERS:
        raise bad(f"database kind {backend!r} is not supported (use postgresql+psycopg or mysql+pymysql)")
    driver = url.get_driver_name()
    if url.drivername == backend:  # no driver named: use the installed one
        url = url.set(drivername=f"{backend}+{_DRIVERS[backend]}")
    elif driver != _DRIVERS[backend]:
        raise bad(f"driver {driver!r} is not supported for {backend} (use {backend}+{_DRIVERS[backend]})")
    if not url.host or url.host.startswith("/"):
        raise bad("a host name is required (no local sockets)")
    if not url.database:
        raise bad("a database name is required")
    unknown = sorted(set(url.query) - _URL_PARAMS[backend])
    if unknown:
        raise bad(f"URL parameter(s) not allowed: {', '.join(unknown)} "
                  f"(allowed: {', '.join(sorted(_URL_PARAMS[backend]))})")
    if url.password == "***" and existing:
        old = make_url(existing)
        url = url.set(password=old.password)
    return url


def _engine(url: URL, *, probe: bool) -> Engine:
    """A pool-less engine whose sessions are read-only, with short timeouts."""
    backend = url.get_backend_name()
    if backend == "postgresql":
        options = "-c default_transaction_read_only=on"
        if probe:
            options += f" -c statement_timeout={PROBE_TIMEOUT_SECONDS * 1000}"
        connect_args: dict = {"connect_timeout": CONNECT_TIMEOUT_SECONDS, "options": options}
    else:
        connect_args = {"connect_timeout": CONNECT_TIMEOUT_SECONDS,
                        "read_timeout": PROBE_TIMEOUT_SECONDS if probe else PULL_READ_TIMEOUT_SECONDS,
                        "init_command": "SET SESSION TRANSACTION READ ONLY"}
        if "charset" not in url.query:
            connect_args["charset"] = "utf8mb4"
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


def _connect(engine: Engine, url: URL) -> Connection:
    try:
        return engine.connect()
    except SQLAlchemyError as exc:
        masked = mask_url(url)
        reason = _driver_message(exc, url)
        log.warning("source database %s unreachable: %s", masked, reason)
        raise InvalidInput(f"cannot connect to the source database {masked}: {reason}", code="source_unreachable",
                           details=[{"field": "url", "reason": reason, "value": masked}]) from None


# ---------------------------------------------------------------- table names and queries


def check_table_name(name: str) -> list[str]:
    """`table` or `schema.table`, each part a plain identifier (letters incl. Chinese, digits, _ and $)."""
    parts = name.strip().split(".")
    if len(parts) > 2 or not all(_IDENTIFIER.match(p) for p in parts):
        raise InvalidInput("table_name: not a table name (use table or schema.table; letters, digits, _)",
                           details=[{"field": "table_name", "reason": "not a valid identifier", "value": name}])
    return parts


def check_query(query: str) -> str:
    """One read-only SELECT (or WITH … SELECT), without a trailing semicolon; else InvalidInput."""
    q = query.strip().rstrip(";").strip()

    def bad(reason: str) -> InvalidInput:
        return InvalidInput(f"query: {reason}", details=[{"field": "query", "reason": reason,
                                                          "value": q[:200]}])
    if not re.match(r"^\(*\s*(select|with)\b", q, re.IGNORECASE):
        raise bad("only a SELECT query is allowed")
    if ";" in q:
        raise bad("only one statement is allowed (no ';')")
    if "--" in q or "/*" in q or "#" in q:
        raise bad("comments are not allowed in a source query")
    for pattern in (_STANDARD_LITERALS, _BACKSLASH_LITERALS):  # both quoting rules: no hiding in strings
        bare = pattern.sub(" '' ", q)
        found = _FORBIDDEN_WORDS.search(bare)
        if found:
            raise bad(f"only a read-only SELECT is allowed ({found.group(0).upper()} is not)")
        depth = 0
        for ch in bare:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth < 0:
                break
        if depth != 0:
            raise bad("unbalanced parentheses")
    return q


def _from_clause(engine: Engine, table_name: str | None, query: str | None) -> str:
    """`SELECT * FROM <table or (query)> AS src`, identifiers quoted for the source's dialect."""
    if table_name:
        prep = engine.dialect.identifier_preparer
        base = ".".join(prep.quote(p) for p in check_table_name(table_name))
    else:
        # text() treats ':name' as a parameter; escape the query's own colons ('08:30', '::int').
        base = "(" + check_query(query or "").replace(":", r"\:") + ")"
    return f"SELECT * FROM {base} AS src"


# ---------------------------------------------------------------- column mapping


def map_columns(columns: list[str], items: list[ItemSpec], column_map: dict[str, str]) -> dict[str, str]:
    """Source column -> item name: by `column_map`, else by item name (case-insensitive) or Chinese
    label (exact). Columns that match no item are ignored (a department table has more columns than an
    entry publishes); every key and required item must be covered, each by one column."""
    by_name = {i.name.casefold(): i for i in items}
    by_label = {i.label.strip(): i for i in items}
    col_by_fold = {c.casefold(): c for c in columns}
    details: list[dict] = []
    explicit: dict[str, str] = {}
    for src_col, target in (column_map or {}).items():
        col = src_col if src_col in columns else col_by_fold.get(src_col.casefold())
        item = by_name.get(str(target).casefold()) or by_label.get(str(target).strip())
        if col is None:
            details.append({"field": f"column_map.{src_col}", "reason": "the source has no such column",
                            "value": src_col})
        if item is None:
            details.append({"field": f"column_map.{src_col}", "reason": "the entry has no such item",
                            "value": target})
        if col is not None and item is not None:
            explicit[col] = item.name
    mapping: dict[str, str] = {}
    claimed: dict[str, str] = {}
    for col in columns:
        if col in explicit:
            item_name = explicit[col]
        else:
            item = by_name.get(col.strip().casefold()) or by_label.get(col.strip())
            if item is None or item.name in explicit.values():
                continue
            item_name = item.name
        if item_name in claimed:
            details.append({"field": "columns", "reason": f"columns {claimed[item_name]!r} and {col!r} both "
                                                          f"match item {item_name}", "value": col})
            continue
        claimed[item_name] = col
        mapping[col] = item_name
    for item in items:
        if item.name not in claimed and (item.required or item.is_key):
            kind = "key" if item.is_key else "required"
            details.append({"field": "columns", "reason": f"{kind} item {item.name} ({item.label}) has no source "
                                                          "column (name it by item name or label, or use column_map)",
                            "value": item.name})
    if details:
        summary = "; ".join(d["reason"] for d in details[:5]) + ("; …" if len(details) > 5 else "")
        raise InvalidInput(f"the source columns do not match the entry's items: {summary}", details=details)
    return mapping


def _find_column(columns: list[str], name: str) -> str | None:
    if name in columns:
        return name
    folded = [c for c in columns if c.casefold() == name.casefold()]
    return folded[0] if len(folded) == 1 else None


# ---------------------------------------------------------------- change values


def encode_change_value(value) -> str | None:
    """A change-column value as tagged text that `decode_change_value` turns back into its type."""
    if value is None:
        return None
    if isinstance(value, bool):
        return f"bool:{int(value)}"
    if isinstance(value, int):
        return f"int:{value}"
    if isinstance(value, Decimal):
        return f"decimal:{value}"
    if isinstance(value, float):
        return f"float:{value!r}"
    if isinstance(value, datetime):
        return f"datetime:{value.isoformat()}"
    if isinstance(value, date):
        return f"date:{value.isoformat()}"
    if isinstance(value, time):
        return f"time:{value.isoformat()}"
    return f"str:{value}"


def decode_change_value(stored: str | None):
    if stored is None:
        return None
    kind, _, raw = stored.partition(":")
    match kind:
        case "bool":
            return raw == "1"
        case "int":
            return int(raw)
        case "decimal":
            return Decimal(raw)
        case "float":
            return float(raw)
        case "datetime":
            return datetime.fromisoformat(raw)
        case "date":
            return date.fromisoformat(raw)
        case "time":
            return time.fromisoformat(raw)
        case "str":
            return raw
    return stored  # untagged (set by hand): compared as text


def _display_change_value(stored: str | None) -> str | None:
    return None if stored is None else stored.partition(":")[2] if ":" in stored else stored


def _greater(a, b) -> bool:
    """a > b, for values of one change column (None is smallest; mixed types compare as text)."""
    if b is None:
        return a is not None
    if a is None:
        return False
    try:
        return a > b
    except TypeError:
        return str(a) > str(b)


# ---------------------------------------------------------------- configuration


@dataclass
class Probe:
    url: URL
    columns: list[str]
    mapping: dict[str, str]
    change_column: str | None


def probe_source(data: SourceConfig, items: list[ItemSpec], existing_url: str | None = None) -> Probe:
    """Check a configuration against the source itself: connect once, read the column names."""
    details = []
    if bool(data.table_name and data.table_name.strip()) == bool(data.query and data.query.strip()):
        for f in ("table_name", "query"):
            details.append({"field": f, "reason": "give exactly one of table_name and query"})
        raise InvalidInput("give exactly one of table_name and query", details=details)
    url = _parse_url(data.url, existing_url)
    if data.table_name:
        check_table_name(data.table_name)
    else:
        check_query(data.query or "")
    engine = _engine(url, probe=True)
    try:
        conn = _connect(engine, url)
        try:
            sql = _from_clause(engine, data.table_name, data.query) + " WHERE 1=0"
            columns = list(conn.execute(text(sql)).keys())
        except SQLAlchemyError as exc:
            reason = _driver_message(exc, url)
            what = "table_name" if data.table_name else "query"
            raise InvalidInput(f"{what}: the source cannot be read: {reason}", code="source_invalid",
                               details=[{"field": what, "reason": reason}]) from None
        finally:
            conn.close()
    finally:
        engine.dispose()
    mapping = map_columns(columns, items, data.column_map)
    change_column = None
    if data.change_column:
        change_column = _find_column(columns, data.change_column.strip())
        if change_column is None:
            raise InvalidInput(f"change_column: the source has no column {data.change_column!r}",
                               details=[{"field": "change_column", "reason": "no such column in the source",
                                         "value": data.change_column}])
    return Probe(url, columns, mapping, change_column)


def _entry(session: Session, entry_id: str, principal: Principal | None, for_update: bool = False) -> CatalogEntry:
    if principal is not None:
        return catalog.get_entry(session, entry_id, principal, for_update=for_update)
    stmt = select(CatalogEntry).where((CatalogEntry.id == entry_id) | (CatalogEntry.code == entry_id))
    entry = session.scalar(stmt.with_for_update() if for_update else stmt)
    if entry is None:
        raise NotFound(f"catalog entry {entry_id} not found", code="entry_not_found")
    return entry


def configure_source(session: Session, entry_id: str, data: SourceConfig, principal: Principal | None,
                     probe: Probe | None = None) -> DatabaseSource:
    """Create or replace the entry's database source (provider only), after probing it.

    `probe`: the result of `probe_source` when the caller probed outside this session (see
    `configure`, which keeps the platform's transaction short); probed here otherwise.
    """
    entry = _entry(session, entry_id, principal, for_update=True)
    if principal is not None:
        require_data_writer(principal, entry)
    existing = session.get(DatabaseSource, entry.id)
    if probe is None:
        probe = probe_source(data, catalog.item_specs(entry), existing.url if existing else None)
    if "schedule_seconds" in data.model_fields_set:
        schedule = data.schedule_seconds or None
    else:
        schedule = UPDATE_CYCLE_SECONDS.get(entry.update_cycle)
    url = probe.url.render_as_string(hide_password=False)
    table_name = data.table_name.strip() if data.table_name else None
    query = check_query(data.query) if data.query else None
    column_map = dict(data.column_map or {})
    now = utcnow()
    if existing is None:
        existing = DatabaseSource(entry_id=entry.id)
        session.add(existing)
    same_rows = (existing.url == url and existing.table_name == table_name and existing.query == query
                 and existing.change_column == probe.change_column and (existing.column_map or {}) == column_map)
    if not same_rows:  # a different source: its next pull is a full one
        existing.last_change_value = None
    existing.url, existing.table_name, existing.query = url, table_name, query
    existing.change_column, existing.column_map, existing.schedule_seconds = probe.change_column, column_map, schedule
    if schedule is None:
        existing.next_pull_at = None
    elif existing.last_pulled_at is None or not same_rows:
        existing.next_pull_at = now  # first pull at the scheduler's next pass
    else:
        existing.next_pull_at = as_utc(existing.last_pulled_at) + timedelta(seconds=schedule)
    session.flush()
    existing.mapping = probe.mapping  # transient: shown in the answer to PUT
    log.info("entry %s mounted to %s (%s)", entry.id, mask_url(probe.url), table_name or "query")
    return existing


def configure(entry_id: str, data: SourceConfig, principal: Principal | None) -> SourceRead:
    """`configure_source` in its own transaction, with the (possibly slow) probe run before it."""
    with session_scope(read_only=True) as session:
        entry = _entry(session, entry_id, principal)
        if principal is not None:
            require_data_writer(principal, entry)
        items = catalog.item_specs(entry)
        existing = session.get(DatabaseSource, entry.id)
        existing_url = existing.url if existing else None
    probe = probe_source(data, items, existing_url)
    with session_scope() as session:
        source = configure_source(session, entry_id, data, principal, probe)
        return source_read(source)


def source_read(source: DatabaseSource) -> SourceRead:
    return SourceRead(
        entry_id=source.entry_id, url=mask_url(source.url), table_name=source.table_name, query=source.query,
        change_column=source.change_column, column_map=source.column_map or {},
        schedule_seconds=source.schedule_seconds, last_pulled_at=source.last_pulled_at,
        last_change_value=_display_change_value(source.last_change_value), next_pull_at=source.next_pull_at,
        last_status=source.last_status, last_message=scrub(source.last_message or "", source.url) or None,
        mapping=getattr(source, "mapping", None))


def get_source(session: Session, entry_id: str, principal: Principal | None) -> DatabaseSource:
    """The entry's source; visible to its provider (and the platform operator) only."""
    entry = _entry(session, entry_id, principal)
    if principal is not None and principal.org_id != entry.provider_org_id and not principal.is_platform_admin:
        raise Forbidden("only the providing department may see its database source", code="not_provider")
    source = session.get(DatabaseSource, entry.id)
    if source is None:
        raise NotFound(f"catalog entry {entry_id} has no database source", code="source_not_found")
    return source


def delete_source(session: Session, entry_id: str, principal: Principal | None) -> None:
    """Unmount the database (the data loaded so far stays)."""
    entry = _entry(session, entry_id, principal, for_update=True)
    if principal is not None:
        require_data_writer(principal, entry)
    source = session.get(DatabaseSource, entry.id)
    if source is None:
        raise NotFound(f"catalog entry {entry_id} has no database source", code="source_not_found")
    session.delete(source)
    log.info("entry %s unmounted from %s", entry.id, mask_url(source.url))


# ---------------------------------------------------------------- pulling


def _cell_text(value):
    """One source value as the text validation reads (raises TypeError for binary values)."""
    kind = type(value)
    if kind is str:
        return value
    if value is None:
        return None
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is Decimal:
        return format(value, "f")
    if kind is float:
        return repr(value)
    if kind is datetime:
        return value.isoformat(sep=" ")
    if kind is date or kind is time:
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError("binary")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):  # subclasses (IntEnum …): the number, not the name
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(float(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)  # timedelta (MySQL TIME), UUID, …


@dataclass
class _PullState:
    rows: int = 0
    max_change: object = None
    result: object = None  # the open source result, closed before a re-run


def _text_batch(rows: list, positions: dict[str, int], items_by_name: dict[str, ItemSpec], first_row: int
                ) -> tuple[pa.RecordBatch, list[dict], set[tuple[int, str]]]:
    """String columns named by item; binary cells become null and are reported."""
    arrays, names, errors, binary = [], [], [], set()
    for item_name, pos in positions.items():
        values = [row[pos] for row in rows]
        try:
            texts = [_cell_text(v) for v in values]
        except TypeError:
            texts = []
            for i, v in enumerate(values):
                try:
                    texts.append(_cell_text(v))
                except TypeError:
                    texts.append(None)
                    item = items_by_name[item_name]
                    binary.add((first_row + i, item_name))
                    errors.append({"row": first_row + i, "column": item_name, "label": item.label,
                                   "value": f"<{len(bytes(v))} bytes>",
                                   "reason": "binary value: the source column holds bytes, not text"})
        arrays.append(pa.array(texts, pa.string()))
        names.append(item_name)
    return pa.RecordBatch.from_arrays(arrays, names=names), errors, binary


def _row_source(conn: Connection, engine: Engine, url: URL, src: dict, items: list[ItemSpec], incremental: bool,
                state: _PullState) -> loader.BatchSource:
    """A re-runnable BatchSource streaming the source query through upload validation."""
    settings = get_settings()
    batch_rows = settings.load_batch_rows
    items_by_name = {i.name: i for i in items}
    prep = engine.dialect.identifier_preparer

    def source(outcome: loader.LoadOutcome) -> Iterator[tuple[int, pa.RecordBatch]]:
        state.rows, state.max_change = 0, None
        sql = _from_clause(engine, src["table_name"], src["query"])
        params = {}
        change_col = src["change_column"]
        if incremental:
            sql += f" WHERE src.{prep.quote(change_col)} >= :last ORDER BY src.{prep.quote(change_col)}"
            params["last"] = decode_change_value(src["last_change_value"])
        try:
            if state.result is not None:  # a re-run (the loader redoing through staging) starts afresh
                state.result.close()
            if conn.in_transaction():
                conn.rollback()
            result = conn.execution_options(stream_results=True, yield_per=batch_rows).execute(text(sql), params)
            state.result = result
        except SQLAlchemyError as exc:
            raise _source_error(exc, url) from None
        try:
            columns = list(result.keys())
            mapping = map_columns(columns, items, src["column_map"])
            positions = {item: columns.index(col) for col, item in mapping.items()}
            header_map = {item: item for item in positions}
            change_pos = None
            if change_col:
                found = _find_column(columns, change_col)
                if found is None:
                    raise InvalidInput(f"change_column: the source no longer has column {change_col!r}",
                                       details=[{"field": "change_column", "reason": "no such column in the source",
                                                 "value": change_col}])
                change_pos = columns.index(found)
            first_row = 1
            for rows in _partitions(result, batch_rows, url):
                if change_pos is not None:
                    for row in rows:
                        value = row[change_pos]
                        if value is not None and _greater(value, state.max_change):
                            state.max_change = value
                batch, binary_errors, binary = _text_batch(rows, positions, items_by_name, first_row)
                state.rows += len(rows)
                checked = validation.validate_batch(batch, first_row, items, header_map, cap=settings.load_error_cap)
                if checked.warning_count:
                    outcome.add_warnings(checked.warnings, count=checked.warning_count)
                errors, count = checked.errors, checked.error_count
                if binary:  # the nulled binary cells are already reported; do not report them twice
                    kept = [e for e in errors if (e["row"], e["column"]) not in binary]
                    count -= len(errors) - len(kept)
                    errors = kept
                if binary_errors or count:
                    outcome.add_errors(sorted(binary_errors + errors, key=lambda e: e["row"]),
                                       count=len(binary_errors) + count)
                first_row += len(rows)
                if binary_errors or count or checked.batch is None:
                    continue
                yield first_row - len(rows), checked.batch
        finally:
            result.close()
    return source


def _partitions(result, size: int, url: URL) -> Iterator[list]:
    iterator = result.partitions(size)
    while True:
        try:
            rows = next(iterator)
        except StopIteration:
            return
        except SQLAlchemyError as exc:
            raise _source_error(exc, url) from None
        yield rows


def _source_error(exc: SQLAlchemyError, url: URL) -> InvalidInput:
    reason = _driver_message(exc, url)
    lost = getattr(exc, "connection_invalidated", False)
    code = "source_unreachable" if lost else "source_error"
    log.warning("reading source %s failed: %s", mask_url(url), reason)
    return InvalidInput(f"reading the source database {mask_url(url)} failed: {reason}", code=code,
                        details=[{"field": "source", "reason": reason}])


def _wants_incremental(session: Session, entry_pk: str, src: DatabaseSource, full: bool | None,
                       now: datetime) -> bool:
    """Incremental unless asked for full, impossible (no change column / no previous value), or due for
    reconciling: `FULL_PULL_EVERY` pulls or `FULL_PULL_MAX_AGE` since the last full pull, or another
    kind of load (an upload) changed the data since."""
    if full is True or not src.change_column or src.last_change_value is None:
        return False
    if full is False:
        return True
    recent = session.execute(
        select(DataLoad.source, DataLoad.mode, DataLoad.started_at)
        .where(DataLoad.entry_id == entry_pk, DataLoad.status == "succeeded")
        .order_by(DataLoad.started_at.desc()).limit(FULL_PULL_EVERY)).all()
    for n, load in enumerate(recent):
        if load.source != "database":
            return False
        if load.mode == "replace":
            return n < FULL_PULL_EVERY - 1 and now - as_utc(load.started_at) < FULL_PULL_MAX_AGE
    return False


def pull(entry_id: str, principal: Principal | None, full: bool | None = None) -> DataLoad:
    """Pull the entry's source now; returns the stored load report (raises, after recording, on failure).

    `principal` None is the platform itself (scheduler, `govshare mount pull`). `full`: True forces a
    full pull (mode replace), False asks for an incremental one (mode upsert; full anyway when there is
    no change column or no previous pull), None decides (see the module docstring). Incremental pulls
    cannot see rows deleted in the source; the periodic full pull removes them.
    """
    now = utcnow()
    with session_scope(read_only=True) as session:
        entry = _entry(session, entry_id, principal)
        if principal is not None:
            require_data_writer(principal, entry)
        row = session.get(DatabaseSource, entry.id)
        if row is None:
            raise NotFound(f"catalog entry {entry_id} has no database source", code="source_not_found")
        entry_pk = entry.id
        items = catalog.item_specs(entry)
        incremental = _wants_incremental(session, entry_pk, row, full, now)
        src = {k: getattr(row, k) for k in ("url", "table_name", "query", "change_column", "column_map",
                                            "last_change_value", "schedule_seconds")}
    mode = "upsert" if incremental else "replace"
    url = make_url(src["url"])
    masked = mask_url(url)
    description = f"{masked} {src['table_name'] or '(query)'}"[:255]
    info = {"format": url.get_backend_name(), "encoding": None}
    state = _PullState()
    started = _time.perf_counter()
    engine = _engine(url, probe=False)
    conn = None
    try:
        try:
            conn = _connect(engine, url)
            batches = _row_source(conn, engine, url, src, items, incremental, state)
        except GovShareError as exc:
            error = exc

            def batches(_outcome):  # record the failed pull like any other load
                raise error
        record = run_recorded_load(entry_pk, mode, "database", batches, info, principal, filename=description)
    except GovShareError as exc:
        _finish(entry_pk, src, False, scrub(f"{exc.code}: {exc.message}", url), state, incremental)
        log.warning("pull of entry %s from %s failed: %s", entry_pk, masked, scrub(exc.message, url))
        raise
    except Exception:
        _finish(entry_pk, src, False, "internal error during the pull (see the server log)", state, incremental)
        log.exception("pull of entry %s from %s failed", entry_pk, masked)
        raise
    finally:
        if conn is not None:
            conn.close()
        engine.dispose()
    kind = "incremental" if incremental else "full"
    message = (f"{kind} pull: {record.rows_read} rows read, {record.inserted} inserted, {record.updated} updated, "
               f"{record.deleted} deleted, {record.unchanged} unchanged")
    _finish(entry_pk, src, True, message, state, incremental)
    log.info("entry %s pulled from %s in %d ms: %s", entry_pk, masked, loader.elapsed_ms(started), message)
    return record


def _finish(entry_pk: str, src: dict, ok: bool, message: str, state: _PullState, incremental: bool) -> None:
    """Record the pull's outcome on the source; the change value only moves forward on success."""
    now = utcnow()
    with session_scope() as session:
        row = session.get(DatabaseSource, entry_pk, with_for_update=True)
        if row is None:
            return  # unmounted meanwhile
        row.last_pulled_at = now
        row.last_status = "succeeded" if ok else "failed"
        row.last_message = message[:2000]
        same = all(getattr(row, k) == src[k] for k in ("url", "table_name", "query", "change_column"))
        if ok and same and row.change_column:
            if not incremental:
                row.last_change_value = encode_change_value(state.max_change)
            elif state.max_change is not None and _greater(state.max_change,
                                                           decode_change_value(row.last_change_value)):
                row.last_change_value = encode_change_value(state.max_change)
        schedule = row.schedule_seconds
        if schedule:
            row.next_pull_at = now + timedelta(seconds=schedule if ok else min(schedule, RETRY_SECONDS))
        else:
            row.next_pull_at = None


# ---------------------------------------------------------------- the scheduler's body


def due_sources(session: Session, now: datetime | None = None, limit: int = DEFAULT_MAX_PULLS) -> list[DatabaseSource]:
    """Scheduled sources whose next pull time has come, oldest first."""
    now = now or utcnow()
    stmt = (select(DatabaseSource)
            .where(DatabaseSource.schedule_seconds > 0)
            .where(or_(DatabaseSource.next_pull_at.is_(None), DatabaseSource.next_pull_at <= now))
            .order_by(DatabaseSource.next_pull_at).limit(limit))
    return list(session.scalars(stmt))


def _claim(entry_pk: str, now: datetime) -> bool:
    """Move a due source's next pull forward atomically; only one process wins a given due time."""
    with session_scope() as session:
        schedule = session.scalar(select(DatabaseSource.schedule_seconds).where(DatabaseSource.entry_id == entry_pk))
        if not schedule:
            return False
        result = session.execute(
            update(DatabaseSource)
            .where(DatabaseSource.entry_id == entry_pk)
            .where(or_(DatabaseSource.next_pull_at.is_(None), DatabaseSource.next_pull_at <= now))
            .values(next_pull_at=now + timedelta(seconds=schedule))
            .execution_options(synchronize_session=False))
        return result.rowcount == 1


def lease_seconds() -> float:
    return max(3 * get_settings().scheduler_interval_seconds, 10.0)


def _take_lease(holder: str, seconds: float) -> bool:
    """`jobs.try_acquire` in its own short transaction."""
    with session_scope() as session:
        return jobs.try_acquire(session, LEASE_NAME, seconds, holder)


def run_due_pulls(max_pulls: int = DEFAULT_MAX_PULLS, *, holder: str = jobs.HOLDER, release: bool = False,
                  now: datetime | None = None) -> dict:
    """One scheduler pass: take the `mount-scheduler` lease, then pull up to `max_pulls` due sources.

    With several server processes only the lease holder pulls; each due source is also claimed by a
    conditional update of its next pull time, so a pass that outlives its lease cannot pull a source a
    second time. `release`: give the lease up afterwards (one-off passes, `govshare mount run-due`).
    """
    seconds = lease_seconds()
    if not _take_lease(holder, seconds):
        return {"lease": False, "holder": holder, "pulls": []}
    pulls: list[dict] = []
    try:
        now = now or utcnow()
        with session_scope(read_only=True) as session:
            due = [s.entry_id for s in due_sources(session, now, max_pulls)]
        for entry_pk in due:
            if not _take_lease(holder, seconds):  # renew; lost: stop
                break
            if not _claim(entry_pk, utcnow()):
                continue
            try:
                record = pull(entry_pk, None)
                pulls.append({"entry_id": entry_pk, "load_id": record.id, "status": record.status,
                              "mode": record.mode, "rows_read": record.rows_read})
            except GovShareError as exc:
                load_id = exc.details.get("load_id") if isinstance(exc.details, dict) else None
                pulls.append({"entry_id": entry_pk, "load_id": load_id, "status": "failed", "error": exc.code,
                              "message": exc.message})
            except Exception:  # noqa: BLE001 - one bad source must not stop the others
                log.exception("scheduled pull of entry %s failed", entry_pk)
                pulls.append({"entry_id": entry_pk, "load_id": None, "status": "failed", "error": "internal_error",
                              "message": "internal error (see the server log)"})
    finally:
        if release:
            with session_scope() as session:
                jobs.release(session, LEASE_NAME, holder)
    return {"lease": True, "holder": holder, "pulls": pulls}
