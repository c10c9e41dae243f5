"""Sharing and exchange through the operator CLI: the same services, grant checks, masking and audit as
the API, with --json output for scripts and exit code 2 on service errors."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from govshare.cli import app as cli
from govshare.core.database import session_scope, utcnow
from govshare.ledger.models import LedgerEntry
from govshare.sharing.models import AccessRequest
from tests.sharing.conftest import World, build_world, region_person_items

runner = CliRunner()
ALL_ITEMS = ",".join(i["name"] for i in region_person_items())


def _run(*args: str, code: int = 0) -> dict:
    """Invoke with --json; assert the exit code; the last stdout line as JSON."""
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == code, result.output
    assert result.stdout.strip(), result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


@dataclass
class Cast:
    """The world of tests/sharing with usernames the CLI can act as."""

    world: World
    consumer: str
    consumer_admin: str
    approver: str
    operator: str

    @property
    def entry_id(self) -> str:
        return self.world.entry["id"]

    def client(self, api_client: dict) -> list[str]:
        return ["--client-id", api_client["client_id"], "--client-secret", api_client["client_secret"]]

    def file(self, methods: str = "lookup,verify,export,feed", clients: str | None = None) -> dict:
        return _run("request", "file", "--as", self.consumer, "--entry", self.entry_id, "--items", ALL_ITEMS,
                    "--methods", methods, "--purpose", "住房公积金提取审核", "--legal-basis", "住房公积金管理条例",
                    "--clients", clients or self.world.client_a["client_id"])

    def approve(self, request_id: str, *extra: str) -> dict:
        return _run("request", "approve", request_id, "--as", self.approver, *extra)


@pytest.fixture()
def cast(platform, app) -> Cast:
    world = build_world(platform, app)
    return Cast(world=world,
                consumer=platform.user(world.consumer_org, ["consumer"])["username"],
                consumer_admin=platform.user(world.consumer_org, ["org_admin"])["username"],
                approver=platform.user(world.provider, ["approver"])["username"],
                operator=platform.user(platform.org(name="舟山市大数据发展管理局"), ["platform_admin"])["username"])


def _audit_rows(entry_id: str, client_pk: str) -> list[LedgerEntry]:
    """The exchange calls' audit records: their ledger leaves."""
    with session_scope(read_only=True) as session:
        return list(session.scalars(select(LedgerEntry).where(LedgerEntry.entry_id == entry_id,
                                                              LedgerEntry.client_id == client_pk)))


# ---- requests, approval with masking, every exchange method ------------------------------------------

