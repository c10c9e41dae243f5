"""Console pages of the ledger in both languages: checkpoint, receipt check and proof explorer for every
department user, tracing for auditors only, alerts for security officers, the citizen's own record."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from govshare.core.database import session_scope
from govshare.ledger.integrator import integrate_all
from govshare.ledger.sequencer import RECEIPT_HEADER
from govshare.orgs import service as orgs
from govshare.orgs.schemas import UserCreate
from tests.sharing.conftest import build_world
from tests.web.conftest import csrf_from, sign_in, text_of


@pytest.fixture()
def scene(platform, app):
    world = build_world(platform, app)
    request = world.request()
    world.approve(request["id"])
    citizen_id = world.rows[5][0]
    lookup = platform.http.get(f"/api/v1/data/{world.entry['id']}/records", params={"id_number": citizen_id},
                               headers=world.bearer(world.client_a))
    assert lookup.status_code == 200
    integrate_all()
    public = platform.org(name="舟山市政务服务网")
    username = "citizen_" + public["short_name"]
    with session_scope() as session:
        orgs.create_user(session, UserCreate(username=username, display_name="市民", org_code=public["code"],
                                             password="correct horse battery", roles=["citizen"],
                                             id_number=citizen_id))
    users = {
        "citizen": {"username": username, "password": "correct horse battery"},
        "auditor": platform.user(platform.org(name="舟山市审计局"), ["auditor"]),
        "officer": platform.user(world.provider, ["security_officer"]),
        "admin": world.users["provider_admin"],
    }
    return {"world": world, "users": users, "receipt": lookup.headers[RECEIPT_HEADER], "subject": citizen_id}


def _as(app, user, lang="zh") -> TestClient:
    http = TestClient(app)
    http.cookies.set("gs_lang", lang)
    sign_in(http, user)
    return http


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_role_sees_its_pages_in_both_languages(app, scene, lang):
    words = {"zh": {"record": "我的数据使用记录", "ledger": "当前检查点", "trace": "溯源", "alerts": "监控预警"},
             "en": {"record": "My data-access record", "ledger": "Current checkpoint", "trace": "Tracing",
                    "alerts": "Monitoring alerts"}}[lang]
    citizen = _as(app, scene["users"]["citizen"], lang)
    home = citizen.get("/")
    assert home.status_code == 200 and words["record"] in text_of(home.text)
    text = text_of(home.text)
    assert "舟山市住房公积金中心" in text and "住房公积金提取审核" in text and scene["subject"] not in home.text
    assert 'href="/catalog"' not in home.text  # a citizen's navigation has no catalog

    admin = _as(app, scene["users"]["admin"], lang)
    ledger = admin.get("/ledger")
    assert ledger.status_code == 200 and words["ledger"] in text_of(ledger.text)
    assert "govshare.local/ledger" in ledger.text
    for path in ("/audit/trace", "/alerts", "/me/record"):
        assert admin.get(path).status_code == 403, path

    auditor = _as(app, scene["users"]["auditor"], lang)
    form = auditor.get("/audit/trace")
    assert form.status_code == 200 and 'method="post" action="/audit/trace"' in form.text
    traced = auditor.post("/audit/trace", data={"csrf_token": csrf_from(form.text), "by": "subject",
                                                "value": scene["subject"]})
    assert traced.status_code == 200 and "exchange.lookup" in traced.text and words["trace"] in text_of(traced.text)
    # The ID number travels in the form body only: never in a URL (access logs, browser history).
    assert scene["subject"] not in str(traced.url)
    forged = auditor.post("/audit/trace", data={"csrf_token": "forged", "by": "subject", "value": scene["subject"]})
    assert forged.status_code in (400, 403) and "exchange.lookup" not in forged.text

    officer = _as(app, scene["users"]["officer"], lang)
    alerts = officer.get("/alerts")
    assert alerts.status_code == 200 and words["alerts"] in text_of(alerts.text)


def test_receipt_check_and_proof_explorer(app, scene):
    admin = _as(app, scene["users"]["admin"])
    page = admin.get("/ledger")
    token = csrf_from(page.text)
    good = admin.post("/ledger/receipt", data={"csrf_token": token, "receipt": scene["receipt"]})
    assert good.status_code == 200 and "回执有效" in text_of(good.text) and "核验通过" in text_of(good.text)
    bad = admin.post("/ledger/receipt", data={"csrf_token": token, "receipt": scene["receipt"][:-8] + "AAAAAAAA"})
    assert bad.status_code == 422 and "回执无效" in text_of(bad.text)
    refused = admin.post("/ledger/receipt", data={"receipt": scene["receipt"]})
    assert refused.status_code == 403  # no CSRF token
    proof = admin.get("/ledger", params={"index": 0})
    assert proof.status_code == 200 and "已对照签名检查点核验" in text_of(proof.text)
    beyond = admin.get("/ledger", params={"index": 10_000_000})
    assert "不在当前检查点内" in text_of(beyond.text)


def test_an_officer_acknowledges_an_alert_in_the_console(app, scene, monkeypatch):
    from govshare.core.config import get_settings
    from govshare.ledger import monitoring
    monkeypatch.setattr(get_settings(), "monitor_distinct_subjects", 1)
    world = scene["world"]
    for row in world.rows[:3]:
        world.platform.http.get(f"/api/v1/data/{world.entry['id']}/records", params={"id_number": row[0]},
                                headers=world.bearer(world.client_a))
    with session_scope() as session:
        raised = [a.rule for a in monitoring.run_rules(session)]
    assert "many_subjects" in raised
    officer = _as(app, scene["users"]["officer"])
    page = officer.get("/alerts")
    assert "短时间查询大量人员" in text_of(page.text)
    alert_id = page.text.split('action="/alerts/')[1].split("/")[0]
    done = officer.post(f"/alerts/{alert_id}/acknowledge", data={"csrf_token": csrf_from(page.text), "note": "已核实"},
                        follow_redirects=False)
    assert done.status_code == 303
    after = officer.get("/alerts?show=all")
    assert "预警已确认" in text_of(after.text) and "已确认" in text_of(after.text)
