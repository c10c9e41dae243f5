"""The authorization matrix: every exchange method × every way of not being allowed, each denied
with its machine-readable reason and audited; then the grant's items, masking and region scope
holding identically on lookup, verify, export and feed."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import text

from govshare.core.database import session_scope, utcnow
from govshare.sharing import service as sharing
from govshare.sharing.schemas import AccessRequestCreate, ApproveBody

METHODS = ("lookup", "verify", "export", "feed")


def call(world, method: str, headers: dict, **kw):
    http, entry = world.platform.http, world.entry["id"]
    person = world.rows[0]
    if method == "lookup":
        params = {"id_number": person[0], **({"fields": kw["fields"]} if "fields" in kw else {})}
        return http.get(f"/api/v1/data/{entry}/records", params=params, headers=headers)
    if method == "verify":
        match = kw.get("match", {"id_number": person[0], "name": person[1]})
        return http.post(f"/api/v1/data/{entry}/verify", json={"match": match}, headers=headers)
    if method == "export":
        return http.get(f"/api/v1/data/{entry}/export", params={"format": kw.get("format", "csv")}, headers=headers)
    return http.get(f"/api/v1/data/{entry}/changes", params={"limit": 1000}, headers=headers)


def audit_outcomes(client_pk: str) -> list[str]:
    with session_scope(read_only=True) as session:
        return [r[0] for r in session.execute(text(
            "SELECT outcome FROM ledger_entries WHERE client_id = :c ORDER BY seq"), {"c": client_pk})]


def _state(world, state: str) -> tuple[dict, str]:
    """Arrange `state`; return the caller's headers and the expected reason."""
    a = world.bearer(world.client_a)
    if state == "no_grant":
        return a, "no_grant"
    if state == "pending":
        world.request()
        return a, "pending"
    if state == "rejected":
        req = world.request()
        resp = world.approver.post(f"/api/v1/access-requests/{req['id']}/reject", json={"reason": "用途与共享条件不符"})
        assert resp.status_code == 200 and resp.json()["status"] == "rejected"
        return a, "no_grant"
    if state == "expired":
        long_ago = utcnow() - timedelta(days=400)
        consumer, approver = world.principal("consumer"), world.principal("approver")
        with session_scope() as session:
            req = sharing.file_request(session, AccessRequestCreate(
                entry_id=world.entry["id"], items=["id_number", "name"], methods=list(METHODS), purpose="历史授权",
                client_ids=[world.client_a["client_id"]], duration_days=30), consumer, now=long_ago)
            sharing.approve(session, req.id, ApproveBody(), approver, now=long_ago)
        return a, "expired"
    if state == "revoked":
        req = world.approve(world.request()["id"])
        resp = world.approver.post(f"/api/v1/grants/{req['grant_id']}/revoke", json={"reason": "超出用途使用"})
        assert resp.status_code == 200 and resp.json()["status"] == "revoked"
        return a, "revoked"
    if state == "other_client":
        world.approve(world.request()["id"])
        return world.bearer(world.client_b), "no_grant"
    if state == "other_org":
        world.approve(world.request()["id"])
        return world.bearer(world.other_client), "no_grant"
    raise AssertionError(state)


@pytest.mark.parametrize("state", ["no_grant", "pending", "rejected", "expired", "revoked", "other_client",
                                   "other_org"])
def test_every_method_is_denied_with_the_reason(world, state):
    headers, reason = _state(world, state)
    for method in METHODS:
        resp = call(world, method, headers)
        assert resp.status_code == 403, (method, resp.text)
        error = resp.json()["error"]
        assert error["code"] == reason and error["details"] == {"reason": reason}, (method, error)
        assert world.rows[0][0] not in resp.text and world.rows[0][1] not in resp.text
    client = {"other_client": world.client_b, "other_org": world.other_client}.get(state, world.client_a)
    assert audit_outcomes(client["id"]) == [reason] * len(METHODS)


@pytest.mark.parametrize("granted", [("lookup",), ("verify",), ("export",), ("feed",)])
def test_methods_not_granted_are_denied(world, granted):
    world.approve(world.request(methods=granted)["id"])
    headers = world.bearer(world.client_a)
    for method in METHODS:
        resp = call(world, method, headers)
        if method in granted:
            assert resp.status_code == 200, (method, resp.text)
        else:
            assert resp.status_code == 403 and resp.json()["error"]["code"] == "method_not_granted", method