def test_request_approved_with_mask_then_lookup_verify_export_changes(cast, tmp_path):
    world = cast.world
    req = cast.file()
    assert req["status"] == "pending" and req["due_at"] and req["grant_id"] is None
    assert req["client_ids"] == [world.client_a["id"]]

    inbox = _run("request", "list", "--as", cast.approver, "--view", "inbox", "--status", "pending")
    assert [r["id"] for r in inbox["items"]] == [req["id"]] and inbox["total"] == 1
    mine = _run("request", "list", "--as", cast.consumer)
    assert req["id"] in [r["id"] for r in mine["items"]]

    decided = cast.approve(req["id"], "--mask", "mobile=drop", "--mask", "income=mask", "--note", "同意")
    assert decided["status"] == "approved" and decided["decision_reason"] == "同意"
    grant = decided["grant"]
    assert grant["id"] == decided["grant_id"] and grant["status"] == "active"
    assert grant["masking"]["mobile"] == "drop" and grant["masking"]["id_number"] == "mask"
    assert grant["masking"]["children"] == "clear"

    person = world.rows[0]
    found = _run("exchange", "lookup", cast.entry_id, f"id_number={person[0]}", *cast.client(world.client_a))
    (record,) = found["records"]
    assert record["id_number"] == person[0][:6] + "*" * 8 + person[0][-4:]
    assert record["name"] == "张" + "*" * (len(person[1]) - 1)
    assert "mobile" not in record and record["children"] == int(person[4])
    assert record["birth_date"] == f"{person[2][:4]}-{person[2][4:6]}-{person[2][6:]}"
    assert record["income"] != float(person[5])  # tightened by the approver
    only = _run("exchange", "lookup", cast.entry_id, f"id_number={person[0]}", "--fields", "name,children",
                *cast.client(world.client_a))
    assert only["records"] == [{"name": record["name"], "children": record["children"]}]
    absent = _run("exchange", "lookup", cast.entry_id, "id_number=110101190001010000", *cast.client(world.client_a))
    assert absent == {"records": []}

    assert _run("exchange", "verify", cast.entry_id, f"id_number={person[0]}", "married=否",
                *cast.client(world.client_a)) == {"result": True}
    assert _run("exchange", "verify", cast.entry_id, f"id_number={person[0]}", "married=是",
                *cast.client(world.client_a)) == {"result": False}

    target = tmp_path / "persons.csv"
    exported = _run("exchange", "export", cast.entry_id, "--format", "csv", "--out", str(target),
                    *cast.client(world.client_a))
    assert exported["rows"] == len(world.rows) and exported["cursor"] == str(len(world.rows))
    with open(target, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(world.rows) and exported["bytes"] == target.stat().st_size
    assert "mobile" not in rows[0] and rows[0]["_key"] and "*" in rows[0]["id_number"]
    assert not (tmp_path / "persons.csv.part").exists()

    feed = _run("exchange", "changes", cast.entry_id, "--limit", "10", *cast.client(world.client_a))
    assert len(feed["changes"]) == 10 and feed["next_cursor"] == "10"
    assert {c["op"] for c in feed["changes"]} == {"insert"}
    assert {c["key"] for c in feed["changes"]} <= {r["_key"] for r in rows}  # the export's row tokens
    assert all("mobile" not in c["record"] for c in feed["changes"])
    caught_up = _run("exchange", "changes", cast.entry_id, "--cursor", exported["cursor"],
                     *cast.client(world.client_a))
    assert caught_up == {"changes": [], "next_cursor": exported["cursor"]}

    methods = sorted(r.method for r in _audit_rows(cast.entry_id, world.client_a["id"]))
    assert methods == ["export", "feed", "feed", "lookup", "lookup", "lookup", "verify", "verify"]

    held = _run("grant", "list", "--as", cast.consumer, "--status", "active")
    assert grant["id"] in [g["id"] for g in held["items"]]
    given = _run("grant", "list", "--as", cast.approver, "--side", "provider", "--entry", world.entry["code"])
    assert [g["id"] for g in given["items"]] == [grant["id"]]


def test_lookup_text_output_is_the_masked_record(cast):
    world = cast.world
    cast.approve(cast.file(methods="lookup")["id"], "--mask", "mobile=drop")
    person = world.rows[1]
    result = runner.invoke(cli, ["exchange", "lookup", world.entry["code"], f"id_number={person[0]}",
                                 *cast.client(world.client_a)])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.strip())
    assert record["id_number"] == person[0][:6] + "*" * 8 + person[0][-4:] and "mobile" not in record


def test_client_without_the_grant_is_denied_with_no_grant(cast):
    world = cast.world
    cast.approve(cast.file()["id"])
    person = world.rows[0]
    denied = _run("exchange", "lookup", cast.entry_id, f"id_number={person[0]}", *cast.client(world.client_b),
                  code=2)
    assert denied["error"]["code"] == "no_grant" and denied["error"]["details"] == {"reason": "no_grant"}
    denied = _run("exchange", "verify", cast.entry_id, f"id_number={person[0]}", "married=否",
                  *cast.client(world.other_client), code=2)
    assert denied["error"]["code"] == "no_grant"
    assert [r.outcome for r in _audit_rows(cast.entry_id, world.client_b["id"])] == ["no_grant"]

    result = runner.invoke(cli, ["exchange", "lookup", cast.entry_id, f"id_number={person[0]}",
                                 *cast.client(world.client_b)])
    assert result.exit_code == 2 and "no_grant" in result.stderr and not result.stdout.strip()


def test_method_not_granted_and_pending_are_denials(cast, tmp_path):
    world = cast.world
    req = cast.file(methods="lookup,export")
    pending = _run("exchange", "lookup", cast.entry_id, f"id_number={world.rows[0][0]}",
                   *cast.client(world.client_a), code=2)
    assert pending["error"]["code"] == "pending"
    cast.approve(req["id"], "--methods", "lookup")
    target = tmp_path / "out.csv"
    denied = _run("exchange", "export", cast.entry_id, "--out", str(target), *cast.client(world.client_a), code=2)
    assert denied["error"]["code"] == "method_not_granted" and not target.exists()


def test_revoke_through_cli_then_lookup_is_denied_revoked(cast):
    world = cast.world
    grant_id = cast.approve(cast.file()["id"])["grant_id"]
    person = world.rows[2]
    assert _run("exchange", "lookup", cast.entry_id, f"id_number={person[0]}",
                *cast.client(world.client_a))["records"]

    renewed = _run("grant", "renew", grant_id, "--as", cast.approver, "--days", "30")
    assert renewed["renewed_at"] is not None
    forbidden = _run("grant", "revoke", grant_id, "--as", cast.consumer, "--reason", "不再需要", code=2)
    assert forbidden["error"]["code"] == "insufficient_permission"

    revoked = _run("grant", "revoke", grant_id, "--as", cast.approver, "--reason", "超出用途使用")
    assert revoked["status"] == "revoked" and revoked["revoke_reason"] == "超出用途使用"
    denied = _run("exchange", "lookup", cast.entry_id, f"id_number={person[0]}", *cast.client(world.client_a),
                  code=2)
    assert denied["error"]["code"] == "revoked"
    again = _run("grant", "revoke", grant_id, "--as", cast.approver, "--reason", "再次撤销", code=2)
    assert again["error"]["code"] == "already_revoked"
    listed = _run("grant", "list", "--as", cast.consumer, "--status", "revoked")
    assert [g["id"] for g in listed["items"]] == [grant_id]


