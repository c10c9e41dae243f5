"""Access requests: the share principle, deadlines, escalation, arbitration, narrowing, grants."""

from __future__ import annotations

from datetime import timedelta

import pytest

from govshare.core.config import reset_settings
from govshare.core.database import session_scope, utcnow
from govshare.sharing import service as sharing
from tests.sharing.conftest import build_world


def lookup(world, client: dict, row: int = 0):
    return world.platform.http.get(f"/api/v1/data/{world.entry['id']}/records",
                                   params={"id_number": world.rows[row][0]}, headers=world.bearer(client))


def test_unconditional_entries_are_granted_at_once_with_default_masking(platform, app):
    world = build_world(platform, app, share_type="unconditional")
    req = world.request(masking={"id_number": "clear", "mobile": "drop"})
    assert req["status"] == "approved" and req["decided_by"].startswith("platform")
    grant = world.consumer.get(f"/api/v1/grants/{req['grant_id']}").json()
    # Asking for clear ID numbers does not loosen the default; asking for stricter is honoured.
    assert grant["masking"]["id_number"] == "mask" and grant["masking"]["mobile"] == "drop"
    assert lookup(world, world.client_a).status_code == 200


def test_none_entries_are_refused_with_the_legal_basis_unless_the_operator_arbitrates(platform, app):
    world = build_world(platform, app, share_type="none")
    req = world.request(methods=["verify"])
    assert req["status"] == "refused" and "个人信息保护法" in req["decision_reason"]
    queue = world.operator.get("/api/v1/access-requests", params={"view": "arbitration", "limit": 200}).json()
    assert req["id"] in [r["id"] for r in queue["items"]]
    denied = world.approver.post(f"/api/v1/access-requests/{req['id']}/approve", json={})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "not_approver"
    decided = world.operator.post(f"/api/v1/access-requests/{req['id']}/approve", json={"note": "经协调同意核验"})
    assert decided.status_code == 200 and decided.json()["arbitrated"] and decided.json()["grant_id"]
    resp = world.platform.http.post(f"/api/v1/data/{world.entry['id']}/verify", headers=world.bearer(world.client_a),
                                    json={"match": {"id_number": world.rows[0][0], "name": world.rows[0][1]}})
    assert resp.json() == {"result": True}


def test_conditional_deadline_escalation_and_arbitration(world, monkeypatch):
    monkeypatch.setenv("GOVSHARE_REVIEW_WORKING_DAYS", "5")
    reset_settings()
    try:
        req = world.request()
    finally:
        monkeypatch.delenv("GOVSHARE_REVIEW_WORKING_DAYS")
        reset_settings()
    filed, due = req["created_at"], req["due_at"]
    assert due > filed
    # The operator may not take a request that is still within the provider's deadline.
    early = world.operator.post(f"/api/v1/access-requests/{req['id']}/approve", json={})
    assert early.status_code == 403 and early.json()["error"]["code"] == "not_escalated"
    status = lambda: world.consumer.get(f"/api/v1/access-requests/{req['id']}").json()["status"]  # noqa: E731
    with session_scope() as session:
        sharing.escalate_overdue(session, utcnow())
    assert status() == "pending"
    with session_scope() as session:
        assert sharing.escalate_overdue(session, utcnow() + timedelta(days=9)) >= 1  # 5 working days < 9 days
    assert status() == "escalated"
    queue = world.operator.get("/api/v1/access-requests", params={"view": "arbitration", "limit": 200}).json()
    assert req["id"] in [r["id"] for r in queue["items"]]
    rejected = world.operator.post(f"/api/v1/access-requests/{req['id']}/reject", json={"reason": "用途不明确"})
    assert rejected.status_code == 200
    body = rejected.json()
    assert body["status"] == "rejected" and body["arbitrated"] and body["decision_reason"] == "用途不明确"
    again = world.approver.post(f"/api/v1/access-requests/{req['id']}/approve", json={})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_decided"