def test_narrower_items_hold_on_every_method(world):
    items = ["id_number", "name", "birth_date"]
    world.approve(world.request(items=items)["id"])
    headers = world.bearer(world.client_a)
    person = world.rows[0]
    denied = call(world, "lookup", headers, fields="name,mobile")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "item_not_granted"
    denied = call(world, "verify", headers, match={"id_number": person[0], "married": "是"})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "item_not_granted"
    record = call(world, "lookup", headers).json()["records"][0]
    assert set(record) == set(items)
    export = list(csv.DictReader(io.StringIO(call(world, "export", headers).text)))
    assert set(export[0]) == {"_key", *items}
    feed = call(world, "feed", headers).json()["changes"]
    assert {frozenset(c["record"]) for c in feed} == {frozenset(items)}


def _clear_values(world) -> list[str]:
    """Values that masking must hide: ID numbers, mobiles, given names, house numbers."""
    out = []
    for row in world.rows:
        out += [row[0], row[3], row[1], row[7]]
    return out


def test_masking_and_region_hold_identically_on_every_path(world):
    req = world.request(region_item="region_code")  # the consumer's own region: 330902 (定海区)
    world.approve(req["id"], masking={"mobile": "pseudonym", "birth_date": "drop"})
    headers = world.bearer(world.client_a)
    http, entry = world.platform.http, world.entry["id"]
    inside = [r for r in world.rows if r[8] == "330902"]
    outside = [r for r in world.rows if r[8] != "330902"]

    looked, bodies = {}, []
    for row in world.rows:
        resp = http.get(f"/api/v1/data/{entry}/records", params={"id_number": row[0]}, headers=headers)
        assert resp.status_code == 200
        bodies.append(resp.text)
        records = resp.json()["records"]
        assert len(records) == (1 if row[8] == "330902" else 0)
        if records:
            looked[row[0]] = records[0]
    verified = {row[0]: http.post(f"/api/v1/data/{entry}/verify", headers=headers,
                                  json={"match": {"id_number": row[0], "name": row[1]}}).json()["result"]
                for row in world.rows}
    assert verified == {row[0]: row[8] == "330902" for row in world.rows}

    exported = {}
    for fmt in ("csv", "jsonl", "parquet", "xlsx"):
        resp = call(world, "export", headers, format=fmt)
        assert resp.status_code == 200, resp.text
        assert resp.headers["GovShare-Row-Count"] == str(len(inside))
        exported[fmt] = _parse_export(fmt, resp.content)
        bodies.append(str(exported[fmt]) if fmt in ("parquet", "xlsx") else resp.text)
        assert len(exported[fmt]) == len(inside)
    feed_resp = call(world, "feed", headers)
    bodies.append(feed_resp.text)
    feed = feed_resp.json()["changes"]
    upserts = [c for c in feed if c["op"] != "delete"]
    assert len(upserts) == len(inside) and len(feed) == len(world.rows)  # outside rows come as deletes
    assert all(c["record"] is None for c in feed if c["op"] == "delete")

    # The same masked record on every path.
    by_key = {r["_key"]: r for r in exported["jsonl"]}
    for change in upserts:
        assert change["record"] == {k: v for k, v in by_key[change["key"]].items() if k != "_key"}
    masked_ids = sorted(r["id_number"] for r in looked.values())
    for fmt, rows in exported.items():
        assert sorted(str(r["id_number"]) for r in rows) == masked_ids, fmt
        assert all("birth_date" not in r for r in rows)
    assert sorted(c["record"]["id_number"] for c in upserts) == masked_ids
    assert {r["mobile"] for r in looked.values()} == {c["record"]["mobile"] for c in upserts}
    # Clear values never leave, in any response or file; other regions' rows not even masked.
    for value in _clear_values(world):
        assert all(value not in body for body in bodies), value
    for row in outside:
        assert all(row[0][:6] + "*" * 8 + row[0][-4:] not in body for body in bodies)


def _parse_export(fmt: str, content: bytes) -> list[dict]:
    import json

    import pyarrow.parquet as pq
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(content.decode())))
    if fmt == "jsonl":
        return [json.loads(line) for line in content.decode().splitlines()]
    if fmt == "parquet":
        return pq.read_table(io.BytesIO(content)).to_pylist()
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]
