"""Engine, sessions and the declarative base shared by every domain."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from starlette.requests import Request
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool

from govshare.core.config import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """Stored times are UTC; SQLite hands them back naive."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


BUSY_TIMEOUT_MS = 60_000


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers proceed during a long load; NORMAL is durable at checkpoint in WAL mode.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA temp_store=FILE")
    cur.execute("PRAGMA cache_size=-65536")
    cur.execute(f"PRAGMA journal_size_limit={wal_limit_bytes()}")
    cur.close()


def wal_limit_bytes() -> int:
    """SQLite: the WAL's size limit (`sqlite_wal_max_mb`): a connection that restarts the WAL truncates it
    to this, and the audit writers' checkpointer restarts it once it is past this."""
    return get_settings().sqlite_wal_max_mb << 20


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        kwargs: dict = {"connect_args": {"check_same_thread": False, "timeout": 60}, "hide_parameters": True}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)

        # pysqlite's own transaction handling defers BEGIN; take the write lock up front so
        # a load or a counter increment never fails half-way on "database is locked".
        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_conn, _record):
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn):
            if conn.get_execution_options().get("read_only", False):
                conn.exec_driver_sql("BEGIN")
                return
            # The write lock by fine-grained retries, not SQLite's busy handler (see sqlite_begin_immediate).
            dbapi = conn.connection.driver_connection
            dbapi.execute("PRAGMA busy_timeout=0")
            try:
                sqlite_begin_immediate(dbapi)
            finally:
                dbapi.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

        return engine
    if url.startswith("postgresql") and "+" not in url.split("://", 1)[0]:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    # hide_parameters: SQL errors and logs must not carry row values (ID numbers) or secrets.
    # No pre-ping (a round trip per checkout on the exchange hot path): connections are recycled
    # every 5 minutes instead, and a connection broken by a database restart fails one call.
    return create_engine(url, pool_pre_ping=False, pool_recycle=300, pool_size=10, max_overflow=20,
                         hide_parameters=True)


_engines: dict[str, Engine] = {}
_lock = threading.Lock()


_current: tuple[object, Engine] | None = None  # (settings object, its engine): the per-call fast path


def get_engine() -> Engine:
    global _current
    settings = get_settings()
    current = _current
    if current is not None and current[0] is settings:
        return current[1]
    url = settings.resolved_database_url
    engine = _engines.get(url)
    if engine is not None:
        _current = (settings, engine)
        return engine
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite:///"):
                get_settings().data_dir.mkdir(parents=True, exist_ok=True)
            engine = _engines[url] = make_engine(url)
        return engine


def dispose_engines() -> None:
    global _current
    with _lock:
        _current = None
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def session_factory(read_only: bool = False) -> sessionmaker[Session]:
    engine = get_engine()
    if read_only:
        engine = engine.execution_options(read_only=True)
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(read_only: bool = False) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error.

    On SQLite a writing unit takes the write lock at BEGIN (waiting up to busy_timeout) so it
    never fails half-way; read-only units do not block writers (WAL).
    """
    session = session_factory(read_only)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: one session per request, committed when the endpoint returns."""
    with session_scope(read_only=request.method in ("GET", "HEAD", "OPTIONS")) as session:
        yield session


def is_sqlite(engine_or_session) -> bool:
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name == "sqlite"


# ---- the driver directly, for hot paths ---------------------------------------------------------
# SQLAlchemy's Row and statement handling cost more than the query itself on a one-row lookup or a
# 10,000-row feed page. These helpers run plain SQL with `:name` parameters on the DBAPI connection
# under a SQLAlchemy Connection (same transaction, same pool).

_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_pyformat_cache: dict[str, str] = {}


def for_driver(conn, sql: str) -> str:
    if conn.dialect.name == "sqlite":
        return sql  # sqlite3 takes :name itself
    converted = _pyformat_cache.get(sql)
    if converted is None:
        converted = _pyformat_cache[sql] = _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
    return converted


def driver_cursor(conn, sql: str, params: dict | None = None):
    cursor = conn.connection.driver_connection.cursor()
    cursor.execute(for_driver(conn, sql), params or {})
    return cursor


def driver_rows(conn, sql: str, params: dict | None = None) -> list[tuple]:
    cursor = driver_cursor(conn, sql, params)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def driver_row(conn, sql: str, params: dict | None = None) -> tuple | None:
    cursor = driver_cursor(conn, sql, params)
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


def copy_executemany(cursor):
    """`executemany` for a psycopg cursor's plain INSERTs (`INSERT INTO t (a, b) VALUES …`), as one COPY
    each: the ledger's batches are written while others wait (its numbering row, the integrator's
    checkpoint), and COPY streams thousands of rows in the time a few statements take."""
    def executemany(sql: str, rows: list[tuple]) -> None:
        table, _, rest = sql.removeprefix("INSERT INTO ").partition(" (")
        columns = rest.partition(")")[0]
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    return executemany


def sqlite_begin_immediate(dbapi_conn, timeout: float = 60.0, poll: float = 0.0003) -> None:
    """Take SQLite's write lock by retrying every `poll` seconds, on a connection whose busy timeout is 0.

    SQLite's own busy handler sleeps 1, 2, 5, 10… ms between tries: a writer that waits that way
    loses the lock, over and over, to writers that retry sooner (the audit writers of every server
    process), and starves. Writers that must not starve take the lock this way."""
    started = time.monotonic()
    while True:
        try:
            dbapi_conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            waited = time.monotonic() - started
            if "locked" not in str(exc) and "busy" not in str(exc) or waited > timeout:
                raise
            # A long holder (a large load) is waited for with longer sleeps: no spinning for minutes.
            time.sleep(poll if waited < 0.2 else max(poll, 0.002))
