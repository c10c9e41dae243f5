"""Migrations create the schema from nothing, and upgrading from each older revision keeps the data."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text

from govshare.core.database import get_engine
from govshare.core.migrate import alembic_config, current_revision, include_object, upgrade_to_head
from govshare.models import drop_everything
from tests.conftest import _reset_schema


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _upgrade(target: str) -> None:
    cfg = alembic_config()
    with get_engine().begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, target)


def test_schema_at_head_matches_models(clean_db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from govshare.models import metadata
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_object": include_object}), metadata)
    assert diff == [], diff
    assert current_revision() == _revisions()[-1]


def test_upgrade_from_first_revision_keeps_data(clean_db):
    engine = get_engine()
    with engine.begin() as conn:
        drop_everything(conn)
    first = _revisions()[0]
    _upgrade(first)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organizations (id, code, name, region_code, level, code_check_failed, "
                          "created_at) VALUES ('oold', '11330900MB0000000X', '旧库单位', '330900', 'city', false, "
                          "CURRENT_TIMESTAMP)"))
    upgrade_to_head()
    upgrade_to_head()  # idempotent
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM organizations WHERE id = 'oold'")).scalar_one() == "旧库单位"
    _reset_schema()


def test_calls_move_into_the_ledger_without_losing_one(clean_db):
    """Revision 0007 folds `exchange_calls` into the ledger: a call that had a leaf gets its columns from
    the leaf; a call from before the ledger (no leaf) is appended to the log, marked backfilled; the
    monitoring cursor keeps its place; `ledger verify` accepts the result."""
    from govshare.ledger import tree
    from govshare.ledger.canonical import canonical
    from govshare.ledger.integrator import integrate_all
    from govshare.ledger.verify import verify_log

    engine = get_engine()
    with engine.begin() as conn:
        drop_everything(conn)
    _upgrade("0006")
    leaf = canonical({"v": 1, "kind": "exchange.lookup", "at": "2026-11-30T01:02:03.000004Z", "subject": "s" * 64,
                      "consumer": "ocons", "provider": "oprov", "entry": "e1", "grant": "g1", "client": "c1",
                      "purpose": "低保审核", "outcome": "ok", "status": 200, "rows": 1, "request": "r" * 64,
                      "response": "x" * 64})
    call = ("'{}', 'oprov', 'ocons', 'c1', 'e1', 'g1', '{}', '低保审核', '{}', {}, '{}', {}, {}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE ledger_state SET size = 1"))
        conn.execute(text("INSERT INTO ledger_entries (seq, at, kind, leaf, subject_hash, consumer_org_id, "
                          "provider_org_id, entry_id, grant_id) VALUES (0, '2026-11-30 01:02:03.000004', "
                          "'exchange.lookup', :leaf, :s, 'ocons', 'oprov', 'e1', 'g1')"), {"leaf": leaf, "s": "s" * 64})
        columns = ("at, provider_org_id, consumer_org_id, client_id, entry_id, grant_id, method, purpose, "
                   "subject_hash, row_count, outcome, status_code, ledger_seq")
        conn.execute(text(f"INSERT INTO exchange_calls ({columns}) VALUES ("
                          + call.format("2026-11-29 08:00:00", "verify", "t" * 64, 0, "no_grant", 403, "NULL") + ")"))
        conn.execute(text(f"INSERT INTO exchange_calls ({columns}) VALUES ("
                          + call.format("2026-11-30 01:02:03.000004", "lookup", "s" * 64, 1, "ok", 200, 0) + ")"))
        conn.execute(text("INSERT INTO monitoring_cursor (name, last_call_id) VALUES ('exchange_calls', 2)"))
    upgrade_to_head()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT seq, kind, method, client_id, purpose, row_count, outcome, status_code, "
                                 "subject_hash, leaf FROM ledger_entries ORDER BY seq")).all()
        cursor = conn.execute(text("SELECT name, next_seq FROM monitoring_cursor")).all()
        tables = set(sa_inspect(conn).get_table_names())
    assert "exchange_calls" not in tables
    assert [r[:9] for r in rows] == [
        (0, "exchange.lookup", "lookup", "c1", "低保审核", 1, "ok", 200, "s" * 64),
        (1, "exchange.verify", "verify", "c1", "低保审核", 0, "no_grant", 403, "t" * 64)]
    assert b'"backfilled":true' in bytes(rows[1].leaf) and b"backfilled" not in bytes(rows[0].leaf)
    assert cursor == [("ledger", 2)]  # both calls had been judged: the rules go on after them
    tree.complete_tiles.clear()
    integrate_all()
    report = verify_log()
    assert report.ok and report.leaves == 2, report.problems
    _reset_schema()


def test_calls_fold_back_out_of_the_ledger_on_downgrade(clean_db):
    """Revision 0007's downgrade restores `exchange_calls` from the calls' leaves (governance events stay
    leaves only) and the monitoring cursor as a call id; upgrading again gives the same log."""
    from govshare.exchange import audit
    from govshare.ledger.sequencer import call_event, make_event

    audit.log_events([call_event("lookup", client_id="c1", consumer_org_id="o1", provider_org_id="o2", entry_id="e1",
                                 grant_id="g1", subject="110105194001010000", purpose="低保审核", outcome=outcome,
                                 status=200 if outcome == "ok" else 403, rows=int(outcome == "ok"),
                                 request={"query": {"id": "1"}}, response=None) for outcome in ("ok", "no_grant", "ok")]
                     + [make_event("test.event", entry_id="e1")]).result(10)
    engine = get_engine()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO monitoring_cursor (name, next_seq) VALUES ('ledger', 2)"))
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    with engine.connect() as conn:
        calls = conn.execute(text("SELECT id, method, outcome, ledger_seq FROM exchange_calls ORDER BY id")).all()
        cursor = conn.execute(text("SELECT name, last_call_id FROM monitoring_cursor")).all()
    assert [tuple(c[1:]) for c in calls] == [("lookup", "ok", 0), ("lookup", "no_grant", 1), ("lookup", "ok", 2)]
    assert cursor == [("exchange_calls", calls[1][0])]  # the calls at 0 and 1 had been judged
    upgrade_to_head()
    with engine.connect() as conn:
        leaves = conn.execute(text("SELECT seq, method, outcome FROM ledger_entries ORDER BY seq")).all()
        cursor = conn.execute(text("SELECT name, next_seq FROM monitoring_cursor")).all()
    assert [tuple(r) for r in leaves] == [(0, "lookup", "ok"), (1, "lookup", "no_grant"), (2, "lookup", "ok"),
                                          (3, None, None)]
    assert cursor == [("ledger", 2)]
    _reset_schema()


def test_a_database_left_at_an_older_revision_is_dropped_whole(clean_db):
    """`drop_everything` also drops `exchange_calls`, the audit table of revisions before 0007 (which
    the cost benchmarks recreate for older commits): left behind, it stopped the next migration from
    creating it, and every later reset on that database failed."""
    with get_engine().begin() as conn:
        drop_everything(conn)
    _upgrade("0006")
    assert "exchange_calls" in sa_inspect(get_engine()).get_table_names()
    _reset_schema()
    assert "exchange_calls" not in sa_inspect(get_engine()).get_table_names()
    assert current_revision() == _revisions()[-1]


def test_the_subject_index_is_filled_for_integrated_leaves_on_upgrade(clean_db):
    """Revision 0008 moves subjects from an index on the leaves' rows to `ledger_subjects`, written by the
    integrator: upgrading fills it for the leaves below the latest checkpoint (the others are read by
    number until integrated); `ledger verify` accepts the result, and the downgrade restores the old index."""
    from govshare.core.security import subject_hash
    from govshare.exchange import audit
    from govshare.ledger import subjects, tree
    from govshare.ledger.integrator import integrate_all
    from govshare.ledger.sequencer import call_event
    from govshare.ledger.verify import verify_log

    def calls(people):
        return [r.seq for r in audit.log_events([call_event(
            "lookup", client_id="c1", consumer_org_id="o1", provider_org_id="o2", entry_id="e1", grant_id="g1",
            subject=person, purpose="低保审核", outcome="ok", status=200, rows=1, request={"q": i}, response=b"{}")
            for i, person in enumerate(people)]).result(10)]

    tree.complete_tiles.clear()
    integrated = calls(["110105194001010001", None, "110105194001010002", "110105194001010001"])
    integrate_all()
    later = calls(["110105194001010003"])
    cfg = alembic_config()
    with get_engine().begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007")
    indexes = {ix["name"] for ix in sa_inspect(get_engine()).get_indexes("ledger_entries")}
    assert "ix_ledger_entries_subject" in indexes
    assert "ledger_subjects" not in sa_inspect(get_engine()).get_table_names()
    upgrade_to_head()
    with get_engine().connect() as conn:
        rows = conn.execute(text("SELECT seq, subject_key FROM ledger_subjects ORDER BY seq")).all()
    assert [tuple(r) for r in rows] == [
        (integrated[0], subjects.subject_key(subject_hash("110105194001010001"))),
        (integrated[2], subjects.subject_key(subject_hash("110105194001010002"))),
        (integrated[3], subjects.subject_key(subject_hash("110105194001010001")))]
    assert later[0] not in [r[0] for r in rows]
    assert "ix_ledger_entries_subject" not in {ix["name"] for ix in sa_inspect(get_engine()).get_indexes("ledger_entries")}
    assert verify_log().ok
    integrate_all()
    assert verify_log().ok
    tree.complete_tiles.clear()
    _reset_schema()
