"""Monitoring rules raise alerts (themselves ledger events) for the provider's security officer; the
citizen's record shows who looked up their data and nothing about anyone else."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from govshare.core.config import get_settings
from govshare.core.database import session_scope
from govshare.core.workdays import CHINA_TZ
from govshare.ledger import monitoring
from govshare.orgs import service as orgs
from govshare.orgs.schemas import UserCreate
from tests.conftest import make_id_number
from tests.sharing.conftest import user_session


@pytest.fixture()
def rules(monkeypatch):
    """Thresholds small enough for a test, working hours around now (off-hours calls are opt-in)."""
    settings = get_settings()
    now = datetime.now(CHINA_TZ)
    start, end = (now - timedelta(hours=1)).strftime("%H:%M"), (now + timedelta(hours=1)).strftime("%H:%M")
    if start > end:  # around midnight: the whole day
        start, end = "00:00", "23:59"
    monkeypatch.setattr(settings, "monitor_working_hours", f"{start}-{end}")
    monkeypatch.setattr(settings, "monitor_distinct_subjects", 5)
    monkeypatch.setattr(settings, "monitor_volume_min_calls", 8)
    monkeypatch.setattr(settings, "monitor_volume_factor", 3.0)
    monkeypatch.setattr(settings, "holidays", "")
    from govshare.core import workdays
    monkeypatch.setattr(workdays, "calendar", lambda: workdays.WorkCalendar())
    monkeypatch.setattr(monitoring, "calendar", lambda: workdays.WorkCalendar(
        extra_workdays=[now.date()]))  # today is a working day whatever the weekday
    with session_scope() as session:
        monitoring.run_rules(session)  # start from here: earlier tests' calls are judged already
    return settings


def _lookup(world, client, id_number: str, api_client=None):
    return client.get(f"/api/v1/data/{world.entry['id']}/records", params={"id_number": id_number},
                      headers=world.bearer(api_client or world.client_a))


def _run() -> list[dict]:
    with session_scope() as session:
        return [{"rule": a.rule, "provider": a.provider_org_id, "client": a.client_id, "count": a.count}
                for a in monitoring.run_rules(session)]


def _officer(platform, client, org: dict):
    return user_session(client.app, platform.user(org, ["security_officer"]))


def test_many_subjects_and_volume_raise_alerts_once(world, client, rules):
    request = world.request()
    world.approve(request["id"])
    for row in world.rows[:9]:
        assert _lookup(world, client, row[0]).status_code == 200
    alerts = _run()
    assert sorted(a["rule"] for a in alerts) == ["many_subjects", "volume_spike"]
    assert all(a["provider"] == world.provider["id"] for a in alerts)
    assert next(a for a in alerts if a["rule"] == "many_subjects")["count"] == 9
    assert _run() == []  # the same calls are not judged twice
    assert _lookup(world, client, world.rows[10][0]).status_code == 200
    assert _run() == []  # one alert per client (or consumer and entry) per window


def test_calls_after_revocation_and_off_hours(world, client, rules, monkeypatch):
    request = world.request()
    granted = world.approve(request["id"])
    resp = world.approver.post(f"/api/v1/grants/{granted['grant_id']}/revoke", json={"reason": "停止使用"})
    assert resp.status_code == 200
    assert _lookup(world, client, world.rows[0][0]).status_code == 403
    # Working hours that exclude the present moment, whatever the hour (a window cannot wrap midnight).
    hours = "12:30-23:30" if datetime.now(CHINA_TZ).hour < 12 else "00:30-11:30"
    monkeypatch.setattr(rules, "monitor_working_hours", hours)
    alerts = _run()
    assert {a["rule"] for a in alerts} == {"after_revocation", "off_hours"}
    assert all(a["client"] == world.client_a["id"] for a in alerts)


def test_alerts_reach_the_providers_security_officer_only_and_are_ledger_events(world, client, platform, rules):
    request = world.request()
    world.approve(request["id"])
    for row in world.rows[:6]:
        _lookup(world, client, row[0])
    assert {a["rule"] for a in _run()} == {"many_subjects"}
    officer = _officer(platform, client, world.provider)
    listed = officer.get("/api/v1/alerts")
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [a["rule"] for a in items] == ["many_subjects"] and listed.json()["total"] == 1
    other_officer = _officer(platform, client, world.consumer_org)
    assert other_officer.get("/api/v1/alerts").json()["total"] == 0
    denied = world.approver.get("/api/v1/alerts")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "security_officers_only"
    assert other_officer.post(f"/api/v1/alerts/{items[0]['id']}/acknowledge", json={}).status_code == 404
    done = officer.post(f"/api/v1/alerts/{items[0]['id']}/acknowledge", json={"note": "已核实：批量业务"})
    assert done.status_code == 200 and done.json()["acknowledged_at"]
    assert officer.post(f"/api/v1/alerts/{items[0]['id']}/acknowledge", json={}).status_code == 409
    assert officer.get("/api/v1/alerts").json()["total"] == 0
    assert officer.get("/api/v1/alerts", params={"open": "false"}).json()["total"] == 1
    from tests.ledger.test_ledger import _leaves
    logged = [e for e in _leaves(provider_org_id=world.provider["id"]) if e["kind"].startswith("alert.")]
    assert [e["kind"] for e in logged] == ["alert.raised", "alert.acknowledged"]
    assert logged[0]["alert"] == items[0]["id"]


def _citizen(platform, client, id_number: str):
    org = platform.org(name="舟山市政务服务网")
    with session_scope() as session:
        user = orgs.create_user(session, UserCreate(username=f"citizen{id_number[-6:]}", display_name="市民",
                                                    org_code=org["code"], password="correct horse battery",
                                                    roles=["citizen"], id_number=id_number))
        user = {"id": user.id, "username": user.username, "password": "correct horse battery"}
    return user_session(client.app, user)


def test_the_citizen_sees_who_looked_them_up_and_nothing_else(world, client, platform):
    request = world.request()
    world.approve(request["id"])
    mine, theirs = world.rows[3][0], world.rows[4][0]
    assert _lookup(world, client, mine).status_code == 200
    assert _lookup(world, client, theirs).status_code == 200
    resp = client.post(f"/api/v1/data/{world.entry['id']}/verify", json={"match": {"id_number": mine, "children": 3}},
                       headers=world.bearer(world.client_a))
    assert resp.status_code == 200
    assert _lookup(world, client, mine, world.other_client).status_code == 403  # no grant: logged as denied
    citizen = _citizen(platform, client, mine)
    record = citizen.get("/api/v1/me/data-access")
    assert record.status_code == 200, record.text
    # (Other tests' worlds hold the same generated ID numbers: this world's entry only.)
    items = [i for i in record.json()["items"] if i["entry_id"] == world.entry["id"]]
    assert [(i["method"], i["outcome"]) for i in items] == [("lookup", "no_grant"), ("verify", "ok"),
                                                            ("lookup", "ok")]
    assert {i["department"] for i in items} == {"舟山市住房公积金中心", "舟山市交通运输局"}
    assert items[1]["entry"] == world.entry["name"] and items[1]["purpose"] == "住房公积金提取审核"
    assert theirs not in record.text and mine not in record.text
    # Nobody else reads a record: departments' users get 403.
    denied = world.consumer.get("/api/v1/me/data-access")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "citizens_only"


def test_citizen_accounts_need_a_valid_id_number_and_only_the_citizen_role(platform):
    org = platform.org()
    cases = [(["citizen"], None), (["citizen"], "110101199003077777"), (["citizen", "consumer"],
                                                                        make_id_number()), (["consumer"],
                                                                                            make_id_number())]
    from govshare.core.errors import InvalidInput
    for roles, id_number in cases:
        with pytest.raises(InvalidInput), session_scope() as session:
            orgs.create_user(session, UserCreate(username="c" + str(abs(hash((tuple(roles), id_number))))[:10],
                                                 display_name="x", org_code=org["code"],
                                                 password="correct horse battery", roles=roles, id_number=id_number))
