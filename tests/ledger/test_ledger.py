"""The ledger end to end: every exchange call and governance event is a leaf with a receipt, checkpoints
are C2SP notes signed by the published key, proofs verify, auditors trace, and nobody else reads."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat

from sqlalchemy import select, text
from typer.testing import CliRunner

from govshare.cli import app as cli
from govshare.core.database import get_engine, session_scope
from govshare.ledger import keys, merkle, receipts
from govshare.ledger.canonical import canonical
from govshare.ledger.integrator import integrate_all
from govshare.ledger.models import LedgerEntry
from govshare.ledger.note import Checkpoint, open_note
from govshare.core.security import subject_hash
from govshare.ledger.sequencer import RECEIPT_HEADER
from tests.sharing.conftest import user_session


def _public_key(http) -> str:
    resp = http.get("/api/v1/ledger/public-key")
    assert resp.status_code == 200, resp.text
    return resp.json()["current"]


def _granted(world) -> dict:
    request = world.request()
    return world.approve(request["id"], masking={"name": "mask"})


def _leaves(**where) -> list[dict]:
    with session_scope(read_only=True) as session:
        query = select(LedgerEntry).order_by(LedgerEntry.seq)
        for column, value in where.items():
            query = query.where(getattr(LedgerEntry, column) == value)
        return [json.loads(bytes(r.leaf)) | {"_seq": r.seq} for r in session.scalars(query)]


def test_a_lookup_carries_a_receipt_that_verifies_offline_and_then_in_a_checkpoint(world, client):
    _granted(world)
    id_number = world.rows[0][0]
    resp = client.get(f"/api/v1/data/{world.entry['id']}/records", params={"id_number": id_number},
                      headers=world.bearer(world.client_a))
    assert resp.status_code == 200, resp.text
    receipt = resp.headers[RECEIPT_HEADER]
    key = _public_key(client)
    checked = receipts.verify_receipt(receipt, [key])
    body = receipts.parse_receipt(receipt)

    # The leaf: the call, the subject as a keyed hash, request and response only as salted hashes.
    with session_scope(read_only=True) as session:
        row = session.get(LedgerEntry, checked.seq)
        leaf = bytes(row.leaf)
    assert merkle.leaf_hash(leaf) == checked.leaf_hash
    event = json.loads(leaf)
    assert event["kind"] == "exchange.lookup" and event["outcome"] == "ok" and event["rows"] == 1
    assert event["subject"] == subject_hash(id_number) and id_number not in leaf.decode()
    salt = bytes.fromhex(body["salt"])
    assert event["response"] == hashlib.sha256(salt + resp.content).hexdigest()
    asked = canonical({"query": {"id_number": id_number}})
    assert event["request"] == hashlib.sha256(salt + asked).hexdigest()
    assert event["grant"] and event["consumer"] == world.consumer_org["id"]

    # Before integration the receipt is a promise; after it, a proof against a signed checkpoint.
    before = receipts.check(receipt, [key])
    assert before["included"] is False
    size = integrate_all()
    assert size > checked.seq
    note = client.get("/api/v1/ledger/checkpoint")
    assert note.status_code == 200 and note.headers["content-type"].startswith("text/plain")
    checkpoint = Checkpoint.parse(open_note(note.text, key))
    assert checkpoint.size == size and note.text.startswith("govshare.local/ledger\n")
    proof = client.get("/api/v1/ledger/proof/inclusion", params={"index": checked.seq}).json()
    assert merkle.verify_inclusion(checked.leaf_hash, checked.seq, size,
                                   [base64.b64decode(h) for h in proof["proof"]], checkpoint.root)
    assert receipts.check(receipt, [key])["included"] is True


def test_denials_are_logged_with_receipts_too(world, client):
    _granted(world)
    resp = client.get(f"/api/v1/data/{world.entry['id']}/records", params={"id_number": world.rows[0][0]},
                      headers=world.bearer(world.other_client))
    assert resp.status_code == 403
    checked = receipts.verify_receipt(resp.headers[RECEIPT_HEADER], [_public_key(client)])
    event = _leaves(seq=checked.seq)[0]
    assert event["kind"] == "exchange.lookup" and event["outcome"] == "no_grant" and event["status"] == 403


def test_verify_export_and_feed_calls_are_leaves(world, client):
    _granted(world)
    headers = world.bearer(world.client_a)
    entry = world.entry["id"]
    verify = client.post(f"/api/v1/data/{entry}/verify", json={"match": {"id_number": world.rows[1][0], "children": 1}},
                         headers=headers)
    export = client.get(f"/api/v1/data/{entry}/export", params={"format": "csv"}, headers=headers)
    feed = client.get(f"/api/v1/data/{entry}/changes", headers=headers)
    assert verify.status_code == export.status_code == feed.status_code == 200
    key = _public_key(client)
    kinds = {}
    for resp in (verify, export, feed):
        checked = receipts.verify_receipt(resp.headers[RECEIPT_HEADER], [key])
        kinds[checked.seq] = _leaves(seq=checked.seq)[0]
    assert sorted(e["kind"] for e in kinds.values()) == ["exchange.export", "exchange.feed", "exchange.verify"]
    # The yes/no answer cannot be read off the leaf: its hash is salted per call.
    verify_leaf = next(e for e in kinds.values() if e["kind"] == "exchange.verify")
    assert verify_leaf["response"] not in {hashlib.sha256(b).hexdigest() for b in (b'{"result":true}',
                                                                                     b'{"result":false}')}
    # The export's bytes are logged once streamed: same salt as its receipt.
    export_seq = receipts.verify_receipt(export.headers[RECEIPT_HEADER], [key]).seq
    salt = receipts.parse_receipt(export.headers[RECEIPT_HEADER])["salt"]
    integrate_all()  # the completion event is queued on the audit writer: wait for it through a pass
    done = [e for e in _leaves(entry_id=entry) if e["kind"] == "exchange.export.completed" and e["call"] == export_seq]
    assert len(done) == 1
    assert done[0]["response"] == hashlib.sha256(bytes.fromhex(salt) + export.content).hexdigest()


def test_governance_events_are_logged(world, client):
    granted = _granted(world)
    kinds = [e["kind"] for e in _leaves(entry_id=world.entry["id"])]
    for kind in ("entry.created", "entry.published", "data.loaded", "request.filed", "request.approved"):
        assert kind in kinds, kind
    loaded = next(e for e in _leaves(entry_id=world.entry["id"]) if e["kind"] == "data.loaded")
    assert len(loaded["content_sha256"]) == 64 and loaded["inserted"] == len(world.rows)
    resp = world.approver.post(f"/api/v1/grants/{granted['grant_id']}/revoke", json={"reason": "业务已办结"})
    assert resp.status_code == 200, resp.text
    revoked = _leaves(grant_id=granted["grant_id"])
    assert revoked[-1]["kind"] == "grant.revoked" and revoked[-1]["reason"] == "业务已办结"
    # A rejected change logs nothing: events are sequenced only when their transaction commits.
    before = len(_leaves())
    resp = world.approver.post(f"/api/v1/grants/{granted['grant_id']}/revoke", json={"reason": "again"})
    assert resp.status_code == 409
    assert len(_leaves()) == before


def test_leaves_are_read_by_parties_and_auditors_only_and_trace_is_for_auditors(world, client, platform):
    _granted(world)
    id_number = world.rows[2][0]
    resp = client.get(f"/api/v1/data/{world.entry['id']}/records", params={"id_number": id_number},
                      headers=world.bearer(world.client_a))
    seq = receipts.verify_receipt(resp.headers[RECEIPT_HEADER], [_public_key(client)]).seq
    integrate_all()
    auditor_org = platform.org(name="舟山市审计局")
    auditor = user_session(client.app, platform.user(auditor_org, ["auditor"]))
    outsider = user_session(client.app, platform.user(world.other_org, ["org_admin"]))
    assert world.consumer.get(f"/api/v1/ledger/entries/{seq}").status_code == 200
    assert world.approver.get(f"/api/v1/ledger/entries/{seq}").status_code == 200
    denied = outsider.get(f"/api/v1/ledger/entries/{seq}")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "not_party"
    assert client.get(f"/api/v1/ledger/entries/{seq}").status_code == 401
    assert auditor.get(f"/api/v1/ledger/entries/{seq}").status_code == 200

    for who in (world.consumer, world.approver, outsider, world.operator):
        resp = who.post("/api/v1/ledger/trace", json={"by": "subject", "value": id_number})
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "auditors_only"
    assert auditor.get("/api/v1/ledger/trace", params={"by": "subject", "value": id_number}).status_code == 405
    traced = auditor.post("/api/v1/ledger/trace", json={"by": "subject", "value": id_number.lower()})
    assert traced.status_code == 200, traced.text
    # (Other tests' worlds hold the same generated ID numbers: this world's entry only.)
    events = [e for e in traced.json()["events"] if e["event"]["entry"] == world.entry["id"]]
    assert [e["index"] for e in events] == [seq]
    checkpoint = Checkpoint.parse(open_note(traced.json()["checkpoint"], _public_key(client)))
    assert merkle.verify_inclusion(base64.b64decode(events[0]["leaf_hash"]), seq, checkpoint.size,
                                   [base64.b64decode(h) for h in events[0]["proof"]["hashes"]], checkpoint.root)
    by_consumer = auditor.post("/api/v1/ledger/trace", json={"by": "consumer", "value": world.consumer_org["id"]})
    assert seq in [e["index"] for e in by_consumer.json()["events"]]
    by_grant = auditor.post("/api/v1/ledger/trace", json={"by": "grant", "value": events[0]["event"]["grant"]})
    kinds = [e["event"]["kind"] for e in by_grant.json()["events"]]
    assert seq in [e["index"] for e in by_grant.json()["events"]] and "exchange.lookup" in kinds
    assert any(not k.startswith("exchange.") for k in kinds)  # the grant's governance events too
    times = [(e["event"]["at"], e["index"]) for e in by_grant.json()["events"]]
    assert times == sorted(times, reverse=True)


def test_cli_verifies_the_log_and_a_receipt_offline(world, client, tmp_path):
    _granted(world)
    resp = client.get(f"/api/v1/data/{world.entry['id']}/records", params={"id_number": world.rows[0][0]},
                      headers=world.bearer(world.client_a))
    (tmp_path / "receipt.txt").write_text(resp.headers[RECEIPT_HEADER])
    (tmp_path / "key.txt").write_text(_public_key(client) + "\n")
    runner = CliRunner()
    result = runner.invoke(cli, ["ledger", "integrate", "--json"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["ledger", "verify", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] and report["leaves"] == report["integrated"] > 0
    result = runner.invoke(cli, ["ledger", "verify-receipt", str(tmp_path / "receipt.txt"),
                                 "--key", str(tmp_path / "key.txt"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["included"] is True
    # A receipt altered by one character is refused.
    forged = receipts.parse_receipt(resp.headers[RECEIPT_HEADER])
    forged["seq"] += 1
    (tmp_path / "forged.txt").write_text(json.dumps(forged))
    result = runner.invoke(cli, ["ledger", "verify-receipt", str(tmp_path / "forged.txt"),
                                 "--key", str(tmp_path / "key.txt")])
    assert result.exit_code == 1 and "INVALID" in result.output
    # A receipt file that is not there: a usage error naming it, not a traceback.
    result = runner.invoke(cli, ["ledger", "verify-receipt", str(tmp_path / "missing.txt")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_key_file_is_private_and_rotation_keeps_old_signatures_valid(world, client):
    _granted(world)
    integrate_all()
    path = keys.key_path()
    keys.signer()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    old_key = _public_key(client)
    with session_scope() as session:
        old, new = keys.rotate(session)
    assert old.verifier_key == old_key != new.verifier_key
    resp = client.get(f"/api/v1/data/{world.entry['id']}/records", params={"id_number": world.rows[0][0]},
                      headers=world.bearer(world.client_a))
    assert receipts.verify_receipt(resp.headers[RECEIPT_HEADER], [new.verifier_key])
    integrate_all()
    listed = client.get("/api/v1/ledger/public-key").json()
    assert listed["current"] == new.verifier_key
    assert old_key in [k["verifier_key"] for k in listed["keys"]]
    from govshare.ledger.verify import verify_log
    report = verify_log()
    assert report.ok, report.problems
    with get_engine().connect() as conn:
        key_ids = {r[0] for r in conn.execute(text("SELECT DISTINCT key_id FROM ledger_checkpoints"))}
    assert len(key_ids) == 2


def test_proof_requests_outside_the_tree_are_4xx(world, client):
    _granted(world)
    size = integrate_all()
    for params in ({"index": size}, {"index": 0, "tree_size": size + 1}, {"index": -1}):
        resp = client.get("/api/v1/ledger/proof/inclusion", params=params)
        assert resp.status_code in (400, 422), (params, resp.text)
    resp = client.get("/api/v1/ledger/proof/consistency", params={"first": size + 1})
    assert resp.status_code == 422
    resp = client.get("/api/v1/ledger/proof/consistency", params={"first": 1})
    assert resp.status_code == 200 and resp.json()["second"] == size


def test_processes_starting_together_agree_on_one_key(database, tmp_path):
    """The first server processes of a platform create the key at once: one file, one key for all."""
    import subprocess
    import sys
    code = ("from govshare.ledger.keys import signer, key_path; import sys; "
            "sys.stdout.write(signer().verifier_key)")
    env = {**os.environ, "GOVSHARE_DATA_DIR": str(tmp_path),
           "GOVSHARE_DATABASE_URL": database.url.render_as_string(hide_password=False)}
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(6)]
    outputs = {p.communicate(timeout=60)[0] for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(outputs) == 1 and next(iter(outputs)).startswith("govshare.local/ledger+")
    assert stat.S_IMODE(os.stat(tmp_path / "ledger.key").st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["ledger.key"]
