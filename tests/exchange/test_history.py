"""The exchange call history and the dashboard's call figures: calls made through the real exchange API,
read back through `GET /api/v1/exchange/calls` and the service. A department sees only its own calls
(as provider and as consumer); auditors and the operator see all."""

from __future__ import annotations

from datetime import timedelta

import pytest

from govshare.core.database import session_scope, utcnow
from govshare.core.errors import InvalidInput
from govshare.core.workdays import CHINA_TZ
from govshare.exchange import history
from tests.sharing.conftest import user_session


def make_calls(world, lookups: int = 3, misses: int = 1, denied: int = 2) -> None:
    """`lookups` answered lookups and `misses` not-found lookups by client A (granted), `denied` refused
    lookups by another department's client."""
    world.approve(world.request()["id"])
    http = world.platform.http
    url = f"/api/v1/data/{world.entry['id']}/records"
    granted = world.bearer(world.client_a)
    for row in world.rows[:lookups]:
        assert http.get(url, params={"id_number": row[0]}, headers=granted).status_code == 200
    for i in range(misses):
        resp = http.get(url, params={"id_number": "33090219800101000" + "X0123456789"[i % 10]}, headers=granted)
        assert resp.status_code in (200, 404), resp.text
    other = world.bearer(world.other_client)
    for row in world.rows[:denied]:
        assert http.get(url, params={"id_number": row[0]}, headers=other).status_code == 403


def _calls(http, **params) -> dict:
    resp = http.get("/api/v1/exchange/calls", params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_each_department_sees_its_own_calls_from_both_sides(world):
    make_calls(world)
    # The provider (approver's session) sees every call to its data, granted or refused.
    provider = _calls(world.approver, side="provider")
    assert provider["total"] == 6
    assert {c["consumer_org_id"] for c in provider["items"]} == {world.consumer_org["id"], world.other_org["id"]}
    # The consumer sees its own four calls, as consumer; none as provider.
    consumer = _calls(world.consumer, side="consumer")
    assert consumer["total"] == 4 and all(c["consumer_org_id"] == world.consumer_org["id"] for c in consumer["items"])
    assert _calls(world.consumer, side="provider")["total"] == 0
    assert _calls(world.consumer)["total"] == 4  # side=all: provider or consumer
    # Another department's user sees its two refused calls and nothing of the others'.
    other_user = world.platform.user(world.other_org, ["consumer"])
    other = _calls(user_session(world.platform.http.app, other_user))
    assert other["total"] == 2 and {c["outcome"] for c in other["items"]} == {"no_grant"}
    # Asking for another department's calls is ignored for a department user: still only its own.
    assert _calls(world.consumer, org=world.provider["code"], side="provider")["total"] == 0


def test_subjects_are_keyed_hashes_and_newest_come_first(world):
    make_calls(world, lookups=2, misses=0, denied=0)
    items = _calls(world.approver)["items"]
    ids = {row[0] for row in world.rows}
    for call in items:
        assert call["subject_hash"] and len(call["subject_hash"]) >= 32
        assert not any(i in str(call) for i in ids)  # no ID number anywhere in the record
    assert [c["at"] for c in items] == sorted((c["at"] for c in items), reverse=True)
    oldest = _calls(world.approver, order="asc")["items"]
    assert [c["seq"] for c in oldest] == [c["seq"] for c in reversed(items)]


def test_filters(world):
    make_calls(world)
    http = world.approver
    assert _calls(http, outcome="ok")["total"] == 3
    assert _calls(http, outcome="denied")["total"] == 2
    assert _calls(http, outcome="not_found")["total"] == 1
    assert _calls(http, method="lookup")["total"] == 6 and _calls(http, method="export")["total"] == 0
    assert _calls(http, other_org=world.other_org["code"])["total"] == 2
    assert _calls(http, entry=world.entry["code"])["total"] == 6
    today = utcnow().astimezone(CHINA_TZ).date()
    assert _calls(http, date_from=str(today), date_to=str(today))["total"] == 6
    assert _calls(http, date_to=str(today - timedelta(days=1)))["total"] == 0
    assert _calls(http, date_from=str(today + timedelta(days=1)))["total"] == 0
    page = _calls(http, limit=4, offset=4)
    assert page["total"] == 6 and len(page["items"]) == 2
    for bad in ({"side": "both"}, {"method": "delete"}, {"outcome": "maybe"}, {"entry": "no-such-code"},
                {"other_org": "NOPE"}, {"date_from": str(today), "date_to": str(today - timedelta(days=2))}):
        resp = http.get("/api/v1/exchange/calls", params=bad)
        assert resp.status_code == 422, (bad, resp.text)


def test_auditors_and_the_operator_see_every_department(world):
    make_calls(world)
    entry = world.entry["code"]  # other tests' calls are in the same database
    assert _calls(world.operator, entry=entry)["total"] == 6  # the operator's own department made none of them
    assert _calls(world.operator, org=world.consumer_org["code"], side="consumer")["total"] == 4
    assert _calls(world.operator, org=world.other_org["code"])["total"] == 2
    auditor = world.platform.user(world.platform.org(), ["auditor"])
    assert _calls(user_session(world.platform.http.app, auditor), entry=entry)["total"] == 6


def test_an_api_client_sees_its_department_and_login_is_required(world):
    make_calls(world)
    resp = world.platform.http.get("/api/v1/exchange/calls", headers=world.bearer(world.client_b))
    assert resp.status_code == 200 and resp.json()["total"] == 4
    world.platform.http.cookies.clear()
    assert world.platform.http.get("/api/v1/exchange/calls").status_code == 401


def test_counts_stop_at_the_cap(world):
    make_calls(world, lookups=3, misses=0, denied=0)
    with session_scope(read_only=True) as session:
        principal = world.principal("approver")
        filters = history.CallFilters(side="provider")
        assert history.count_calls(session, principal, filters) == 3
        assert history.count_calls(session, principal, filters, cap=2) == 3  # cap + 1: "more than 2"
        assert len(list(history.iter_calls(session, principal, filters, max_rows=2))) == 2
        with pytest.raises(InvalidInput):
            history.list_calls(session, principal, history.CallFilters(side="sideways"), 10, 0)


def test_call_figures_per_day_method_and_consumer(world):
    make_calls(world)
    with session_scope(read_only=True) as session:
        served = history.call_figures(session, world.provider["id"])
        consumed = history.call_figures(session, world.consumer_org["id"])
    today = utcnow().astimezone(CHINA_TZ).date().isoformat()
    assert len(served.days) == 30 and served.days[-1] == today
    assert served.served[-1] == 6 and served.served_total == 6 and served.consumed_total == 0
    assert served.served_denied == 2
    assert served.by_method["lookup"] == {"served": 6, "consumed": 0}
    assert [(name, n) for _id, name, n in served.top_consumers] == [
        ("舟山市住房公积金中心", 4), ("舟山市交通运输局", 2)]
    assert consumed.consumed[-1] == 4 and consumed.served_total == 0 and consumed.consumed_denied == 0


def test_call_figures_of_a_busy_department_read_only_the_latest_calls_row_by_row(world):
    make_calls(world)
    with session_scope(read_only=True) as session:
        figures = history.call_figures(session, world.provider["id"], sample=4)
    assert figures.served_total == 6  # per day: exact, from the index
    assert figures.sampled and sum(v["served"] for v in figures.by_method.values()) == 4  # the latest 4 calls
    assert figures.served_denied == 2  # the other department's refused calls came last
