"""The NATS relay against the real JetStream server (no mocks): it publishes exactly what the HTTP feed
gives the same client, once, masked; it resumes from its cursor, de-duplicates a re-publication, and
leaves revoked, feed-less and denied grants alone. A pass relays every grant of the platform: these
tests start from an empty one (`clean_db` before `world`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time

import nats
import pytest
from nats.errors import NoServersError
from nats.js.errors import NotFoundError
from sqlalchemy import text

from govshare.core.config import reset_settings
from govshare.core.database import session_scope
from govshare.exchange import relay
from govshare.mounting import scheduler
from tests.conftest import require_service
from tests.mounting.conftest import to_csv, upload
from tests.sharing.conftest import PERSON_HEADER, region_person_rows

NATS_URL = "nats://127.0.0.1:4222"


@pytest.fixture()
def prefix(monkeypatch):
    """A subject prefix and a stream of this test's own (parallel runs share the server); deleted after."""
    require_service("NATS", "127.0.0.1", 4222)
    token = secrets.token_hex(4)
    monkeypatch.setenv("GOVSHARE_NATS_SUBJECT_PREFIX", f"govshare.test{token}")
    monkeypatch.setattr(relay, "STREAM", f"GOVSHARE_FEED_TEST{token}")
    reset_settings()
    yield f"govshare.test{token}"
    with contextlib.suppress(NotFoundError):  # a test whose pass had no grant to relay creates none
        asyncio.run(_jetstream(lambda js: js.delete_stream(relay.STREAM)))
    monkeypatch.undo()
    reset_settings()


async def _jetstream(work):
    nc = await nats.connect(NATS_URL)
    try:
        return await work(nc.jetstream())
    finally:
        await nc.close()


def published(prefix: str) -> list[tuple[str, str, bytes]]:
    """Every message in the stream, in order, through a pull consumer: (subject, Nats-Msg-Id, payload).

    Reads until it holds as many as the stream reports, rather than until a fetch times out: nats-py
    raises its own TimeoutError on some paths of `fetch` and asyncio's on others (2.16)."""
    async def read(js):
        expected = (await js.stream_info(relay.STREAM)).state.messages
        sub = await js.pull_subscribe(f"{prefix}.>", stream=relay.STREAM)
        out = []
        deadline = time.monotonic() + 30
        while len(out) < expected and time.monotonic() < deadline:
            try:
                msgs = await sub.fetch(min(100, expected - len(out)), timeout=1)
            except asyncio.TimeoutError:  # the base of nats.errors.TimeoutError too
                continue
            for m in msgs:
                out.append((m.subject, m.headers["Nats-Msg-Id"], m.data))
                await m.ack()
        return out
    return asyncio.run(_jetstream(read))


def stream_count() -> int:
    async def count(js):
        return (await js.stream_info(relay.STREAM)).state.messages
    return asyncio.run(_jetstream(count))


def cursor_of(grant_id: str) -> int | None:
    with session_scope(read_only=True) as session:
        return session.execute(text("SELECT seq FROM feed_relay_cursors WHERE grant_id = :g"),
                               {"g": grant_id}).scalar()


def http_feed(world, cursor: int = 0) -> list[dict]:
    resp = world.platform.http.get(f"/api/v1/data/{world.entry['id']}/changes", headers=world.bearer(world.client_a),
                                   params={"cursor": str(cursor), "limit": 1000})
    assert resp.status_code == 200, resp.text
    return resp.json()["changes"]


def feed_grant(world, **masking) -> str:
    return world.approve(world.request()["id"], masking=masking)["grant_id"]


def assert_no_clear_values(messages, rows) -> None:
    payloads = b"".join(data for _, _, data in messages).decode()
    for row in rows:
        assert row[0] not in payloads and row[3] not in payloads  # id number, mobile


