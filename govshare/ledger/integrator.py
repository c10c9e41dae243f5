"""The integrator: extends the tree over newly sequenced leaves and signs a checkpoint.

One integrator at a time, by the lease `ledger-integrator` (every `govshare serve` process tries;
one wins, another takes over within a few seconds if it dies). It signs one checkpoint per interval:
under steady load each pass finds the leaves that arrived while the last one ran, and integrating
those at once would sign a checkpoint every few milliseconds (each with its signature, its tiles'
rewrite and a write-lock turn the calls wait behind); only a backlog (a full pass) goes on at once.
Each pass reads the leaves after the latest checkpoint, computes the new nodes and root outside any
write lock, then writes the tiles, the new leaves' subject index rows (`ledger.subjects`) and the
signed checkpoint in one short transaction, on condition
that the latest checkpoint is still the one it started from (the checkpoint's size is its primary
key). A crash at any point leaves either the old checkpoint and tiles or the new ones; tiles written
ahead of a checkpoint never happen.
"""

from __future__ import annotations

import hashlib
import logging
import time

from sqlalchemy.engine import Engine

from govshare.core import jobs
from govshare.core.config import get_settings
from govshare.core.database import (
    BUSY_TIMEOUT_MS, copy_executemany, driver_row, driver_rows, get_engine, session_scope, sqlite_begin_immediate,
    utcnow,
)
from govshare.ledger import keys, subjects, tree
from govshare.ledger.models import LedgerCheckpoint
from govshare.ledger.note import Checkpoint

log = logging.getLogger("govshare.ledger")
LEASE = "ledger-integrator"
MAX_LEAVES_PER_PASS = 100_000


def latest_size(conn) -> int:
    row = driver_row(conn, "SELECT max(size) FROM ledger_checkpoints")
    return int(row[0]) if row and row[0] is not None else 0


def integrate(engine: Engine | None = None, max_leaves: int = MAX_LEAVES_PER_PASS) -> LedgerCheckpoint | None:
    """One pass: the checkpoint it signed, or None when there was nothing new (or another integrator
    signed first)."""
    return _integrate(engine or get_engine(), max_leaves)[0]


def _integrate(engine: Engine, max_leaves: int) -> tuple[LedgerCheckpoint | None, int]:
    """`integrate`, and how many leaves the pass read (`max_leaves`: there may be more)."""
    with engine.connect() as conn:
        conn = conn.execution_options(read_only=True)
        size = latest_size(conn)
        rows = driver_rows(conn, "SELECT seq, leaf, subject_hash FROM ledger_entries WHERE seq >= :size "
                                 "ORDER BY seq LIMIT :m", {"size": size, "m": max_leaves})
        if rows and rows[-1][0] != size + len(rows) - 1:  # cannot happen with dense numbering
            gap = next(i for i, (seq, *_) in enumerate(rows) if seq != size + i)
            log.error("ledger: leaf %d missing; integrating up to it only", size + gap)
            rows = rows[:gap]
        sha256 = hashlib.sha256
        hashes = [sha256(b"\x00" + bytes(leaf)).digest() for _, leaf, _ in rows]  # RFC 9162 leaf hashes
        if not hashes:
            return None, 0
        extension = tree.extend(conn, size, hashes)
    indexed = subjects.index_rows((seq, subject) for seq, _, subject in rows)
    signer = keys.signer()
    note = signer.sign(Checkpoint(get_settings().ledger_origin, extension.size, extension.root).text())
    key_id = signer.verifier_key.split("+")[1]
    created_at = utcnow()
    if not _write(engine, size, extension, indexed, note, key_id, signer.verifier_key, created_at):
        return None, len(hashes)  # another integrator got there first
    return (LedgerCheckpoint(size=extension.size, root=extension.root, note=note, key_id=key_id,
                             created_at=created_at), len(hashes))


def _write(engine: Engine, size: int, extension: tree.Extension, indexed: list[tuple[int, int]], note: str,
           key_id: str, verifier_key: str, created_at) -> bool:
    """Tiles, the subject index's rows, key and checkpoint in one short transaction, if the latest
    checkpoint is still `size`.

    On SQLite the write lock is taken like the audit writers take it (`sqlite_begin_immediate`):
    with SQLite's busy handler the integrator would starve behind them under load."""
    raw = engine.raw_connection()
    sqlite = engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    stamp = created_at.isoformat(sep=" ", timespec="microseconds")[:26] if sqlite else created_at
    try:
        cursor = raw.cursor()
        if sqlite:
            # No checkpoint in this commit (the audit writers' background thread checkpoints), and a
            # slower poll for the lock than theirs: an integration may wait a few ms, a call should not.
            raw.driver_connection.execute("PRAGMA busy_timeout=0")
            raw.driver_connection.execute("PRAGMA wal_autocheckpoint=0")
            sqlite_begin_immediate(raw.driver_connection, poll=0.002)
        try:
            cursor.execute("SELECT max(size) FROM ledger_checkpoints")
            latest = cursor.fetchone()[0] or 0
            if latest != size:
                raw.rollback()
                return False
            tree.store_rows(cursor.executemany, mark, extension)
            if indexed:
                insert = cursor.executemany if sqlite else copy_executemany(cursor)
                insert(subjects.INSERT_SQL.format(mark=mark), indexed)
            cursor.execute(f"INSERT INTO ledger_keys (key_id, verifier_key, created_at) VALUES ({mark}, {mark}, {mark}) "
                           "ON CONFLICT (key_id) DO NOTHING",
                           (key_id, verifier_key, stamp))
            cursor.execute(f"INSERT INTO ledger_checkpoints (size, root, note, key_id, created_at) "
                           f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark})",
                           (extension.size, extension.root, note, key_id, stamp))
            raw.commit()
            return True
        except BaseException:
            raw.rollback()
            raise
    finally:
        if sqlite:
            raw.driver_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            raw.driver_connection.execute("PRAGMA wal_autocheckpoint=1000")
        raw.close()


def integrate_all(engine: Engine | None = None) -> int:
    """Integrate until caught up; the integrated size."""
    engine = engine or get_engine()
    while integrate(engine) is not None:
        pass
    with engine.connect() as conn:
        return latest_size(conn)


class Integrator(jobs.LeasedLoop):
    """Background thread: every `ledger_interval_seconds`, if this process holds the lease, integrate."""

    lease = LEASE
    thread_name = "govshare-integrator"

    def __init__(self, interval: float | None = None, holder: str = jobs.HOLDER,
                 max_leaves: int = MAX_LEAVES_PER_PASS):
        super().__init__(interval if interval is not None else get_settings().ledger_interval_seconds, holder)
        self.max_leaves = max_leaves
        self.checkpoints = 0  # signed by this thread

    _held_until = 0.0

    def run_pass(self) -> None:
        # The lease is renewed when half its term has gone, not every pass: one write less per second.
        lease = max(5.0, 5 * self.interval)
        now = time.monotonic()
        if now > self._held_until - lease / 2:
            with session_scope() as session:
                held = jobs.try_acquire(session, LEASE, lease, self.holder)
            self._held_until = now + lease if held else 0.0
        engine = get_engine()
        while now < self._held_until and not self.stopping:
            signed, read = _integrate(engine, self.max_leaves)
            self.checkpoints += signed is not None
            if signed is None or read < self.max_leaves:
                break  # caught up with what was there when the pass began: the rest waits an interval
