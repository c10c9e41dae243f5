"""Group commit of exchange calls' ledger leaves (each call's audit record) and other events that are
logged outside a business transaction: durable before the response, without a commit per request.

Requests hand their record to one writer thread per process and wait; the writer takes whatever
has queued up, writes it in one transaction and wakes those requests (HARD-PARTS: the database's
own log does the same). Under load, batches grow by themselves; alone, a record waits for one
commit. If the write fails, every waiting request fails: no data leaves without its record.
The same transaction sequences the leaves (`ledger.sequencer`), and one signature per batch gives
every call its receipt (the future's result).

A record submitted from an event loop gets an asyncio future, and the writer wakes each loop once
per batch (one `call_soon_threadsafe` for all its waiters, not one per request); other callers
get a `concurrent.futures.Future`.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import queue
import sqlite3
import threading
import time
from concurrent.futures import Future

from sqlalchemy.engine import Engine

from govshare.core import inflight
from govshare.core.config import get_settings
from govshare.core.database import copy_executemany, get_engine, sqlite_begin_immediate, wal_limit_bytes
from govshare.core.threads import start_daemon
from govshare.ledger import sequencer
from govshare.ledger.sequencer import CallEvent, Event

log = logging.getLogger("govshare.audit")
MAX_BATCH = 5000



class AuditWriter:
    """One thread, one connection of its own, plain `executemany` per batch.

    On SQLite the connection does not use SQLite's busy handler, which sleeps 1, 2, 5, 10… ms while
    another process holds the write lock: under contention that schedule, not the work, would set
    every waiting request's latency. The audit writers of the host's server processes queue for the
    write lock on a file lock next to the database instead (the kernel wakes the next one as the
    holder commits: no polling, no failed BEGINs), and retry every 0.3 ms only while another kind of
    writer holds it. Nor does the writer checkpoint the WAL on commit (a checkpoint syncs the
    database file, tens of milliseconds on a busy disk, while every request of the batch waits): a
    separate thread checkpoints passively.
    """

    def __init__(self, engine: Engine, window_ms: float | None = None):
        self.engine = engine
        self.window = (window_ms if window_ms is not None else get_settings().audit_flush_ms) / 1000
        self.sqlite = engine.dialect.name == "sqlite"
        # (events, one receipt (True) or a list of them (False), future)
        self._queue: queue.SimpleQueue[tuple[tuple, bool, Future | asyncio.Future]] = queue.SimpleQueue()
        self._conn = None
        self._host_lock: int | None = None  # SQLite: the writers' queue (a file descriptor to flock)
        self._thread = start_daemon(self._run, "govshare-audit-writer")

    def submit(self, event: Event) -> Future | asyncio.Future:
        """Queue a ledger event; the future's result is its receipt once it is durable."""
        return self._put((event,), single=True)

    def submit_events(self, events: list[Event]) -> Future | asyncio.Future:
        """Queue many ledger events as one item; the future's result is their receipts, in order."""
        return self._put(tuple(events), single=False)

    def _put(self, events: tuple, single: bool) -> Future | asyncio.Future:
        try:
            future: Future | asyncio.Future = asyncio.get_running_loop().create_future()
        except RuntimeError:  # not on an event loop
            future = Future()
        self._queue.put((events, single, future))
        return future

    def _run(self) -> None:
        window = self.window
        last = 0.0
        while True:
            batch = [self._queue.get()]
            self._drain(batch)
            # Group commit window: at most one commit per window, so that under load batches grow
            # instead of commits (and, on SQLite, write-lock hand-overs between processes) multiplying;
            # but only while other requests are in progress, whose records may join the batch. A client
            # alone, one request at a time, is answered at once rather than once per window.
            wait = last + window - time.monotonic()
            if wait > 0 and inflight.requests.count > len(batch):
                time.sleep(wait)
                self._drain(batch)
            last = time.monotonic()
            batch = _with_leaves(batch)
            futures = [item[2] for item in batch]
            try:
                receipts = self._write(batch)
            except BaseException as exc:  # noqa: BLE001 - every waiter must hear about it
                log.error("audit write of %d records failed: %s", len(batch), exc.__class__.__name__)
                self._close()
                _settle(futures, None, exc)
                continue
            _settle(futures, receipts, None)

    def _drain(self, batch: list) -> None:
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                return

    def _connection(self):
        if self._conn is None:
            if self.sqlite:
                self._conn = sqlite3.connect(self.engine.url.database, isolation_level=None, timeout=0,
                                             check_same_thread=False)
                self._conn.execute("PRAGMA busy_timeout=0")
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._conn.execute("PRAGMA wal_autocheckpoint=0")
                self._conn.execute(f"PRAGMA journal_size_limit={wal_limit_bytes()}")
                _start_checkpointer(self.engine.url.database)
                if self._host_lock is None:
                    self._host_lock = _open_host_lock(self.engine.url.database)
            else:
                self._conn = self.engine.raw_connection()
        return self._conn

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - already broken
                pass
            self._conn = None

    def _write(self, batch: list[tuple]) -> list:
        """Write the batch in one transaction; per item, its receipt (or a list of them), in order."""
        conn = self._connection()
        events = [e for item in batch for e in item[0]]
        if not events:
            return [[] for _ in batch]
        leaf_hashes = [e.leaf_hash for e in events]  # made by `_with_leaves`, before any lock
        if not self.sqlite:
            with conn.cursor() as cur:
                first = self._insert(cur.execute, copy_executemany(cur), "%s", events)
            conn.commit()
        else:
            first = self._sqlite_transaction(conn, events)
        receipts = sequencer.sign_batch(first, leaf_hashes)
        out, at = [], 0
        for item_events, single, _ in batch:
            n = len(item_events)
            if single:
                receipt = receipts[at]
                event = item_events[0]
                if isinstance(event, CallEvent):  # its answer carries the receipt: made here with the batch's
                    receipt.salt = event.salt
                    receipt.header()
                out.append(receipt)
            else:
                out.append(receipts[at:at + n])
            at += n
        return out

    def _insert(self, execute, executemany, mark: str, events: list[Event]) -> int:
        """The batch's numbers and rows; returns the first sequence number."""
        first = sequencer.take_numbers(execute, mark, len(events))
        executemany(sequencer.insert_sql(mark), [e.row(first + i, self.sqlite) for i, e in enumerate(events)])
        return first

    def _sqlite_transaction(self, conn, events: list[Event]) -> int:
        fcntl.flock(self._host_lock, fcntl.LOCK_EX)  # released by the kernel if this process dies
        try:
            sqlite_begin_immediate(conn)
            try:
                first = self._insert(conn.execute, conn.executemany, "?", events)
                conn.execute("COMMIT")
                return first
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            fcntl.flock(self._host_lock, fcntl.LOCK_UN)