def test_overdue_requests_are_listed_in_the_providers_inbox(world):
    from govshare.sharing.schemas import AccessRequestCreate
    consumer = world.principal("consumer")
    with session_scope() as session:
        old = sharing.file_request(session, AccessRequestCreate(
            entry_id=world.entry["id"], items=["id_number"], methods=["verify"], purpose="核验身份",
            client_ids=[world.client_a["client_id"]]), consumer, now=utcnow() - timedelta(days=30)).id
    fresh = world.request()["id"]
    inbox = world.approver.get("/api/v1/access-requests", params={"view": "inbox", "status": "overdue"}).json()
    assert [r["id"] for r in inbox["items"]] == [old] and inbox["items"][0]["overdue"]
    everything = world.approver.get("/api/v1/access-requests", params={"view": "inbox"}).json()
    assert [r["id"] for r in everything["items"]] == [old, fresh]  # by deadline


@pytest.mark.parametrize("body, field", [
    ({"items": ["id_number", "name", "nonexistent"]}, "items"),
    ({"methods": ["lookup", "export"]}, "methods"),
    ({"duration_days": 400}, "duration_days"),
    ({"masking": {"id_number": "clear"}}, "masking"),
])
def test_an_approval_only_narrows(world, body, field):
    req = world.request(items=["id_number", "name"], methods=["lookup"], duration_days=365)
    resp = world.approver.post(f"/api/v1/access-requests/{req['id']}/approve", json=body)
    assert resp.status_code == 422, resp.text
    assert field in {d["field"] for d in resp.json()["error"]["details"]}
    assert world.consumer.get(f"/api/v1/access-requests/{req['id']}").json()["status"] == "pending"


def test_approval_narrows_items_methods_duration_and_tightens_masking(world):
    req = world.request(items=["id_number", "name", "mobile"], methods=["lookup", "verify"], duration_days=365)
    decided = world.approve(req["id"], items=["id_number", "name"], methods=["verify"], duration_days=30,
                            masking={"name": "drop"})
    grant = world.consumer.get(f"/api/v1/grants/{decided['grant_id']}").json()
    assert grant["items"] == ["id_number", "name"] and grant["methods"] == ["verify"]
    assert grant["masking"] == {"id_number": "mask", "name": "drop"}
    days = (_dt(grant["expires_at"]) - _dt(grant["starts_at"])).days
    assert days == 30


def _dt(value: str):
    from datetime import datetime
    return datetime.fromisoformat(value)


def test_who_may_decide(world):
    req = world.request()
    for http, code in ((world.provider_admin, "not_approver"), (world.consumer, "not_approver")):
        resp = http.post(f"/api/v1/access-requests/{req['id']}/approve", json={})
        assert resp.status_code == 403 and resp.json()["error"]["code"] == code
    no_reason = world.approver.post(f"/api/v1/access-requests/{req['id']}/reject", json={"reason": ""})
    assert no_reason.status_code == 422
    other = world.platform.http.get(f"/api/v1/access-requests/{req['id']}", headers=world.bearer(world.other_client))
    assert other.status_code == 404


@pytest.mark.parametrize("change, field", [
    ({"items": ["id_number", "shoe_size"]}, "items"),
    ({"methods": ["lookup"], "clients": ["gs_notmine"]}, "client_ids"),
    ({"region_item": "income"}, "region_item"),
])
def test_invalid_requests_are_refused_with_the_field(world, change, field):
    body = {"entry_id": world.entry["id"], "items": change.get("items", ["id_number"]),
            "methods": change.get("methods", ["lookup"]), "purpose": "测试",
            "client_ids": change.get("clients", [world.client_a["client_id"]]),
            **({"region_item": change["region_item"]} if "region_item" in change else {})}
    resp = world.consumer.post("/api/v1/access-requests", json=body)
    assert resp.status_code == 422, resp.text
    assert field in {d["field"] for d in resp.json()["error"]["details"]}


