"""`ledger verify` finds every kind of tampering done directly in the database, and says where; a saved
checkpoint exposes a history rewritten from scratch (even one re-signed with the platform's key)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from govshare.core.database import get_engine, session_scope
from govshare.ledger import sequencer, tree
from govshare.ledger.integrator import integrate, integrate_all
from govshare.ledger.verify import verify_from_checkpoint, verify_log


def _log(count: int, tag: str = "a") -> None:
    with session_scope() as session:
        for i in range(count):
            sequencer.record(session, "test.event", entry_id=f"e{i % 7}", grant_id=f"g{i % 3}", n=i, tag=tag)


@pytest.fixture()
def ledger(clean_db):
    tree.complete_tiles.clear()
    _log(300)
    integrate_all()
    _log(40)
    integrate_all()
    _log(5)  # sequenced, not yet integrated
    report = verify_log()
    assert report.ok, report.problems
    assert (report.leaves, report.integrated, report.checkpoints) == (345, 340, 2)
    yield get_engine()
    tree.complete_tiles.clear()


def _sql(engine, sql: str, **params) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql), params)


def _leaf(engine, seq: int) -> bytes:
    with engine.connect() as conn:
        return bytes(conn.execute(text("SELECT leaf FROM ledger_entries WHERE seq = :s"), {"s": seq}).scalar_one())


def test_a_modified_leaf(ledger):
    leaf = _leaf(ledger, 123).replace(b'"n":123', b'"n":124')
    _sql(ledger, "UPDATE ledger_entries SET leaf = :leaf WHERE seq = 123", leaf=leaf)
    report = verify_log()
    assert not report.ok and report.first_bad_index == 123
    assert any(p["kind"] == "checkpoint" for p in report.problems)


def test_a_deleted_leaf(ledger):
    _sql(ledger, "DELETE FROM ledger_entries WHERE seq = 77")
    report = verify_log()
    assert not report.ok and report.first_bad_index == 77
    assert report.problems[0]["kind"] == "missing"


def test_a_deleted_tail_leaf_not_yet_integrated(ledger):
    _sql(ledger, "DELETE FROM ledger_entries WHERE seq = 344")
    report = verify_log()
    assert not report.ok and report.first_bad_index == 344


def test_the_integrator_stops_at_a_hole_in_the_numbers(ledger):
    """A leaf deleted before integration: the integrator integrates up to it and signs nothing over it."""
    _sql(ledger, "DELETE FROM ledger_entries WHERE seq = 342")
    assert integrate_all() == 342
    report = verify_log()
    assert report.integrated == 342 and report.first_bad_index == 342
    assert report.problems[0]["kind"] == "missing"


def test_reordered_leaves(ledger):
    a, b = _leaf(ledger, 10), _leaf(ledger, 11)
    _sql(ledger, "UPDATE ledger_entries SET leaf = :leaf WHERE seq = 10", leaf=b)
    _sql(ledger, "UPDATE ledger_entries SET leaf = :leaf WHERE seq = 11", leaf=a)
    report = verify_log()
    assert not report.ok and report.first_bad_index == 10


def test_an_inserted_leaf(ledger):
    """Inserting shifts every later leaf up by one: the first shifted index is reported."""
    with ledger.begin() as conn:
        rows = conn.execute(text("SELECT seq FROM ledger_entries WHERE seq >= 200 ORDER BY seq DESC")).all()
        for (seq,) in rows:
            conn.execute(text("UPDATE ledger_entries SET seq = seq + 1 WHERE seq = :s"), {"s": seq})
        conn.execute(text("INSERT INTO ledger_entries (seq, at, kind, leaf) SELECT 200, at, kind, leaf "
                          "FROM ledger_entries WHERE seq = 5"))
    report = verify_log()
    assert not report.ok and report.first_bad_index == 200


def test_a_search_column_that_no_longer_matches_its_leaf(ledger):
    _sql(ledger, "UPDATE ledger_entries SET grant_id = 'g9' WHERE seq = 50")
    report = verify_log()
    assert not report.ok and report.first_bad_index == 50 and report.problems[0]["kind"] == "column"


def _calls(count: int) -> list[int]:
    """Exchange calls logged as the exchange logs them; their sequence numbers."""
    from govshare.exchange import audit
    receipts = [audit.log_event(sequencer.call_event(
        "lookup", client_id="c1", consumer_org_id="o1", provider_org_id="o2", entry_id="e1", grant_id="g1",
        subject=str(i), purpose="审核", outcome="no_grant" if i % 2 else "ok", status=403 if i % 2 else 200,
        rows=0 if i % 2 else 1, request={"query": {"id": str(i)}}, response=None)).result(10) for i in range(count)]
    return [r.seq for r in receipts]


@pytest.mark.parametrize("column, value", [("outcome", "'ok'"), ("row_count", "7"), ("method", "'verify'"),
                                           ("purpose", "'另一用途'")])
def test_an_exchange_calls_audit_columns_must_say_what_its_leaf_says(ledger, column, value):
    """The call history and monitoring read the columns: a refused call dressed up as answered is found."""
    seqs = _calls(4)
    integrate_all()
    assert verify_log().ok
    _sql(ledger, f"UPDATE ledger_entries SET {column} = {value} WHERE seq = {seqs[1]}")
    report = verify_log()
    assert not report.ok and report.first_bad_index == seqs[1] and report.problems[0]["kind"] == "column"


def test_a_time_column_that_no_longer_matches_its_leaf(ledger):
    """The citizen's record and the trace show the `at` column and monitoring windows by it: a call or an
    event moved in time (out of working hours, say) is found, on either store's column type."""
    seqs = _calls(2)
    integrate_all()
    assert verify_log().ok
    with ledger.connect() as conn:
        call_at, event_at = (conn.execute(text("SELECT at FROM ledger_entries WHERE seq = :s"), {"s": s}).scalar_one()
                             for s in (seqs[0], 30))
    for seq, at in ((seqs[0], call_at), (30, event_at)):
        moved = (datetime.fromisoformat(at) if isinstance(at, str) else at) + timedelta(hours=3)
        _sql(ledger, "UPDATE ledger_entries SET at = :at WHERE seq = :s", at=moved, s=seq)
    report = verify_log()
    assert [(p["kind"], p["index"]) for p in report.problems] == [("column", 30), ("column", seqs[0])]
    assert "column at" in report.problems[0]["message"]