def _with_leaves(batch: list[tuple]) -> list[tuple]:
    """The batch's items whose events have their leaves (the exchange calls' are made here, in the
    writer); an item whose event cannot become one fails alone, not its batch."""
    kept = []
    for item in batch:
        try:
            for event in item[0]:
                event.leaf_hash
        except Exception as exc:  # noqa: BLE001 - its caller hears why; the others go on
            log.error("a ledger event could not be made into a leaf: %s", exc.__class__.__name__)
            _settle([item[2]], None, exc)
            continue
        kept.append(item)
    return kept


def _open_host_lock(database: str, name: str = "audit") -> int:
    """A file the host's processes `flock` for one database, next to it: `audit` (the writers' queue),
    `checkpoint` (the one checkpointer's lease)."""
    return os.open(f"{database}-{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)


_checkpointers: set[str] = set()
CHECKPOINT_SECONDS = 0.5
RESTART_TRIES = 200  # every 0.5 ms: the WAL's last readers are lookups, done well within that
CATCH_UP_PASSES = 6  # passive passes before a restart, each copying what came in during the one before
CAUGHT_UP_FRAMES = 32  # a pass that copied fewer: what the restart has left to copy and sync is as small


def _start_checkpointer(path: str) -> None:
    """Copy the WAL back into the database every half second, without blocking readers or writers; and
    start the WAL over once it is past its limit. One process of the host does it (`_take_checkpoint_lease`).

    A passive checkpoint copies what it can but never starts the WAL over: SQLite writes from the WAL's
    beginning again only once no reader still reads from it, and under steady lookups some reader always
    does. Left so, the WAL grows for as long as the load lasts (4 GB after twenty minutes of governed
    lookups on the bench): disk, and page cache taken from the data. Past `sqlite_wal_max_mb`, once passive
    passes have copied nearly all of it (`_restart_wal`), a RESTART checkpoint holds writers back until the WAL's readers are done (new
    ones read the database file), so that the next commit writes from the beginning. It holds the audit
    writers' host lock meanwhile (they wait in the kernel, not polling against it) and retries by itself
    every 0.5 ms rather than through SQLite's busy handler, which sleeps 1, 2, 5, 10… ms with the write
    lock held."""
    if path in _checkpointers:
        return
    _checkpointers.add(path)
    wal = f"{path}-wal"

    def run() -> None:
        conn = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
        host_lock = _open_host_lock(path)
        lease = _open_host_lock(path, "checkpoint")
        held = False
        try:
            while True:
                time.sleep(CHECKPOINT_SECONDS)
                if not held:
                    held = _take_checkpoint_lease(lease)
                    if not held:
                        continue  # another process of this host checkpoints the database
                try:
                    copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[2]
                    if os.path.getsize(wal) > wal_limit_bytes():
                        _restart_wal(conn, host_lock, copied)
                except (sqlite3.Error, OSError):  # busy or locked (or no WAL yet): the next round tries again
                    pass
        finally:
            os.close(lease)  # should this thread ever end, another process takes over

    start_daemon(run, "govshare-wal-checkpoint")


def _take_checkpoint_lease(lease: int) -> bool:
    """One checkpointer per database per host: each server process starts one, the first to lock
    `<db>-checkpoint.lock` works and the others keep asking every round (the kernel releases the lock if
    its holder dies). Two of them synced the same database file every half second for nothing."""
    try:
        fcntl.flock(lease, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _restart_wal(conn: sqlite3.Connection, host_lock: int, copied: int) -> bool:
    """A RESTART checkpoint, retried until the WAL's readers are done; whether it got through.

    The restart holds the writers while it syncs the WAL, copies what is left of it into the database
    and syncs the database: its cost is the frames committed since the last passive pass, and an
    fdatasync's time grows with the pages it writes (0.2 ms for a few, 10 ms for 512 on the test VM).
    Right after the round's pass that was ~200 frames (the commits of the 15–25 ms the pass took), so
    every call of the writers' batches waited 10–20 ms. So passive passes come first, without holding
    anyone, each copying what arrived during the one before, until one has little to copy (`copied`: the
    frames the round's pass left copied, SQLite's count since the WAL began)."""
    for _ in range(CATCH_UP_PASSES):
        before = copied
        copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[2]
        if copied < 0 or copied - before < CAUGHT_UP_FRAMES:  # -1: no WAL (or not in WAL mode)
            break
    fcntl.flock(host_lock, fcntl.LOCK_EX)
    try:
        for _ in range(RESTART_TRIES):
            busy = conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()[0]
            if not busy:
                return True
            time.sleep(0.0005)
        return False
    finally:
        fcntl.flock(host_lock, fcntl.LOCK_UN)


def _settle(futures: list, results: list | None, error: BaseException | None) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, object]]] = {}
    for i, future in enumerate(futures):
        result = results[i] if results else None
        if isinstance(future, asyncio.Future):
            by_loop.setdefault(future.get_loop(), []).append((future, result))
        elif error is None:
            future.set_result(result)
        else:
            future.set_exception(error)
    for loop, waiting in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_on_loop, waiting, error)
        except RuntimeError:  # the loop has closed: nobody is waiting any more
            pass


def _settle_on_loop(waiting: list[tuple[asyncio.Future, object]], error: BaseException | None) -> None:
    for future, result in waiting:
        if not future.done():
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)


_writers: dict[tuple[int, int], AuditWriter] = {}
_lock = threading.Lock()
_last: tuple[int, Engine, AuditWriter] | None = None


def writer() -> AuditWriter:
    """The writer of this process (a forked worker starts its own) for the current database."""
    global _last
    engine = get_engine()
    last = _last
    if last is not None and last[1] is engine and last[0] == os.getpid():
        return last[2]  # every call of a process asks this: no lock, no URL rendering
    key = (os.getpid(), id(engine))
    with _lock:
        found = _writers.get(key)
        if found is None:
            found = _writers[key] = AuditWriter(engine)
        _last = (key[0], engine, found)
        return found


def log_event(event: Event) -> Future | asyncio.Future:
    """Sequence a ledger event outside any business transaction: an exchange call (`sequencer.call_event`,
    its audit record) or e.g. an export's completion. The future gives the receipt."""
    return writer().submit(event)


def log_events(events: list[Event]) -> Future | asyncio.Future:
    """Sequence many events (bulk producers): one queue item, one future, a list of receipts."""
    return writer().submit_events(events)
