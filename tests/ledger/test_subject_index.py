"""The subject index (`ledger_subjects`): written by the integrator with each checkpoint, it lists exactly the
integrated leaves that are about someone; the auditor's trace and the citizen's record read it and, after the
latest checkpoint, the newest leaves themselves; `ledger verify` holds it to the leaves."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from govshare.core.database import get_engine, session_scope
from govshare.core.security import subject_hash
from govshare.exchange import audit
from govshare.ledger import sequencer, subjects, tree
from govshare.ledger.integrator import integrate_all
from govshare.ledger.verify import verify_log
from tests.conftest import make_id_number
from tests.ledger.test_monitoring import _citizen, _lookup
from tests.sharing.conftest import user_session

PEOPLE = [make_id_number(seq=n) for n in range(901, 906)]


def _calls(people: list[str]) -> list[int]:
    """One lookup about each person in turn (None: a call about no one, e.g. a refused export); the numbers."""
    receipts = audit.log_events([sequencer.call_event(
        "lookup", client_id="c1", consumer_org_id="o1", provider_org_id="o2", entry_id="e1", grant_id="g1",
        subject=person, purpose="审核", outcome="ok", status=200, rows=1, request={"query": {"id": person}},
        response=b"{}") for person in people]).result(10)
    return [r.seq for r in receipts]


def _index_rows(engine) -> list[tuple[int, int]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT subject_key, seq FROM ledger_subjects ORDER BY seq"))]


@pytest.fixture()
def logged(clean_db):
    """Calls about PEOPLE (and some about no one), integrated; then a few more, not yet integrated."""
    tree.complete_tiles.clear()
    people = [PEOPLE[i % 3] if i % 4 else None for i in range(40)]
    seqs = _calls(people)
    with session_scope() as session:  # a governance event too
        sequencer.record(session, "test.event", entry_id="e1")
    integrate_all()
    later = _calls([PEOPLE[0], PEOPLE[3], None])
    yield {"integrated": list(zip(seqs, people)), "later": list(zip(later, [PEOPLE[0], PEOPLE[3], None])),
           "engine": get_engine()}
    tree.complete_tiles.clear()


def test_the_integrator_indexes_exactly_the_integrated_leaves_about_someone(logged):
    expected = sorted((seq, subjects.subject_key(subject_hash(person)))
                      for seq, person in logged["integrated"] if person is not None)
    assert sorted((seq, key) for key, seq in _index_rows(logged["engine"])) == expected
    assert verify_log().ok
    integrate_all()  # the later calls: two more rows, the call about no one none
    rows = {seq: key for key, seq in _index_rows(logged["engine"])}
    (a, first), (b, fourth), (c, _) = logged["later"]
    assert rows[a] == subjects.subject_key(subject_hash(first)) and rows[b] == subjects.subject_key(subject_hash(fourth))
    assert c not in rows and len(rows) == len(expected) + 2
    assert verify_log().ok


def test_subject_keys_are_the_hashs_first_64_bits_and_any_text_gets_one():
    assert subjects.subject_key("7fffffffffffffff" + "0" * 48) == 2 ** 63 - 1
    assert subjects.subject_key("8000000000000000" + "f" * 48) == -(2 ** 63)
    # Not hex (only a row edited underneath holds one): keyed all the same, the integrator does not stop.
    assert subjects.subject_key("s" * 64) == subjects.subject_key("s" * 64) != subjects.subject_key("t" * 64)
    assert subjects.subject_key("abc") != subjects.subject_key("abd")
    rows = subjects.index_rows([(5, "ff" * 32), (3, None), (4, "00" * 32), (6, "00" * 32)])
    assert rows == [(-1, 5), (0, 4), (0, 6)]  # the order of the B-tree (signed keys)


def test_trace_and_record_read_integrated_and_newest_leaves_alike(world, client, platform):
    """Two lookups integrated, one after the latest checkpoint: the auditor's trace and the citizen's record
    show all three, newest first, and nothing about the person looked up in between."""
    world.approve(world.request()["id"])
    mine, theirs = world.rows[5][0], world.rows[6][0]
    assert _lookup(world, client, mine).status_code == 200
    assert _lookup(world, client, theirs).status_code == 200
    assert _lookup(world, client, mine).status_code == 200
    integrate_all()
    assert _lookup(world, client, mine, world.other_client).status_code == 403  # not yet integrated
    with get_engine().connect() as conn:
        integrated = conn.execute(text("SELECT max(size) FROM ledger_checkpoints")).scalar_one()
        newest = conn.execute(text("SELECT max(seq) FROM ledger_entries")).scalar_one()
    assert newest >= integrated  # the refused lookup is after the checkpoint

    citizen = _citizen(platform, client, mine)
    record = citizen.get("/api/v1/me/data-access", params={"limit": 100})
    assert record.status_code == 200, record.text
    items = [i for i in record.json()["items"] if i["entry_id"] == world.entry["id"]]
    assert [i["outcome"] for i in items] == ["no_grant", "ok", "ok"]
    assert items[0]["index"] >= integrated > items[1]["index"] > items[2]["index"]

    auditor = user_session(client.app, platform.user(platform.org(name="舟山市审计局"), ["auditor"]))
    traced = auditor.post("/api/v1/ledger/trace", json={"by": "subject", "value": mine})
    assert traced.status_code == 200, traced.text
    events = [e for e in traced.json()["events"] if e["event"]["entry"] == world.entry["id"]]
    assert [e["index"] for e in events] == [i["index"] for i in items]
    assert "proof" not in events[0] and all("proof" in e for e in events[1:])  # proofs for the integrated only
    assert {e["event"]["subject"] for e in events} == {subject_hash(mine)}


def _problems(kind: str = "subject_index") -> list[dict]:
    report = verify_log()
    assert not report.ok
    return [p for p in report.problems if p["kind"] == kind]


def test_verify_finds_a_leaf_removed_from_the_index(logged):
    """Deleting a row would hide a lookup from that person's record and from the auditor."""
    seq = next(s for s, person in logged["integrated"] if person is not None)
    with logged["engine"].begin() as conn:
        conn.execute(text("DELETE FROM ledger_subjects WHERE seq = :s"), {"s": seq})
    problems = _problems()
    assert [p["index"] for p in problems] == [seq] and "missing from the subject index" in problems[0]["message"]
    assert verify_log().first_bad_index == seq


