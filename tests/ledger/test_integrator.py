"""The integrator thread signs one checkpoint per interval under steady appends, and works through a
backlog at once."""

from __future__ import annotations

import threading
import time

from sqlalchemy import text

from govshare.core.database import get_engine, session_scope
from govshare.ledger import sequencer
from govshare.ledger.integrator import Integrator
from govshare.ledger.verify import verify_log


def _log(count: int) -> None:
    with session_scope() as session:
        for i in range(count):
            sequencer.record(session, "test.event", entry_id=f"e{i % 7}", n=i)


def _checkpoints() -> int:
    with get_engine().connect() as conn:
        return conn.execute(text("SELECT count(*) FROM ledger_checkpoints")).scalar_one()


def test_one_checkpoint_per_interval_while_leaves_keep_coming(clean_db):
    """Each pass finds the leaves that arrived during the last one; it must not chase them with a
    checkpoint every few milliseconds (the old loop signed ~100 per second under load)."""
    stop = threading.Event()
    appended = [0]

    def append() -> None:
        while not stop.is_set():
            _log(3)
            appended[0] += 3

    producer = threading.Thread(target=append)
    integrator = Integrator(interval=0.25, holder="steady").start()
    producer.start()
    try:
        time.sleep(1.5)
    finally:
        stop.set()
        producer.join()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and verify_log().integrated < appended[0]:
        time.sleep(0.05)
    integrator.stop()
    report = verify_log()
    assert report.ok, report.problems
    assert report.integrated == report.leaves == appended[0] > 100
    # Each pass (one per 0.25 s) signs at most one checkpoint.
    assert 1 <= integrator.checkpoints == _checkpoints() <= integrator.passes


def test_a_backlog_is_integrated_in_one_pass(clean_db):
    """More leaves than one pass takes: the pass goes on at once, up to the end of the log."""
    _log(230)
    integrator = Integrator(interval=60, holder="backlog", max_leaves=50)
    integrator.run_pass()
    report = verify_log()
    assert report.ok, report.problems
    assert report.integrated == report.leaves == 230
    assert integrator.checkpoints == _checkpoints() == 5  # 50, 100, 150, 200, 230