def test_reject_and_narrowing_rules(cast):
    req = cast.file(methods="lookup")
    wider = _run("request", "approve", req["id"], "--as", cast.approver, "--methods", "lookup,export", code=2)
    assert wider["error"]["code"] == "invalid_input"
    assert wider["error"]["details"][0]["field"] == "methods"
    looser = _run("request", "approve", req["id"], "--as", cast.approver, "--mask", "id_number=clear", code=2)
    assert looser["error"]["details"][0]["field"] == "masking"
    not_approver = _run("request", "approve", req["id"], "--as", cast.consumer, code=2)
    assert not_approver["error"]["code"] == "not_approver"
    rejected = _run("request", "reject", req["id"], "--as", cast.approver, "--reason", "用途与共享条件不符")
    assert rejected["status"] == "rejected" and rejected["decision_reason"] == "用途与共享条件不符"
    late = _run("request", "approve", req["id"], "--as", cast.approver, code=2)
    assert late["error"]["code"] == "already_decided"


# ---- escalation ----------------------------------------------------------------------------------------

def test_escalate_overdue_then_operator_arbitrates(cast):
    req = cast.file()
    _run("request", "escalate")  # whatever other tests left overdue
    assert req["id"] not in [r["id"] for r in _run("request", "list", "--as", cast.operator, "--view",
                                                     "arbitration", "--limit", "1000")["items"]]
    with session_scope() as session:
        session.execute(update(AccessRequest).where(AccessRequest.id == req["id"])
                        .values(due_at=utcnow() - timedelta(hours=1)))
    overdue = _run("request", "list", "--as", cast.approver, "--view", "inbox", "--status", "overdue")
    assert [r["id"] for r in overdue["items"]] == [req["id"]] and overdue["items"][0]["overdue"]

    escalated = _run("request", "escalate")
    assert escalated == {"escalated": 1}
    assert _run("request", "escalate") == {"escalated": 0}  # nothing overdue is left pending
    queue = _run("request", "list", "--as", cast.operator, "--view", "arbitration", "--status", "escalated",
                 "--limit", "1000")
    (mine,) = [r for r in queue["items"] if r["id"] == req["id"]]
    assert mine["status"] == "escalated" and mine["escalated_at"]

    not_operator = _run("request", "list", "--as", cast.consumer, "--view", "arbitration", code=2)
    assert not_operator["error"]["code"] == "insufficient_permission"
    decided = _run("request", "approve", req["id"], "--as", cast.operator, "--note", "逾期由平台裁决")
    assert decided["status"] == "approved" and decided["arbitrated"] is True and decided["grant_id"]

    result = runner.invoke(cli, ["request", "escalate"])
    assert result.exit_code == 0 and "escalated 0 overdue request(s)" in result.stdout


# ---- demands -------------------------------------------------------------------------------------------

