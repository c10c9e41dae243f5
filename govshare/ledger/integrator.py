"""The integrator: extends the tree over newly sequenced leaves and signs a checkpoint.

One integrator at a time, by the lease `ledger-integrator` (every `govshare serve` process tries;
one wins, another takes over within a few seconds if it dies). Each pass reads the leaves after the
latest checkpoint, computes the new nodes and root outside any write lock, then writes the tiles and
the signed checkpoint in one short transaction, on condition that the latest checkpoint is still the
one it started from (the checkpoint's size is its primary key). A crash at any point leaves either
the old checkpoint and tiles or the new ones; tiles written ahead of a checkpoint never happen.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from govshare.core import jobs
from govshare.core.config import get_settings
from govshare.core.database import driver_row, driver_rows, get_engine, session_scope, utcnow
from govshare.ledger import keys, tree
from govshare.ledger.merkle import leaf_hash
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
    engine = engine or get_engine()
    with engine.connect() as conn:
        conn = conn.execution_options(read_only=True)
        size = latest_size(conn)
        rows = driver_rows(conn, "SELECT seq, leaf FROM ledger_entries WHERE seq >= :size ORDER BY seq LIMIT :m",
                           {"size": size, "m": max_leaves})
        hashes = []
        for seq, leaf in rows:
            if seq != size + len(hashes):  # cannot happen with dense numbering; never integrate past a gap
                log.error("ledger: leaf %d missing; integrating up to it only", size + len(hashes))
                break
            hashes.append(leaf_hash(bytes(leaf)))
        if not hashes:
            return None
        extension = tree.extend(conn, size, hashes)
    signer = keys.signer()
    note = signer.sign(Checkpoint(get_settings().ledger_origin, extension.size, extension.root).text())
    with Session(engine, expire_on_commit=False) as session, session.begin():
        conn = session.connection()
        if latest_size(conn) != size:
            return None  # another integrator got there first
        tree.store(conn, extension)
        key = keys.publish(session, signer)
        checkpoint = LedgerCheckpoint(size=extension.size, root=extension.root, note=note, key_id=key.key_id,
                                      created_at=utcnow())
        session.add(checkpoint)
    return checkpoint


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
    thread_name = "govshare-ledger-integrator"

    def __init__(self, interval: float | None = None, holder: str = jobs.HOLDER):
        super().__init__(interval if interval is not None else get_settings().ledger_interval_seconds, holder)

    def run_pass(self) -> None:
        with session_scope() as session:
            held = jobs.try_acquire(session, LEASE, max(5.0, 5 * self.interval), self.holder)
        while held and not self.stopping and integrate() is not None:
            pass
