"""SQLite: under steady reads and calls, the WAL stays near `GOVSHARE_SQLITE_WAL_MAX_MB` instead of growing
for as long as the load lasts (some reader is always on it, so a passive checkpoint never lets it
start over)."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
import threading

LOAD = r"""
import os, sys, threading, time
from sqlalchemy import text
from govshare.core.database import get_engine
from govshare.core.migrate import upgrade_to_head
from govshare.exchange import audit
from govshare.ledger import sequencer

upgrade_to_head()
wal = get_engine().url.database + "-wal"
stop = threading.Event()

def read():  # lookups: short read transactions, one after the other, as the exchange's
    while not stop.is_set():
        with get_engine().connect() as conn:
            conn.execution_options(read_only=True).execute(text("SELECT count(*) FROM ledger_entries")).scalar()

readers = [threading.Thread(target=read) for _ in range(3)]
for t in readers:
    t.start()
largest, events, deadline = 0, 0, time.monotonic() + float(sys.argv[1])
while time.monotonic() < deadline:
    futures = [audit.log_event(sequencer.make_event("test.wal", entry_id=f"e{i % 50}", pad="x" * 400, n=i))
               for i in range(50)]
    for future in futures:
        future.result(60)
    events += 50
    largest = max(largest, os.path.getsize(wal))
stop.set()
for t in readers:
    t.join()
print(largest, events, flush=True)
"""


def _largest_wal(data_dir, limit_mb: int, seconds: float) -> tuple[int, int]:
    data_dir.mkdir()
    return _largest_wal_in(data_dir, limit_mb, seconds)


def _largest_wal_in(data_dir, limit_mb: int, seconds: float) -> tuple[int, int]:
    env = {k: v for k, v in os.environ.items() if k != "GOVSHARE_DATABASE_URL"}  # this test is SQLite's
    env.update(GOVSHARE_DATA_DIR=str(data_dir), GOVSHARE_SQLITE_WAL_MAX_MB=str(limit_mb),
               GOVSHARE_LOG_LEVEL="WARNING")
    out = subprocess.run([sys.executable, "-c", LOAD, str(seconds)], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    largest, events = map(int, out.stdout.split())
    return largest, events


def test_the_wal_starts_over_past_its_limit_while_readers_never_stop(tmp_path):
    unlimited, events = _largest_wal(tmp_path / "unlimited", 10_000, 4)
    # The control: with readers always on it, the WAL only grows (well past 1 MB in these seconds).
    assert unlimited > 3 << 20, (unlimited, events)
    limited, events = _largest_wal(tmp_path / "limited", 1, 4)
    assert events > 2000
    # The limit plus what one checkpointer round (half a second) adds: a fraction of the control's.
    assert limited < unlimited / 2, (limited, unlimited)


HOLDER = r"""
import fcntl, os, sys, time
lease = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(lease, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(120)
"""


def test_one_process_of_the_host_checkpoints_a_database_and_another_takes_over_when_it_dies(tmp_path):
    """Every server process starts a checkpointer; only the holder of `<db>-checkpoint.lock` works. While
    another process holds it, this one's WAL is left to grow past the limit; once the holder is gone the
    lock is free for the next one."""
    data_dir = tmp_path / "held"
    data_dir.mkdir()
    lock_path = str(data_dir / "govshare.db-checkpoint.lock")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, lock_path], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        largest, events = _largest_wal_in(data_dir, 1, 3)
        assert events > 1000
        assert largest > 3 << 20, largest  # nobody checkpointed it: the holder is not a checkpointer
    finally:
        holder.kill()
        holder.wait(10)
    from govshare.exchange.audit import _take_checkpoint_lease
    first, second = (os.open(lock_path, os.O_RDWR) for _ in range(2))
    try:
        assert _take_checkpoint_lease(first)  # the dead holder's lock is gone
        assert not _take_checkpoint_lease(second)  # one holder at a time
        os.close(first)
        assert _take_checkpoint_lease(second)
    finally:
        os.close(second)


def test_the_restart_copies_the_wal_into_the_database_before_it_holds_the_writers(tmp_path):
    """Holding the audit writers' host lock, a restart syncs and copies whatever the WAL still has over
    the database (an fdatasync's time grows with its pages): it first copies it with passive passes, which
    hold nobody, and takes the lock for what little came in meanwhile."""
    from govshare.exchange.audit import _open_host_lock, _restart_wal

    path = str(tmp_path / "govshare.db")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (x BLOB)")
    for _ in range(200):
        writer.execute("INSERT INTO t VALUES (randomblob(4000))")
    small = os.path.getsize(path)
    assert os.path.getsize(path + "-wal") > 200 * 4000 > small  # every page is still in the WAL only

    held = _open_host_lock(path)  # another writer holds the lock (a second open file: flock excludes it)
    fcntl.flock(held, fcntl.LOCK_EX)
    restarted: list[bool] = []
    checkpointer = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
    host_lock = _open_host_lock(path)
    thread = threading.Thread(target=lambda: restarted.append(_restart_wal(checkpointer, host_lock, 0)))
    thread.start()
    try:
        thread.join(2)
        assert thread.is_alive() and not restarted  # waiting for the writers' lock …
        assert os.path.getsize(path) > 200 * 4000  # … with the WAL already in the database
    finally:
        fcntl.flock(held, fcntl.LOCK_UN)
        thread.join(10)
        os.close(held)
        os.close(host_lock)
    assert restarted == [True]
    writer.execute("INSERT INTO t VALUES (randomblob(10))")
    busy, frames, copied = writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert (busy, frames, copied) == (0, 1, 1)  # the next commit wrote from the WAL's beginning
    assert writer.execute("SELECT count(*) FROM t").fetchone()[0] == 201