def test_demand_create_route_answer_close(cast):
    world = cast.world
    wanted_by = (date.today() + timedelta(days=30)).isoformat()
    demand = _run("demand", "create", "--as", cast.consumer, "--title", "婚姻登记信息核验",
                  "--purpose", "住房公积金提取时核验婚姻状况", "--wanted-by", wanted_by,
                  "--wanted-items", "公民身份号码 姓名 婚姻状况", "--description", "办理提取业务需要核验")
    assert demand["status"] == "open" and demand["wanted_by"] == wanted_by
    # the test database holds many entries of that name: the best matches are such entries
    assert demand["suggestions"] and demand["suggestions"][0]["name"] == world.entry["name"]
    assert demand["id"] in [d["id"] for d in _run("demand", "list", "--view", "open", "--limit", "1000")["items"]]
    assert demand["id"] in [d["id"] for d in _run("demand", "list", "--view", "mine", "--as", cast.consumer,
                                                   "--limit", "1000")["items"]]

    not_operator = _run("demand", "route", demand["id"], "--as", cast.approver, "--org", world.provider["code"],
                        code=2)
    assert not_operator["error"]["code"] == "insufficient_permission"
    routed = _run("demand", "route", demand["id"], "--as", cast.operator, "--org", world.provider["code"])
    assert routed["routed_org_id"] == world.provider["id"]
    to_me = _run("demand", "list", "--view", "to_me", "--as", cast.approver, "--limit", "1000")
    assert demand["id"] in [d["id"] for d in to_me["items"]]

    own = _run("demand", "answer", demand["id"], "--as", cast.consumer_admin, "--answer", "cannot_share",
               "--note", "x", code=2)
    assert own["error"]["code"] == "not_routed_to_you"
    no_date = _run("demand", "answer", demand["id"], "--as", cast.approver, "--answer", "will_publish", code=2)
    assert no_date["error"]["code"] == "invalid_input"
    answered = _run("demand", "answer", demand["id"], "--as", cast.approver, "--answer", "exists",
                    "--entry", world.entry["code"])
    assert answered["status"] == "answered" and answered["answer_entry_id"] == world.entry["id"]
    assert answered["answered_by_org_id"] == world.provider["id"]

    others = _run("demand", "close", demand["id"], "--as", cast.approver, "--satisfied", "--rating", "5", code=2)
    assert others["error"]["code"] == "insufficient_permission"
    closed = _run("demand", "close", demand["id"], "--as", cast.consumer, "--satisfied", "--rating", "5",
                  "--comment", "已通过接口核验")
    assert closed["status"] == "closed" and closed["satisfied"] is True and closed["rating"] == 5
    met = _run("demand", "list", "--view", "met", "--limit", "1000")
    assert demand["id"] in [d["id"] for d in met["items"]]
    again = _run("demand", "close", demand["id"], "--as", cast.consumer, "--unsatisfied", "--rating", "1", code=2)
    assert again["error"]["code"] == "demand_closed"


def test_unmet_demand_is_listed_with_its_reason(cast):
    wanted_by = (date.today() + timedelta(days=10)).isoformat()
    demand = _run("demand", "create", "--as", cast.consumer, "--title", "不动产权属信息", "--purpose", "核验购房资格",
                  "--wanted-by", wanted_by)
    _run("demand", "answer", demand["id"], "--as", cast.approver, "--answer", "cannot_share",
         "--note", "涉及个人隐私，法律未授权共享")
    closed = _run("demand", "close", demand["id"], "--as", cast.consumer, "--unsatisfied", "--rating", "2")
    assert closed["unmet"] is True and closed["unmet_reason"] == "涉及个人隐私，法律未授权共享"
    unmet = _run("demand", "list", "--view", "unmet", "--limit", "1000")
    assert demand["id"] in [d["id"] for d in unmet["items"]]


# ---- errors --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args,code", [
    (["demand", "create", "--as", "no_such_user_x", "--title", "某需求", "--purpose", "某用途",
      "--wanted-by", "2099-01-01"], "user_not_found"),
    (["request", "list", "--as", "no_such_user_x"], "user_not_found"),
    (["grant", "list", "--as", "no_such_user_x"], "user_not_found"),
    (["demand", "list", "--view", "mine"], "invalid_input"),
    (["demand", "list", "--view", "nonsense"], "invalid_input"),
    (["demand", "create", "--as", "no_such_user_x", "--title", "某需求", "--purpose", "某用途",
      "--wanted-by", "not-a-date"], "invalid_input"),
    (["exchange", "lookup", "e_nope", "id_number=1", "--client-id", "gs_nope", "--client-secret", "x"],
     "invalid_client"),
])
def test_errors_exit_2_with_json(database, args, code):
    assert _run(*args, code=2)["error"]["code"] == code


def test_unknown_user_in_text_mode_is_a_clear_message(database):
    result = runner.invoke(cli, ["request", "list", "--as", "no_such_user_y"])
    assert result.exit_code == 2
    assert "user_not_found" in result.stderr and "no_such_user_y" in result.stderr


def test_bad_arguments_are_invalid_input(cast):
    world = cast.world
    bad_mask = _run("request", "approve", "r_whatever", "--as", cast.approver, "--mask", "mobile", code=2)
    assert bad_mask["error"]["code"] == "invalid_input" and bad_mask["error"]["details"][0]["value"] == "mobile"
    bad_policy = _run("request", "approve", "r_whatever", "--as", cast.approver, "--mask", "mobile=blur", code=2)
    assert bad_policy["error"]["code"] == "invalid_input"
    bad_method = _run("request", "file", "--as", cast.consumer, "--entry", cast.entry_id, "--items", "name",
                      "--methods", "lookup,teleport", "--purpose", "测试用途", code=2)
    assert bad_method["error"]["code"] == "invalid_input"
    bad_key = _run("exchange", "lookup", cast.entry_id, "id_number", *cast.client(world.client_a), code=2)
    assert bad_key["error"]["code"] == "invalid_input"
    wrong_secret = _run("exchange", "changes", cast.entry_id, "--client-id", world.client_a["client_id"],
                        "--client-secret", "wrong", code=2)
    assert wrong_secret["error"]["code"] == "invalid_client"
