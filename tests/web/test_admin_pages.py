"""The operator's console pages: departments, users and roles, arbitration, overdue list, settings.
Only platform administrators get them; every change goes through the services the API uses."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from govshare.core.config import get_settings
from govshare.core.database import session_scope, utcnow
from govshare.ledger.models import LedgerEntry
from govshare.orgs.models import Organization, User
from govshare.sharing.models import AccessRequest
from tests.conftest import make_uscc
from tests.web.conftest import csrf_from, sign_in, text_of
from tests.sharing.conftest import build_world
from tests.web.test_home_pages import WebPlatform

ADMIN_PAGES = ["/admin/orgs", "/admin/users", "/admin/arbitration", "/admin/overdue", "/admin/settings"]


@pytest.fixture()
def world(client, app):
    """The sharing tests' small city, with its entry under the console tests' class."""
    return build_world(WebPlatform(client), app)


@pytest.fixture()
def operator(platform, client):
    org = platform.org(name="舟山市大数据发展管理局")
    user = platform.user(org, ["platform_admin"])
    sign_in(client, user)
    return {"org": org, "user": user, "http": client}


def _user_id(username: str) -> str:
    with session_scope(read_only=True) as session:
        return session.scalar(select(User.id).where(User.username == username))


def _roles(user_id: str) -> set[str]:
    with session_scope(read_only=True) as session:
        return session.get(User, user_id).roles


def test_non_operators_get_403_and_no_nav_item(platform, client):
    org = platform.org()
    for roles in (["org_admin"], ["auditor"], ["approver", "consumer"]):
        client.cookies.clear()
        sign_in(client, platform.user(org, roles))
        for url in ADMIN_PAGES:
            resp = client.get(url)
            assert resp.status_code == 403, (roles, url)
        assert 'href="/admin/orgs"' not in client.get("/dashboard").text
        token = csrf_from(client.get("/dashboard").text)
        resp = client.post("/admin/orgs", data={"csrf_token": token, "code": make_uscc(), "name": "越权部门",
                                                "region_code": "330900", "level": "city"})
        assert resp.status_code == 403
    client.cookies.clear()
    assert client.get("/admin/orgs", follow_redirects=False).headers["location"].startswith("/login")


def test_every_admin_page_renders_for_the_operator(operator):
    http = operator["http"]
    assert 'href="/admin/orgs"' in http.get("/dashboard").text  # the nav item
    for url in ADMIN_PAGES + ["/admin/overdue?tab=demands", "/admin/overdue?tab=promises"]:
        resp = http.get(url)
        assert resp.status_code == 200, (url, resp.text[:500])
    assert http.get("/admin", follow_redirects=False).headers["location"] == "/admin/orgs"


def test_create_department_validates_next_to_the_fields(operator):
    http = operator["http"]
    token = csrf_from(http.get("/admin/orgs").text)
    resp = http.post("/admin/orgs", data={"csrf_token": token, "code": "123", "name": "", "region_code": "999999",
                                          "level": "city"})
    assert resp.status_code == 422
    for field in ("code", "name"):
        assert f'id="{field}-error"' in resp.text, field
    resp = http.post("/admin/orgs", data={"csrf_token": token, "code": make_uscc(), "name": "舟山市测试局",
                                          "region_code": "999999", "level": "city"})
    assert resp.status_code == 422 and 'id="region_code-error"' in resp.text
    assert 'value="舟山市测试局"' in resp.text  # the form keeps what was typed
    code = make_uscc()
    resp = http.post("/admin/orgs", data={"csrf_token": token, "code": code, "name": "舟山市新建局",
                                          "region_code": "330900", "level": "city"}, follow_redirects=False)
    assert resp.status_code == 303
    page = http.get(resp.headers["location"])
    assert "舟山市新建局" in text_of(page.text)
    resp = http.post("/admin/orgs", data={"csrf_token": token, "code": code, "name": "重复",
                                          "region_code": "330900", "level": "city"})
    assert resp.status_code == 409 and 'id="code-error"' in resp.text
    # An early credit code that fails the check digit is accepted with a warning.
    resp = http.post("/admin/orgs", data={"csrf_token": token, "code": make_uscc(valid=False), "name": "早期代码单位",
                                          "region_code": "330900", "level": "county"})
    assert resp.status_code == 200 and "message-warning" in resp.text
    with session_scope(read_only=True) as session:
        assert session.scalar(select(Organization).where(Organization.name == "早期代码单位")).code_check_failed


def test_csrf_is_required(operator):
    http = operator["http"]
    resp = http.post("/admin/orgs", data={"code": make_uscc(), "name": "无令牌", "region_code": "330900",
                                          "level": "city"})
    assert resp.status_code == 403
    with session_scope(read_only=True) as session:
        assert session.scalar(select(Organization).where(Organization.name == "无令牌")) is None


def test_create_user_and_manage_roles(operator, platform):
    http = operator["http"]
    org = platform.org(name="舟山市民政局")
    token = csrf_from(http.get("/admin/users").text)
    bad = http.post("/admin/users", data={"csrf_token": token, "username": "x", "display_name": "王五",
                                          "org_code": org["code"], "password": "short"})
    assert bad.status_code == 422 and 'id="username-error"' in bad.text and 'id="password-error"' in bad.text
    # Separation of duties: administration and audit in one person is refused, next to the roles.
    sod = http.post("/admin/users", data={"csrf_token": token, "username": "wangwu_" + org["short_name"],
                                          "display_name": "王五", "org_code": org["code"],
                                          "password": "correct horse battery", "roles": ["org_admin", "auditor"]})
    assert sod.status_code == 422 and 'id="roles-error"' in sod.text
    username = "wangwu_" + org["short_name"]
    resp = http.post("/admin/users", data={"csrf_token": token, "username": username, "display_name": "王五",
                                           "org_code": org["code"], "password": "correct horse battery",
                                           "roles": ["consumer", "org_admin"]}, follow_redirects=False)
    assert resp.status_code == 303, resp.text
    user_id = _user_id(username)
    assert _roles(user_id) == {"consumer", "org_admin"}
    listing = http.get("/admin/users", params={"org": org["code"]}).text
    assert username in listing and "王五" in text_of(listing)
    assert http.get("/admin/users", params={"q": "nobody-has-this"}).text.count('class="empty"') == 1
    newest = http.get("/admin/users", params={"sort": "newest"}).text
    assert re.search(r'id="users">.*?<a href="/admin/users/([^"]+)"', newest, re.S).group(1) == _user_id(username)
    assert http.get("/admin/users", params={"sort": "sideways"}).status_code == 422
    # Grant: conflicting duty refused next to the field; an allowed role is granted.
    page = http.get(f"/admin/users/{user_id}")
    token = csrf_from(page.text)
    resp = http.post(f"/admin/users/{user_id}/roles", data={"csrf_token": token, "role": "security_officer"})
    assert resp.status_code == 422 and 'id="role-error"' in resp.text
    assert http.post(f"/admin/users/{user_id}/roles", data={"csrf_token": token, "role": "citizen"}).status_code == 422
    resp = http.post(f"/admin/users/{user_id}/roles", data={"csrf_token": token, "role": "approver"},
                     follow_redirects=False)
    assert resp.status_code == 303 and _roles(user_id) == {"consumer", "org_admin", "approver"}
    # Remove: a confirmation page first, then the POST.
    confirm = http.get(f"/admin/users/{user_id}/roles/org_admin/remove")
    assert confirm.status_code == 200 and f'action="/admin/users/{user_id}/roles/org_admin/remove"' in confirm.text
    assert _roles(user_id) == {"consumer", "org_admin", "approver"}  # the GET changed nothing
    assert http.post(f"/admin/users/{user_id}/roles/org_admin/remove", data={}).status_code == 403  # no CSRF token
    assert _roles(user_id) == {"consumer", "org_admin", "approver"}
    resp = http.post(f"/admin/users/{user_id}/roles/org_admin/remove", data={"csrf_token": csrf_from(confirm.text)},
                     follow_redirects=False)
    assert resp.status_code == 303 and _roles(user_id) == {"consumer", "approver"}
    # Now that administration is gone, the security duty may be granted.
    resp = http.post(f"/admin/users/{user_id}/roles", data={"csrf_token": token, "role": "security_officer"},
                     follow_redirects=False)
    assert resp.status_code == 303 and "security_officer" in _roles(user_id)
    assert http.get(f"/admin/users/{user_id}/roles/org_admin/remove").status_code == 404  # not held any more
    # Each change is a ledger event naming the user, the role and the operator who made it.
    with session_scope(read_only=True) as session:
        leaves = [json.loads(leaf) for leaf in session.scalars(select(LedgerEntry.leaf).where(
            LedgerEntry.kind.in_(["role.granted", "role.revoked"])))]
    mine = [(e["kind"], e["role"], e["actor"]) for e in leaves if e["user"] == user_id]
    assert mine == [("role.granted", "approver", operator["user"]["id"]),
                    ("role.revoked", "org_admin", operator["user"]["id"]),
                    ("role.granted", "security_officer", operator["user"]["id"])]
    assert http.post(f"/admin/users/{user_id}/roles/auditor/remove", data={"csrf_token": token}).status_code == 404


def test_the_operator_cannot_remove_their_own_admin_role(operator):
    http = operator["http"]
    me = operator["user"]["id"]
    confirm = http.get(f"/admin/users/{me}/roles/platform_admin/remove")
    resp = http.post(f"/admin/users/{me}/roles/platform_admin/remove", data={"csrf_token": csrf_from(confirm.text)})
    assert resp.status_code == 403 and _roles(me) == {"platform_admin"}


def _signed_in_operator(world):
    http = world.platform.http
    http.cookies.clear()
    sign_in(http, world.users["operator"])
    return http


def test_arbitration_of_an_escalated_request(clean_db, world):  # the overdue list is platform-wide
    first = world.request()
    second = world.request()
    past = utcnow() - timedelta(days=1)
    with session_scope() as session:
        for rid in (first["id"], second["id"]):
            session.get(AccessRequest, rid).due_at = past
    http = _signed_in_operator(world)
    overdue = http.get("/admin/overdue")
    assert overdue.status_code == 200
    table = re.search(r'id="overdue-requests">(.*?)</table>', overdue.text, re.S).group(1)
    assert table.count("<tr class=\"is-overdue\">") == 2
    # Escalate the overdue ones into the arbitration queue.
    resp = http.post("/admin/overdue/escalate", data={"csrf_token": csrf_from(overdue.text)}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/admin/arbitration"
    queue = http.get("/admin/arbitration").text
    assert f"/admin/arbitration/{first['id']}" in queue and f"/admin/arbitration/{second['id']}" in queue
    case = http.get(f"/admin/arbitration/{first['id']}")
    token = csrf_from(case.text)
    # Reject needs a reason, shown next to the field; nothing changes.
    resp = http.post(f"/admin/arbitration/{first['id']}/reject", data={"csrf_token": token, "reason": " "})
    assert resp.status_code == 422 and 'id="reason-error"' in resp.text
    resp = http.post(f"/admin/arbitration/{first['id']}/approve",
                     data={"csrf_token": token, "duration_days": "99999"})
    assert resp.status_code == 422 and 'id="duration_days-error"' in resp.text
    resp = http.post(f"/admin/arbitration/{first['id']}/approve", data={"csrf_token": token, "note": "逾期未审，仲裁同意",
                                                                        "duration_days": "30"}, follow_redirects=False)
    assert resp.status_code == 303
    resp = http.post(f"/admin/arbitration/{second['id']}/reject", data={"csrf_token": token, "reason": "用途不明确"},
                     follow_redirects=False)
    assert resp.status_code == 303
    with session_scope(read_only=True) as session:
        a, b = session.get(AccessRequest, first["id"]), session.get(AccessRequest, second["id"])
        assert (a.status, a.arbitrated, a.grant_id is not None) == ("approved", True, True)
        assert (b.status, b.arbitrated, b.decision_reason) == ("rejected", True, "用途不明确")
    assert f"/admin/arbitration/{first['id']}" not in http.get("/admin/arbitration").text
    # Deciding twice is a conflict page, not a second grant.
    assert http.post(f"/admin/arbitration/{first['id']}/approve", data={"csrf_token": token}).status_code == 409


def test_the_provider_cannot_use_the_arbitration_pages(world):
    req = world.request()
    http = world.platform.http
    http.cookies.clear()
    sign_in(http, world.users["approver"])
    assert http.get(f"/admin/arbitration/{req['id']}").status_code == 403
    token = csrf_from(http.get("/dashboard").text)
    assert http.post(f"/admin/arbitration/{req['id']}/approve", data={"csrf_token": token}).status_code == 403


def test_settings_never_show_secrets(operator, monkeypatch):
    http = operator["http"]
    page = http.get("/admin/settings")
    assert page.status_code == 200
    settings = get_settings()
    assert settings.resolved_secret_key() not in page.text
    assert 'data-setting="review_working_days"' in page.text and "GOVSHARE_REVIEW_WORKING_DAYS" in page.text
    from govshare.web.admin_pages import masked_settings
    monkeypatch.setattr(settings, "database_url", "postgresql+psycopg://govshare:s3cretpw@db:5432/govshare")
    monkeypatch.setattr(settings, "secret_key", "very-secret-signing-key")
    monkeypatch.setattr(settings, "ledger_key", "PRIVATE+KEY+govshare+abc")
    monkeypatch.setattr(settings, "redis_url", "redis://:redispw@cache:6379/0")
    shown = {name: value for name, value, _ in masked_settings("zh")}
    assert shown["database_url"] == "postgresql+psycopg://govshare:******@db:5432/govshare"
    assert shown["redis_url"] == "redis://:******@cache:6379/0"
    assert shown["secret_key"] == shown["ledger_key"] == "******"
    assert not any(s in str(shown) for s in ("s3cretpw", "very-secret", "PRIVATE+KEY", "redispw"))


@pytest.mark.parametrize("lang,word,foreign", [("zh", "运维管理", "Operations"), ("en", "Operations", "运维管理")])
def test_admin_pages_in_both_languages(operator, lang, word, foreign):
    http = operator["http"]
    http.cookies.set("gs_lang", lang)
    for url in ADMIN_PAGES:
        text = text_of(http.get(url).text)
        assert word in text and foreign not in text, url
