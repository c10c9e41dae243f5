"""The audit writers of several server processes share one log: numbers stay dense and in commit order
when they write at once, and on SQLite they queue for the write lock on a host file lock, which a
failed write releases."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from govshare.core import inflight
from govshare.core.config import get_settings
from govshare.core.database import get_engine
from govshare.exchange import audit
from govshare.ledger import sequencer, tree
from govshare.ledger.integrator import integrate_all
from govshare.ledger.verify import verify_log

PROCESS = r"""
import sys
from govshare.exchange import audit
from govshare.ledger import sequencer

tag, batches = sys.argv[1], int(sys.argv[2])
for b in range(batches):
    futures = [audit.log_event(sequencer.make_event("test.writer", entry_id=tag, n=b * 10 + j)) for j in range(10)]
    receipts = [f.result(60) for f in futures]
    assert all(r.seq >= 0 for r in receipts)
print("done", flush=True)
"""


def test_writers_of_two_processes_write_one_dense_log(clean_db):
    tree.complete_tiles.clear()
    procs = [subprocess.Popen([sys.executable, "-c", PROCESS, tag, "60"], stdout=subprocess.PIPE,
                              env=dict(os.environ)) for tag in ("p1", "p2")]
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0 and out.strip() == b"done"
    with get_engine().connect() as conn:
        counts = dict(conn.execute(text("SELECT entry_id, count(*) FROM ledger_entries "
                                        "WHERE kind = 'test.writer' GROUP BY entry_id")).all())
    assert counts == {"p1": 600, "p2": 600}
    integrate_all()
    report = verify_log()
    assert report.ok, report.problems
    assert report.leaves == report.sequenced == report.integrated >= 1200


def _host_lock_path() -> str:
    return get_engine().url.database + "-audit.lock"


@pytest.fixture()
def sqlite_writer(clean_db):
    if not get_settings().is_sqlite:
        pytest.skip("the host lock is SQLite's: PostgreSQL orders writers by the ledger_state row lock")
    audit.log_event(sequencer.make_event("test.warm", entry_id="w")).result(10)  # the writer is up
    fd = os.open(_host_lock_path(), os.O_RDWR)
    yield fd
    os.close(fd)


def test_a_writer_waits_for_the_host_lock(sqlite_writer):
    fcntl.flock(sqlite_writer, fcntl.LOCK_EX)  # as another process's writer, mid-commit
    try:
        future = audit.log_event(sequencer.make_event("test.queued", entry_id="q"))
        time.sleep(0.3)
        assert not future.done()
    finally:
        fcntl.flock(sqlite_writer, fcntl.LOCK_UN)
    receipt = future.result(10)
    with get_engine().connect() as conn:
        kind = conn.execute(text("SELECT kind FROM ledger_entries WHERE seq = :s"), {"s": receipt.seq}).scalar_one()
    assert kind == "test.queued"


def test_a_failed_write_fails_its_callers_and_loses_nothing_after(clean_db):
    """Every waiter of a batch whose write fails hears of it, nothing of it is stored, the next batch
    gets the next number, and (SQLite) the host lock is free again."""
    engine = get_engine()
    audit.log_event(sequencer.make_event("test.warm", entry_id="w")).result(10)
    with engine.begin() as conn:
        size = conn.execute(text("SELECT size FROM ledger_state WHERE id = 1")).scalar_one()
        conn.execute(text("DELETE FROM ledger_state"))
    try:
        with pytest.raises(RuntimeError, match="ledger_state"):
            audit.log_event(sequencer.make_event("test.failed", entry_id="f")).result(10)
        if get_settings().is_sqlite:
            fd = os.open(_host_lock_path(), os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free, or this raises BlockingIOError
            finally:
                os.close(fd)
    finally:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO ledger_state (id, size) VALUES (1, :n)"), {"n": size})
    receipt = audit.log_event(sequencer.make_event("test.after", entry_id="a")).result(10)
    assert receipt.seq == size
    with engine.connect() as conn:
        kinds = conn.execute(text("SELECT kind FROM ledger_entries WHERE kind IN ('test.failed', 'test.after')")).all()
    assert [k for (k,) in kinds] == ["test.after"]


# ---- the group-commit window -------------------------------------------------------------------------

@pytest.fixture()
def slow_window_writer(clean_db):
    """A writer of its own whose group-commit window is a minute: a record that waited for it would
    time out below."""
    writer = audit.AuditWriter(get_engine(), window_ms=60_000)
    writer.submit(sequencer.make_event("test.warm", entry_id="w")).result(10)  # a commit: the window starts
    return writer


def test_a_record_alone_does_not_wait_for_the_window(slow_window_writer):
    """With no other request in progress nothing can join the batch: a client sending one request at a
    time is answered at once, not once per window."""
    assert inflight.requests.count == 0
    for n in range(3):
        receipt = slow_window_writer.submit(sequencer.make_event("test.alone", entry_id="a", n=n)).result(10)
        assert receipt.batch_size == 1


def test_records_wait_for_the_window_while_other_requests_are_in_progress(clean_db):
    """While other requests are in progress their records may come: the writer holds the commit open
    for the window and the records of one window share a commit and a receipt signature."""
    writer = audit.AuditWriter(get_engine(), window_ms=1500)
    writer.submit(sequencer.make_event("test.warm", entry_id="w")).result(10)
    for _ in range(3):
        inflight.requests.enter()
    try:
        futures = [writer.submit(sequencer.make_event("test.together", entry_id="t", n=n)) for n in range(2)]
        receipts = [f.result(10) for f in futures]
    finally:
        for _ in range(3):
            inflight.requests.leave()
    assert receipts[0].batch is receipts[1].batch and receipts[0].batch_size == 2
    assert receipts[1].seq == receipts[0].seq + 1


class _Unwritable(sequencer.Event):
    """An event whose leaf cannot be made (an exchange call's is made by the writer)."""

    @property
    def leaf(self) -> bytes:
        raise ValueError("no leaf")


def test_an_event_that_cannot_become_a_leaf_fails_alone_not_its_batch(clean_db):
    """The writer makes the calls' leaves as it takes a batch: one that fails fails its own caller, and
    the calls it was batched with are written, numbered without a gap, and answered."""
    writer = audit.AuditWriter(get_engine(), window_ms=1500)
    writer.submit(sequencer.make_event("test.warm", entry_id="w")).result(10)
    for _ in range(4):
        inflight.requests.enter()
    try:
        good = sequencer.call_event("lookup", client_id="c1", consumer_org_id="o1", provider_org_id="o2",
                                    entry_id="e1", grant_id="g1", subject=None, purpose="审核", outcome="ok",
                                    status=200, rows=1, request={"query": {"id": "1"}}, response=b"{}")
        bad = _Unwritable("test.bad", None, b"", iso_at="2026-12-04T00:00:00.000000Z")
        futures = [writer.submit(good), writer.submit(bad), writer.submit(sequencer.make_event("test.ok"))]
        with pytest.raises(ValueError, match="no leaf"):
            futures[1].result(10)
        first, last = futures[0].result(10), futures[2].result(10)
    finally:
        for _ in range(4):
            inflight.requests.leave()
    assert first.batch is last.batch and first.batch_size == 2 and last.seq == first.seq + 1
    assert first.salt == good.salt and first.header().split(".")[4] == good.salt
    report = verify_log()
    assert report.ok and report.leaves == report.sequenced == last.seq + 1


def test_requests_in_progress_are_counted_and_released_whatever_the_answer(client):
    """The count the writer asks goes back to where it was after answers of every kind: a leaked count
    would hold every commit open for the window again."""
    before = inflight.requests.count
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/no-such-route").status_code == 404
    assert client.get("/api/v1/data/nothing/records?id_number=1").status_code == 401
    assert client.post("/api/v1/data/nothing/verify", content=b"{not json").status_code in (401, 422)
    assert inflight.requests.count == before