def test_publishes_the_governed_feed_then_only_new_changes(clean_db, world, prefix):
    grant_id = feed_grant(world)
    with pytest.raises(NoServersError):  # NATS down: the pass fails fast and nothing moves
        relay.relay_once("nats://127.0.0.1:1")
    assert cursor_of(grant_id) is None
    assert relay.relay_once(NATS_URL) == {"grants": 1, "published": 30, "duplicates": 0, "skipped": 0}
    messages = published(prefix)
    assert [json.loads(data) for _, _, data in messages] == http_feed(world)
    assert {s for s, _, _ in messages} == {f"{prefix}.{world.entry['id']}.{grant_id}"}
    assert [i for _, i, _ in messages] == [f"{grant_id}:{seq}" for seq in range(1, 31)]
    assert cursor_of(grant_id) == 30
    assert_no_clear_values(messages, world.rows)

    assert relay.relay_once(NATS_URL)["published"] == 0

    changed = [[*r[:3], f"137{i:08d}", *r[4:]] for i, r in enumerate(world.rows[:3])]
    new = region_person_rows(2, start=30)
    resp = upload(world.platform.http, world.entry, world.provider_headers,
                  to_csv(changed + new, header=PERSON_HEADER), mode="upsert")
    assert resp.status_code == 200, resp.text
    assert relay.relay_once(NATS_URL)["published"] == 5
    fresh = published(prefix)[30:]
    assert [json.loads(data) for _, _, data in fresh] == http_feed(world, cursor=30)
    assert sorted(json.loads(data)["op"] for _, _, data in fresh) == ["insert"] * 2 + ["update"] * 3
    assert cursor_of(grant_id) == 35
    assert_no_clear_values(fresh, changed + new)


def test_a_cursor_reset_publishes_nothing_twice(clean_db, world, prefix):
    grant_id = feed_grant(world)
    relay.relay_once(NATS_URL, max_pages=1)
    assert stream_count() == 30
    with session_scope() as session:
        session.execute(text("UPDATE feed_relay_cursors SET seq = 0 WHERE grant_id = :g"), {"g": grant_id})
    assert relay.relay_once(NATS_URL) == {"grants": 1, "published": 0, "duplicates": 30, "skipped": 0}
    assert stream_count() == 30 and cursor_of(grant_id) == 30


def test_revoked_feedless_and_denied_grants_are_not_relayed(clean_db, world, prefix):
    revoked = feed_grant(world)
    resp = world.approver.post(f"/api/v1/grants/{revoked}/revoke", json={"reason": "业务已办结"})
    assert resp.status_code == 200, resp.text
    world.approve(world.request(methods=("lookup",), clients=[world.client_b["id"]])["id"])
    assert relay.relay_once(NATS_URL) == {"grants": 0, "published": 0, "duplicates": 0, "skipped": 0}

    denied = feed_grant(world)  # live, but its client is revoked: the feed call is denied (and audited)
    assert world.consumer_admin.delete(f"/api/v1/clients/{world.client_a['id']}").status_code == 204
    assert relay.relay_once(NATS_URL) == {"grants": 1, "published": 0, "duplicates": 0, "skipped": 1}
    assert cursor_of(denied) is None and stream_count() == 0
    with session_scope(read_only=True) as session:
        outcomes = session.execute(text("SELECT outcome FROM ledger_entries WHERE client_id = :c AND method = 'feed'"),
                                   {"c": world.client_a["id"]}).scalars().all()
    assert outcomes == ["invalid_client"]


def test_a_second_grant_of_the_same_client_is_relayed_once(clean_db, world, prefix):
    older, newer = feed_grant(world), feed_grant(world, mobile="drop")  # `changes` reads under the newest
    assert relay.relay_once(NATS_URL) == {"grants": 2, "published": 30, "duplicates": 0, "skipped": 1}
    messages = published(prefix)
    assert {s for s, _, _ in messages} == {f"{prefix}.{world.entry['id']}.{newer}"}
    assert all("mobile" not in json.loads(data)["record"] for _, _, data in messages)
    assert cursor_of(older) is None and cursor_of(newer) == 30


def test_the_scheduler_relays_when_nats_is_configured(clean_db, world, prefix, monkeypatch):
    grant_id = feed_grant(world)
    monkeypatch.setenv("GOVSHARE_NATS_URL", NATS_URL)
    reset_settings()
    thread = scheduler.MountScheduler(interval=0.2, holder="test-relay").start()
    try:
        deadline = time.monotonic() + 60
        while cursor_of(grant_id) != 30 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        thread.stop()
    assert cursor_of(grant_id) == 30 and stream_count() == 30