def test_methods_must_be_offered_by_the_entry(platform, app):
    world = build_world(platform, app)
    resp = world.provider_admin.get(f"/api/v1/catalog/entries/{world.entry['id']}")
    assert resp.json()["share_methods"] == ["api", "batch"]
    narrow = platform.entry(world.provider_headers, share_methods=["api"], name="户籍人口信息")
    resp = world.consumer.post("/api/v1/access-requests", json={
        "entry_id": narrow["id"], "items": ["id_number"], "methods": ["export"], "purpose": "测试",
        "client_ids": [world.client_a["client_id"]]})
    assert resp.status_code == 422 and resp.json()["error"]["details"][0]["field"] == "methods"


def test_revocation_is_effective_at_once_and_renewal_restores_an_expired_grant(world):
    decided = world.approve(world.request()["id"])
    assert lookup(world, world.client_a).status_code == 200  # the decision is now cached
    revoked = world.consumer_admin.post(f"/api/v1/grants/{decided['grant_id']}/revoke", json={"reason": "不再需要"})
    assert revoked.status_code == 200
    resp = lookup(world, world.client_a)
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "revoked"
    renew = world.approver.post(f"/api/v1/grants/{decided['grant_id']}/renew", json={"duration_days": 30})
    assert renew.status_code == 409

    from govshare.sharing.schemas import AccessRequestCreate, ApproveBody
    past = utcnow() - timedelta(days=100)
    with session_scope() as session:
        req = sharing.file_request(session, AccessRequestCreate(
            entry_id=world.entry["id"], items=["id_number", "name"], methods=["lookup"], purpose="历史授权",
            client_ids=[world.client_b["client_id"]], duration_days=10), world.principal("consumer"), now=past)
        grant_id = sharing.approve(session, req.id, ApproveBody(), world.principal("approver"), now=past).grant_id
    expired = lookup(world, world.client_b)
    assert expired.status_code == 403 and expired.json()["error"]["code"] == "expired"
    listed = world.consumer.get("/api/v1/grants", params={"status": "expired"}).json()
    assert [g["id"] for g in listed["items"]] == [grant_id]
    renew = world.approver.post(f"/api/v1/grants/{grant_id}/renew", json={"duration_days": 30})
    assert renew.status_code == 200 and renew.json()["status"] == "active"
    assert lookup(world, world.client_b).status_code == 200


def test_a_revoked_client_loses_access_at_once(world):
    world.approve(world.request()["id"])
    assert lookup(world, world.client_a).status_code == 200
    token_headers = world.bearer(world.client_a)
    resp = world.consumer_admin.delete(f"/api/v1/clients/{world.client_a['id']}")
    assert resp.status_code in (200, 204), resp.text
    after = world.platform.http.get(f"/api/v1/data/{world.entry['id']}/records",
                                    params={"id_number": world.rows[0][0]}, headers=token_headers)
    assert after.status_code == 401 and after.json()["error"]["code"] == "invalid_client"


def test_the_scheduler_escalates_overdue_requests(clean_db, world):
    import time

    from govshare.mounting import scheduler
    from govshare.sharing.schemas import AccessRequestCreate
    with session_scope() as session:
        req_id = sharing.file_request(session, AccessRequestCreate(
            entry_id=world.entry["id"], items=["id_number"], methods=["verify"], purpose="核验身份",
            client_ids=[world.client_a["client_id"]]), world.principal("consumer"),
            now=utcnow() - timedelta(days=30)).id
    thread = scheduler.MountScheduler(interval=0.2, holder="test-escalation").start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if world.consumer.get(f"/api/v1/access-requests/{req_id}").json()["status"] == "escalated":
                break
            time.sleep(0.1)
    finally:
        thread.stop()
    assert world.consumer.get(f"/api/v1/access-requests/{req_id}").json()["status"] == "escalated"
