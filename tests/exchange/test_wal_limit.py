"""SQLite: under steady reads and calls, the WAL stays near `GOVSHARE_SQLITE_WAL_MAX_MB` instead of growing
for as long as the load lasts (some reader is always on it, so a passive checkpoint never lets it
start over)."""

from __future__ import annotations

import os
import subprocess
import sys

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