def test_verify_finds_a_leaf_filed_under_someone_else(logged):
    seq = [s for s, person in logged["integrated"] if person is not None][3]
    with logged["engine"].begin() as conn:
        conn.execute(text("UPDATE ledger_subjects SET subject_key = :k WHERE seq = :s"),
                     {"k": subjects.subject_key(subject_hash(PEOPLE[4])), "s": seq})
    problems = _problems()
    assert [p["index"] for p in problems] == [seq] and "another subject" in problems[0]["message"]


def test_verify_finds_rows_for_leaves_about_no_one_or_not_stored(logged):
    nobody = next(s for s, person in logged["integrated"] if person is None)
    doubled = next(s for s, person in logged["integrated"] if person is not None)
    key = subjects.subject_key(subject_hash(PEOPLE[1]))
    with logged["engine"].begin() as conn:
        conn.execute(text("INSERT INTO ledger_subjects (subject_key, seq) VALUES (:k, :s)"), {"k": key, "s": nobody})
        conn.execute(text("INSERT INTO ledger_subjects (subject_key, seq) VALUES (:k, :s)"),
                     {"k": key + 1, "s": doubled})
        conn.execute(text("DELETE FROM ledger_entries WHERE seq = 2"))  # a deleted leaf keeps its index row
    problems = _problems()
    messages = {p["index"]: p["message"] for p in problems}
    assert "about no one" in messages[nobody] and "more than once" in messages[doubled]
    assert ("not stored" in messages[2]) == (logged["integrated"][2][1] is not None)


def test_a_subject_edited_underneath_is_reported_and_does_not_stop_the_integrator(logged):
    seq = logged["later"][0][0]  # not yet integrated
    with logged["engine"].begin() as conn:
        conn.execute(text("UPDATE ledger_entries SET subject_hash = 'not a hash' WHERE seq = :s"), {"s": seq})
    assert integrate_all() > seq
    report = verify_log()
    assert [p["kind"] for p in report.problems] == ["column", "subject_index"]
    assert report.first_bad_index == seq