def test_a_governance_event_cannot_pass_for_a_call(ledger):
    _sql(ledger, "UPDATE ledger_entries SET method = 'lookup' WHERE seq = 60")
    report = verify_log()
    assert not report.ok and report.first_bad_index == 60 and report.problems[0]["kind"] == "column"


def test_a_tampered_node(ledger):
    with ledger.connect() as conn:
        blob = bytes(conn.execute(text("SELECT hashes FROM ledger_tiles WHERE level = 0 AND idx = 0")).scalar_one())
    at = tree._offset(256, 3, 5)  # node (3, 5): leaves 40..47
    forged = blob[:at] + bytes(32) + blob[at + 32:]
    _sql(ledger, "UPDATE ledger_tiles SET hashes = :b WHERE level = 0 AND idx = 0", b=forged)
    report = verify_log()
    assert not report.ok and report.first_bad_index == 40 and report.problems[0]["kind"] == "node"


def test_a_tampered_checkpoint(ledger):
    _sql(ledger, "UPDATE ledger_checkpoints SET root = :r WHERE size = 300", r=bytes(32))
    report = verify_log()
    assert not report.ok and any(p["kind"] == "checkpoint_row" and p["size"] == 300 for p in report.problems)
    with ledger.connect() as conn:
        note = conn.execute(text("SELECT note FROM ledger_checkpoints WHERE size = 340")).scalar_one()
    _sql(ledger, "UPDATE ledger_checkpoints SET note = :n WHERE size = 340", n=note.replace("\n340\n", "\n341\n"))
    report = verify_log()
    assert any(p["kind"] == "checkpoint_signature" and p["size"] == 340 for p in report.problems)


def test_a_saved_checkpoint_exposes_a_rewritten_history(ledger):
    with ledger.connect() as conn:
        saved = conn.execute(text("SELECT note FROM ledger_checkpoints WHERE size = 300")).scalar_one()
    _log(10)
    integrate_all()
    report = verify_from_checkpoint(saved)
    assert report.ok, report.problems
    # Rewrite everything from scratch, with the platform's own key: internally consistent…
    _sql(ledger, "DELETE FROM ledger_entries")
    _sql(ledger, "DELETE FROM ledger_tiles")
    _sql(ledger, "DELETE FROM ledger_checkpoints")
    _sql(ledger, "UPDATE ledger_state SET size = 0")
    tree.complete_tiles.clear()
    _log(400, tag="rewritten")
    integrate_all()
    assert verify_log().ok
    # …but not an extension of what a department saved.
    report = verify_from_checkpoint(saved)
    assert not report.ok
    assert {p["kind"] for p in report.problems} == {"saved_checkpoint"}


def test_two_integrators_racing_never_fork(ledger):
    """Both read the same checkpoint; only the first to write commits, the other signs nothing."""
    first = integrate(ledger)
    assert first is not None and first.size == 345
    _log(3)
    from govshare.ledger import integrator

    original = integrator.latest_size
    calls = {"n": 0}

    def stale(conn):  # the second integrator's read phase saw the old size
        calls["n"] += 1
        return 340 if calls["n"] == 1 else original(conn)

    integrator.latest_size = stale
    try:
        assert integrate(ledger) is None
    finally:
        integrator.latest_size = original
    assert integrate(ledger).size == 348
    assert verify_log().ok


def test_integrator_threads_share_one_lease_and_keep_up(ledger):
    """Two processes' integrators (two holders): one integrates, within a few intervals of each append."""
    import time

    from govshare.ledger.integrator import Integrator
    from govshare.ledger.verify import verify_log as check
    first, second = Integrator(interval=0.2, holder="proc-a").start(), Integrator(interval=0.2, holder="proc-b").start()
    try:
        _log(25)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and check().integrated < 370:
            time.sleep(0.1)
    finally:
        first.stop()
        second.stop()
    report = check()
    assert report.ok and report.integrated == report.leaves == 370
    assert first.passes > 0 and second.passes > 0
