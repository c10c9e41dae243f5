"""Exchange behaviour beyond the matrix: export + feed reproduce the provider's data, rate limits
(in-process and through Redis), audit records, and no personal data in logs."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import text

from govshare.core import ratelimit
from govshare.core.config import reset_settings
from govshare.core.database import session_scope
from tests.conftest import free_port, require_service
from tests.mounting.conftest import to_csv, upload
from tests.sharing.conftest import PERSON_HEADER, region_person_rows


def _export(world, headers) -> tuple[dict, int]:
    resp = world.platform.http.get(f"/api/v1/data/{world.entry['id']}/export", params={"format": "jsonl"},
                                   headers=headers)
    assert resp.status_code == 200, resp.text
    rows = [json.loads(line) for line in resp.text.splitlines()]
    return {r.pop("_key"): r for r in rows}, int(resp.headers["GovShare-Feed-Cursor"])


def _follow(world, headers, replica: dict, cursor: int, limit: int = 7) -> int:
    while True:
        resp = world.platform.http.get(f"/api/v1/data/{world.entry['id']}/changes",
                                       params={"cursor": cursor, "limit": limit}, headers=headers)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        for change in body["changes"]:
            if change["op"] == "delete":
                replica.pop(change["key"], None)
            else:
                replica[change["key"]] = change["record"]
        if int(body["next_cursor"]) == cursor:
            return cursor
        cursor = int(body["next_cursor"])


def test_export_then_feed_reproduces_the_provider_after_inserts_updates_and_deletes(world):
    world.approve(world.request()["id"])
    headers = world.bearer(world.client_a)
    replica, cursor = _export(world, headers)
    assert len(replica) == len(world.rows)

    rows = [list(r) for r in world.rows]
    for row in rows[:5]:
        row[3] = "13700000000"  # updated mobile
        row[6] = "是"
    added = region_person_rows(5, start=100)
    resp = upload(world.platform.http, world.entry, world.provider_headers,
                  to_csv(rows[:5] + added, header=PERSON_HEADER), mode="upsert")
    assert resp.status_code == 200 and resp.json()["updated"] == 5 and resp.json()["inserted"] == 5, resp.text
    kept = rows[:10] + rows[15:] + added  # rows 10-14 deleted by a replace
    kept[0][1] = "李四"  # and one more update in the same replace
    resp = upload(world.platform.http, world.entry, world.provider_headers, to_csv(kept, header=PERSON_HEADER))
    assert resp.status_code == 200 and resp.json()["deleted"] == 5, resp.text

    _follow(world, headers, replica, cursor)
    fresh, _ = _export(world, headers)
    assert replica == fresh and len(fresh) == len(kept)
    assert all("*" in r["id_number"] for r in fresh.values())


def test_a_bad_cursor_is_a_422(world):
    world.approve(world.request()["id"])
    for cursor in ("abc", "-5"):
        resp = world.platform.http.get(f"/api/v1/data/{world.entry['id']}/changes", params={"cursor": cursor},
                                       headers=world.bearer(world.client_a))
        assert resp.status_code == 422 and resp.json()["error"]["details"][0]["field"] == "cursor"


def test_lookup_needs_the_key_and_unknown_entries_are_404(world):
    world.approve(world.request()["id"])
    headers = world.bearer(world.client_a)
    http = world.platform.http
    by_name = http.get(f"/api/v1/data/{world.entry['id']}/records", params={"name": world.rows[0][1]},
                       headers=headers)
    assert by_name.status_code == 422
    missing = http.get(f"/api/v1/data/{world.entry['id']}/records", params={"id_number": "330902190001010000"},
                       headers=headers)
    assert missing.status_code == 200 and missing.json() == {"records": []}
    unknown = http.get("/api/v1/data/nosuchentry/records", params={"id_number": "1"}, headers=headers)
    assert unknown.status_code == 404
    no_token = http.get(f"/api/v1/data/{world.entry['id']}/records", params={"id_number": "1"})
    assert no_token.status_code == 401
    bad = http.post(f"/api/v1/data/{world.entry['id']}/verify", headers=headers,
                    json={"match": {"id_number": world.rows[0][0], "birth_date": "not a date"}})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "birth_date"
    fmt = http.get(f"/api/v1/data/{world.entry['id']}/export", params={"format": "docx"}, headers=headers)
    assert fmt.status_code == 422


def test_a_lone_surrogate_item_name_is_refused_and_still_audited(world):
    """JSON may escape a lone surrogate ("\\ud800") in a key: no canonical UTF-8 form, yet the call's
    request is hashed into its leaf. A 4xx, and the refused call is in the log."""
    world.approve(world.request()["id"])
    headers = {**world.bearer(world.client_a), "Content-Type": "application/json"}
    body = '{"match": {"\\ud800": "x", "id_number": "%s"}}' % world.rows[0][0]
    answer = world.platform.http.post(f"/api/v1/data/{world.entry['id']}/verify", headers=headers,
                                      content=body.encode())
    assert answer.status_code == 422, answer.text
    assert answer.headers.get("GovShare-Receipt")
    with session_scope(read_only=True) as session:
        rows = session.execute(text("SELECT method, outcome, status_code, subject_hash FROM ledger_entries "
                                    "WHERE client_id = :c ORDER BY seq"), {"c": world.client_a["id"]}).all()
    assert [tuple(r[:3]) for r in rows] == [("verify", answer.json()["error"]["code"], 422)]
    assert rows[0].subject_hash  # the person asked about, keyed


def test_every_call_is_audited_with_a_keyed_subject_hash(world):
    world.approve(world.request()["id"])
    headers = world.bearer(world.client_a)
    person = world.rows[0]
    world.platform.http.get(f"/api/v1/data/{world.entry['id']}/records", params={"id_number": person[0]},
                            headers=headers)
    world.platform.http.post(f"/api/v1/data/{world.entry['id']}/verify", headers=headers,
                             json={"match": {"id_number": person[0], "married": "否"}})
    with session_scope(read_only=True) as session:
        rows = session.execute(text(
            "SELECT method, outcome, row_count, subject_hash, purpose, consumer_org_id, provider_org_id, grant_id "
            "FROM ledger_entries WHERE client_id = :c ORDER BY seq"), {"c": world.client_a["id"]}).all()
    assert [(r.method, r.outcome, r.row_count) for r in rows] == [("lookup", "ok", 1), ("verify", "ok", 1)]
    assert rows[0].subject_hash == rows[1].subject_hash and person[0] not in rows[0].subject_hash
    assert len(rows[0].subject_hash) == 64 and rows[0].purpose == "住房公积金提取审核"
    assert rows[0].consumer_org_id == world.consumer_org["id"] and rows[0].provider_org_id == world.provider["id"]


def test_rate_limit_per_client_and_grant_answers_429_with_retry_after(world):
    world.approve(world.request()["id"], rate_limit_per_minute=3)
    headers = world.bearer(world.client_a)
    statuses = [world.platform.http.get(f"/api/v1/data/{world.entry['id']}/records",
                                        params={"id_number": world.rows[i][0]}, headers=headers) for i in range(4)]
    assert [r.status_code for r in statuses[:3]] == [200, 200, 200]
    limited = statuses[3]
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.json()["error"]["code"] == "rate_limited"
    with session_scope(read_only=True) as session:
        outcomes = session.execute(text("SELECT outcome FROM ledger_entries WHERE client_id = :c ORDER BY seq"),
                                   {"c": world.client_a["id"]}).scalars().all()
    assert outcomes[-1] == "rate_limited"


def test_the_api_uses_redis_when_configured(world, monkeypatch):
    require_service("Redis", "127.0.0.1", 6379)
    monkeypatch.setenv("GOVSHARE_REDIS_URL", "redis://127.0.0.1:6379/0")
    reset_settings()
    try:
        assert isinstance(ratelimit.limiter(), ratelimit.RedisLimiter)
        world.approve(world.request()["id"], rate_limit_per_minute=2)
        headers = world.bearer(world.client_a)
        codes = [world.platform.http.get(f"/api/v1/data/{world.entry['id']}/records",
                                         params={"id_number": world.rows[0][0]}, headers=headers).status_code
                 for _ in range(3)]
        assert codes == [200, 200, 429]
    finally:
        monkeypatch.delenv("GOVSHARE_REDIS_URL")
        reset_settings()


def test_calls_are_refused_not_let_through_unlimited_when_redis_is_down(world, monkeypatch):
    world.approve(world.request()["id"])
    headers = world.bearer(world.client_a)
    monkeypatch.setenv("GOVSHARE_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    reset_settings()
    try:
        answer = world.platform.http.get(f"/api/v1/data/{world.entry['id']}/records",
                                         params={"id_number": world.rows[0][0]}, headers=headers)
    finally:
        monkeypatch.delenv("GOVSHARE_REDIS_URL")
        reset_settings()
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert answer.json()["error"]["code"] == "service_unavailable" and world.rows[0][1] not in answer.text
    assert "GovShare-Receipt" in answer.headers  # refused, and on the record
    with session_scope(read_only=True) as session:
        last = session.execute(text("SELECT outcome, status_code FROM ledger_entries WHERE client_id = :c "
                                    "ORDER BY seq DESC LIMIT 1"), {"c": world.client_a["id"]}).one()
    assert tuple(last) == ("service_unavailable", 503)


def test_no_personal_data_in_log_lines(world, caplog):
    world.approve(world.request()["id"])
    headers = world.bearer(world.client_a)
    person = world.rows[0]
    http, entry = world.platform.http, world.entry["id"]
    with caplog.at_level(logging.DEBUG):
        http.get(f"/api/v1/data/{entry}/records", params={"id_number": person[0]}, headers=headers)
        http.post(f"/api/v1/data/{entry}/verify", json={"match": {"id_number": person[0]}}, headers=headers)
        http.get(f"/api/v1/data/{entry}/export", headers=headers)
        http.get(f"/api/v1/data/{entry}/changes", headers=headers)
        # The server's access log line as uvicorn writes it: the query string (the ID number) is cut.
        logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET",
                                                 f"/api/v1/data/{entry}/records?id_number={person[0]}", "1.1", 200)
    # Every line the platform (and its server) logged; httpx lines are the test client's own.
    text_ = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert f"/api/v1/data/{entry}/records" in text_
    for row in world.rows:
        assert row[0] not in text_ and row[3] not in text_ and row[1] not in text_


@pytest.fixture(autouse=True)
def _fresh_limiter():
    ratelimit._limiter.cache_clear()
    yield
    ratelimit._limiter.cache_clear()


def test_cached_decisions_follow_the_entry_mounted_later_and_withdrawn(platform, app):
    from tests.sharing.conftest import build_world, region_person_items
    world = build_world(platform, app)
    unmounted = platform.entry(world.provider_headers, name="户籍人口信息（待挂接）", items=region_person_items())
    resp = world.consumer.post("/api/v1/access-requests", json={
        "entry_id": unmounted["id"], "items": ["id_number", "name"], "methods": ["lookup"], "purpose": "测试",
        "client_ids": [world.client_a["client_id"]]})
    world.approve(resp.json()["id"])
    headers = world.bearer(world.client_a)
    url = f"/api/v1/data/{unmounted['id']}/records"
    first = platform.http.get(url, params={"id_number": world.rows[0][0]}, headers=headers)
    assert first.status_code == 409 and first.json()["error"]["code"] == "not_mounted"
    upload(platform.http, unmounted, world.provider_headers, to_csv(world.rows, header=PERSON_HEADER))
    mounted = platform.http.get(url, params={"id_number": world.rows[0][0]}, headers=headers)
    assert mounted.status_code == 200 and len(mounted.json()["records"]) == 1
    withdrawn = platform.http.post(f"/api/v1/catalog/entries/{unmounted['id']}/withdraw",
                                   json={"reason": "数据来源调整"}, headers=world.provider_headers)
    assert withdrawn.status_code == 200, withdrawn.text
    gone = platform.http.get(url, params={"id_number": world.rows[0][0]}, headers=headers)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "entry_not_found"


def test_masked_dates_numbers_and_booleans_agree_on_lookup_feed_and_export(world):
    world.approve(world.request()["id"], masking={"birth_date": "mask", "married": "pseudonym", "children": "mask",
                                                  "income": "pseudonym"})
    headers = world.bearer(world.client_a)
    http, entry = world.platform.http, world.entry["id"]
    exported, _ = _export(world, headers)
    feed = http.get(f"/api/v1/data/{entry}/changes", params={"limit": 1000}, headers=headers).json()["changes"]
    by_key = {c["key"]: c["record"] for c in feed}
    assert by_key == exported
    looked = [http.get(f"/api/v1/data/{entry}/records", params={"id_number": row[0]}, headers=headers).json()
              ["records"][0] for row in world.rows]
    assert sorted(map(str, looked)) == sorted(map(str, exported.values()))
    sample = looked[0]
    assert sample["birth_date"] != world.rows[0][2] and "*" in sample["birth_date"]
    assert len(sample["married"]) == 32 and len(sample["income"]) == 32  # pseudonyms
    assert len({r["married"] for r in looked}) == 2  # two values, two stable pseudonyms


def test_numbers_json_cannot_hold_exactly_are_answered_and_audited(world):
    """A verification may send an integer beyond ±2^53 (JSON parsers disagree on it, and RFC 8785 has no
    form for it): the call is answered (never 500: it was, from hashing the request), with its receipt,
    and is in the log; the leaf hashes the request with such a number as its decimal text."""
    import hashlib
    import json

    from govshare.ledger import receipts
    from govshare.ledger.canonical import canonical

    world.approve(world.request()["id"])
    headers = {**world.bearer(world.client_a), "Content-Type": "application/json"}
    big = 2 ** 60 + 1
    body = '{"match": {"id_number": "%s", "name": %d}}' % (world.rows[0][0], big)
    answer = world.platform.http.post(f"/api/v1/data/{world.entry['id']}/verify", headers=headers,
                                      content=body.encode())
    assert answer.status_code == 200 and answer.json() == {"result": False}, answer.text
    receipt = receipts.parse_receipt(answer.headers["GovShare-Receipt"])
    with session_scope(read_only=True) as session:
        leaf = session.execute(text("SELECT leaf FROM ledger_entries WHERE seq = :s"), {"s": receipt["seq"]}).scalar()
    event = json.loads(bytes(leaf))
    assert event["kind"] == "exchange.verify" and event["status"] == answer.status_code
    asked = canonical({"match": {"id_number": world.rows[0][0], "name": str(big)}})
    assert event["request"] == hashlib.sha256(bytes.fromhex(receipt["salt"]) + asked).hexdigest()
