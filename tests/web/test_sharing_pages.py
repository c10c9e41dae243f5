"""Console pages of sharing through HTTP: a consumer files a request, the provider's approver narrows and
masks it, the consumer sees the grant, a revocation after confirmation; rejections need a reason; other
departments, other roles, missing logins and missing CSRF tokens are refused; API client secrets are shown
once; demands are filed, answered and closed; overdue requests and demands are marked."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from govshare.core.database import session_scope, utcnow
from govshare.orgs.models import ApiClient
from govshare.sharing import service as sharing
from govshare.sharing.models import AccessRequest, Demand, Grant
from tests.sharing.conftest import build_world
from tests.web.conftest import csrf_from, sign_in, text_of


def _as(app, user: dict, lang: str = "en") -> TestClient:
    http = TestClient(app)
    http.cookies.set("gs_lang", lang)
    sign_in(http, user)
    return http


@pytest.fixture()
def scene(platform, app):
    world = build_world(platform, app, rows=5)
    other_approver = platform.user(world.other_org, ["approver"])
    return {"world": world, "app": app, "other_approver": other_approver}


def _page(http: TestClient, url: str) -> tuple[str, str]:
    """GET a page that must render; returns its HTML and its CSRF token."""
    resp = http.get(url)
    assert resp.status_code == 200, resp.text
    return resp.text, csrf_from(resp.text)


def _file(http: TestClient, world, **overrides) -> str:
    """File a request through the console form; returns the request id."""
    page, token = _page(http, f"/access/requests/new?entry_id={world.entry['id']}")
    data = {"csrf_token": token, "entry_id": world.entry["id"], "items": ["id_number", "name", "mobile", "children"],
            "methods": ["lookup", "export"], "client_ids": [world.client_a["client_id"]],
            "purpose": "住房公积金提取审核", "legal_basis": "住房公积金管理条例", "duration_days": "365", **overrides}
    resp = http.post("/access/requests/new", data=data, follow_redirects=False)
    assert resp.status_code == 303, resp.text
    match = re.fullmatch(r"/access/requests/(\w+)", resp.headers["location"])
    assert match, resp.headers["location"]
    return match.group(1)


def _request(request_id: str) -> AccessRequest:
    with session_scope(read_only=True) as session:
        req = session.get(AccessRequest, request_id)
        session.expunge(req)
        return req


def _grant(grant_id: str) -> Grant:
    with session_scope(read_only=True) as session:
        grant = session.get(Grant, grant_id)
        session.expunge(grant)
        return grant


def test_request_approve_with_narrowing_and_masking_then_revoke_after_confirmation(scene):
    world, app = scene["world"], scene["app"]
    consumer = _as(app, world.users["consumer"])
    form = consumer.get(f"/access/requests/new?entry_id={world.entry['id']}")
    assert form.status_code == 200 and 'name="items"' in form.text and world.client_a["client_id"] in form.text
    request_id = _file(consumer, world)
    detail = consumer.get(f"/access/requests/{request_id}")
    assert "Pending decision" in text_of(detail.text) and "/review" not in detail.text  # the consumer does not decide
    mine = consumer.get("/access/requests")
    assert f"/access/requests/{request_id}" in mine.text

    approver = _as(app, world.users["approver"])
    inbox = approver.get("/access/inbox")
    assert inbox.status_code == 200 and f"/access/requests/{request_id}/review" in inbox.text
    review, token = _page(approver, f"/access/requests/{request_id}/review")
    # Masking choices start at the requested (default) policy: an approver may only tighten.
    assert 'value="name=mask" selected' in review and 'value="name=clear"' not in review
    assert 'value="children=' not in review  # not personal: no masking choice
    resp = approver.post(f"/access/requests/{request_id}/approve", follow_redirects=False, data={
        "csrf_token": token, "items": ["id_number", "name", "children"], "methods": ["lookup"],
        "masking": ["id_number=mask", "name=pseudonym", "children=clear"], "rate_limit_per_minute": "60",
        "duration_days": "30", "note": "仅限提取审核"})
    assert resp.status_code == 303, resp.text
    req = _request(request_id)
    assert req.status == "approved" and req.grant_id
    grant = _grant(req.grant_id)
    assert grant.items == ["id_number", "name", "children"] and grant.methods == ["lookup"]
    assert grant.masking == {"id_number": "mask", "name": "pseudonym", "children": "clear"}
    assert grant.rate_limit_per_minute == 60

    held = consumer.get("/access/grants")
    assert f"/access/grants/{grant.id}" in held.text
    shown = text_of(consumer.get(f"/access/grants/{grant.id}").text)
    assert "Active" in shown and "Pseudonym" in shown
    # A plain consumer may not revoke; the page says so instead of offering the form.
    assert consumer.get(f"/access/grants/{grant.id}/revoke").status_code == 403
    given = approver.get("/access/grants?side=provider")
    assert f"/access/grants/{grant.id}" in given.text

    confirm, token = _page(approver, f"/access/grants/{grant.id}/revoke")
    assert "cannot be undone" in text_of(confirm)
    refused = approver.post(f"/access/grants/{grant.id}/revoke", data={"csrf_token": token, "reason": " "})
    assert refused.status_code == 422 and 'id="reason-error"' in refused.text
    assert _grant(grant.id).revoked_at is None
    done = approver.post(f"/access/grants/{grant.id}/revoke", data={"csrf_token": token, "reason": "业务办结"},
                         follow_redirects=False)
    assert done.status_code == 303
    assert _grant(grant.id).revoke_reason == "业务办结"
    assert "Revoked" in text_of(consumer.get(f"/access/grants/{grant.id}").text)


def test_approval_may_not_loosen_masking_or_widen(scene):
    world, app = scene["world"], scene["app"]
    request_id = _file(_as(app, world.users["consumer"]), world)
    approver = _as(app, world.users["approver"])
    _review, token = _page(approver, f"/access/requests/{request_id}/review")
    resp = approver.post(f"/access/requests/{request_id}/approve", data={
        "csrf_token": token, "items": ["id_number", "name"], "methods": ["lookup", "feed"],
        "masking": ["id_number=clear"]})
    assert resp.status_code == 422
    assert 'id="masking-error"' in resp.text and 'id="methods-error"' in resp.text
    assert _request(request_id).status == "pending"
    resp = approver.post(f"/access/requests/{request_id}/approve", data={"csrf_token": token, "methods": ["lookup"]})
    assert resp.status_code == 422 and 'id="items-error"' in resp.text
    assert _request(request_id).status == "pending"


def test_reject_needs_a_reason(scene):
    world, app = scene["world"], scene["app"]
    consumer = _as(app, world.users["consumer"])
    request_id = _file(consumer, world)
    approver = _as(app, world.users["approver"])
    _review, token = _page(approver, f"/access/requests/{request_id}/review")
    resp = approver.post(f"/access/requests/{request_id}/reject", data={"csrf_token": token, "reason": ""})
    assert resp.status_code == 422 and 'id="reason-error"' in resp.text
    assert _request(request_id).status == "pending"
    resp = approver.post(f"/access/requests/{request_id}/reject", data={"csrf_token": token, "reason": "用途不符"},
                         follow_redirects=False)
    assert resp.status_code == 303
    assert _request(request_id).status == "rejected"
    assert "用途不符" in text_of(consumer.get(f"/access/requests/{request_id}").text)
    # Decided: the review page now answers 409 instead of offering the forms again.
    assert approver.get(f"/access/requests/{request_id}/review").status_code == 409


def test_request_form_errors_show_next_to_fields(scene):
    world, app = scene["world"], scene["app"]
    consumer = _as(app, world.users["consumer"])
    _form, token = _page(consumer, f"/access/requests/new?entry_id={world.entry['id']}")
    resp = consumer.post("/access/requests/new", data={"csrf_token": token, "entry_id": world.entry["id"],
                                                       "purpose": "x", "duration_days": "0"})
    assert resp.status_code == 422
    for field in ("items", "methods", "client_ids", "purpose", "duration_days"):
        assert f'id="{field}-error"' in resp.text, field
    # A client of another department is refused by the service, shown next to the field.
    resp = consumer.post("/access/requests/new", data={
        "csrf_token": token, "entry_id": world.entry["id"], "items": ["name"], "methods": ["lookup"],
        "client_ids": [world.other_client["client_id"]], "purpose": "住房公积金提取审核", "duration_days": "30"})
    assert resp.status_code == 422 and 'id="client_ids-error"' in resp.text
    assert "not a client of your department" in resp.text
    with session_scope(read_only=True) as session:
        assert session.scalar(select(AccessRequest.id).where(
            AccessRequest.consumer_org_id == world.consumer_org["id"])) is None


def test_other_department_and_other_roles_are_refused(scene):
    world, app = scene["world"], scene["app"]
    request_id = _file(_as(app, world.users["consumer"]), world)
    other = _as(app, scene["other_approver"])
    assert request_id not in other.get("/access/inbox").text
    assert other.get(f"/access/requests/{request_id}").status_code == 404
    assert other.get(f"/access/requests/{request_id}/review").status_code == 404
    token = csrf_from(other.get("/access/inbox").text)
    resp = other.post(f"/access/requests/{request_id}/approve", data={"csrf_token": token, "items": ["name"],
                                                                       "methods": ["lookup"]})
    assert resp.status_code == 404
    resp = other.post(f"/access/requests/{request_id}/reject", data={"csrf_token": token, "reason": "不予共享"})
    assert resp.status_code == 404
    # The provider's administrator sees the request but is no approver.
    admin = _as(app, world.users["provider_admin"])
    assert admin.get(f"/access/requests/{request_id}").status_code == 200
    assert admin.get(f"/access/requests/{request_id}/review").status_code == 403
    # A plain consumer has no inbox.
    assert _as(app, world.users["consumer"]).get("/access/inbox").status_code == 403
    assert _request(request_id).status == "pending"


def test_csrf_and_login_are_required(scene):
    world, app = scene["world"], scene["app"]
    request_id = _file(_as(app, world.users["consumer"]), world)
    approver = _as(app, world.users["approver"])
    resp = approver.post(f"/access/requests/{request_id}/approve", data={"items": ["name"], "methods": ["lookup"]})
    assert resp.status_code == 403
    resp = approver.post(f"/access/requests/{request_id}/reject", data={"csrf_token": "forged", "reason": "不予共享"})
    assert resp.status_code == 403
    assert _request(request_id).status == "pending"
    anonymous = TestClient(app)
    resp = anonymous.get("/access/inbox", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")
    resp = anonymous.post(f"/access/requests/{request_id}/reject", data={"reason": "不予共享"}, follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    assert _request(request_id).status == "pending"


def test_overdue_requests_are_marked_and_come_first(scene):
    world, app = scene["world"], scene["app"]
    consumer = _as(app, world.users["consumer"])
    first = _file(consumer, world, purpose="第一件")
    late = _file(consumer, world, purpose="逾期的一件")
    with session_scope() as session:
        session.get(AccessRequest, late).due_at = utcnow() - timedelta(days=1)
    approver = _as(app, world.users["approver"], "zh")
    inbox = approver.get("/access/inbox")
    text = text_of(inbox.text)
    assert text.index("逾期的一件") < text.index("第一件")
    assert 'class="is-overdue"' in inbox.text and "逾期" in text.split("逾期的一件", 1)[1].split("第一件")[0]
    overdue_only = text_of(approver.get("/access/inbox?status=overdue").text)
    assert "逾期的一件" in overdue_only and "第一件" not in overdue_only
    newest = text_of(approver.get("/access/inbox?sort=newest").text)
    assert newest.index("逾期的一件") < newest.index("第一件")
    assert approver.get("/access/inbox?sort=sideways").status_code == 422
    # Decided requests leave the default list and stay under "All".
    _review, token = _page(approver, f"/access/requests/{first}/review")
    approver.post(f"/access/requests/{first}/reject", data={"csrf_token": token, "reason": "用途不符"})
    assert "第一件" not in text_of(approver.get("/access/inbox").text)
    everything = approver.get("/access/inbox?status=all")
    assert "第一件" in text_of(everything.text) and 'href="/access/inbox?status=all&amp;sort=deadline"' in everything.text
    assert first != late


def test_client_secret_is_shown_exactly_once(scene):
    world, app = scene["world"], scene["app"]
    admin = _as(app, world.users["consumer_admin"])
    _page_html, token = _page(admin, "/access/clients")
    resp = admin.post("/access/clients", data={"csrf_token": token, "name": "", "scopes": []})
    assert resp.status_code == 422 and 'id="name-error"' in resp.text and 'id="scopes-error"' in resp.text
    resp = admin.post("/access/clients", data={"csrf_token": token, "name": "公积金审核系统", "scopes": ["data:read"]})
    assert resp.status_code == 200 and "no-store" in resp.headers["cache-control"]
    secret = re.search(r'id="client-secret">([^<]+)<', resp.text).group(1)
    client_id = re.search(r"gs_\w+", resp.text).group(0)
    assert resp.text.count(secret) == 1
    listing = admin.get("/access/clients")
    assert client_id in listing.text and secret not in listing.text
    with session_scope(read_only=True) as session:
        row = session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
        assert secret not in row.secret_hash
        client_pk = row.id
    assert world.platform.token({"client_id": client_id, "client_secret": secret})

    confirm, token = _page(admin, f"/access/clients/{client_pk}/rotate")
    assert f'action="/access/clients/{client_pk}/rotate"' in confirm
    rotated = admin.post(f"/access/clients/{client_pk}/rotate", data={"csrf_token": token})
    new_secret = re.search(r'id="client-secret">([^<]+)<', rotated.text).group(1)
    assert rotated.status_code == 200 and new_secret != secret and "no-store" in rotated.headers["cache-control"]
    assert world.platform.http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                          "client_secret": secret}).status_code == 401
    assert world.platform.token({"client_id": client_id, "client_secret": new_secret})

    _confirm, token = _page(admin, f"/access/clients/{client_pk}/revoke")
    done = admin.post(f"/access/clients/{client_pk}/revoke", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert "Revoked" in text_of(admin.get("/access/clients").text)

    # A plain consumer sees the list but may not create, rotate or revoke.
    consumer = _as(app, world.users["consumer"])
    listing = consumer.get("/access/clients")
    assert listing.status_code == 200 and 'action="/access/clients"' not in listing.text
    token = csrf_from(listing.text)
    assert consumer.post("/access/clients", data={"csrf_token": token, "name": "x", "scopes": ["data:read"]}
                         ).status_code == 403
    assert consumer.get(f"/access/clients/{world.client_a['id']}/rotate").status_code == 403
    # Another department's client does not exist for this one.
    assert admin.get(f"/access/clients/{world.other_client['id']}/revoke").status_code == 404


def test_demand_filed_answered_and_closed(scene):
    world, app = scene["world"], scene["app"]
    consumer = _as(app, world.users["consumer"])
    _form, token = _page(consumer, "/demands/new")
    resp = consumer.post("/demands/new", data={"csrf_token": token, "title": "", "purpose": "",
                                               "wanted_by": "2020-01-01"})
    assert resp.status_code == 422 and 'id="title-error"' in resp.text and 'id="purpose-error"' in resp.text
    wanted = (date.today() + timedelta(days=30)).isoformat()
    filed = {"csrf_token": token, "title": "婚姻登记信息", "wanted_items": "姓名、婚姻状况", "purpose": "住房公积金提取审核",
             "legal_basis": "住房公积金管理条例", "wanted_by": wanted}
    resp = consumer.post("/demands/new", data={**filed, "org_code": "91330900MA00000000"})
    assert resp.status_code == 422 and 'id="org_code-error"' in resp.text  # no such department: nothing filed
    assert f'value="{world.provider["code"]}"' in resp.text  # the department select is offered again
    resp = consumer.post("/demands/new", follow_redirects=False, data={**filed, "org_code": world.provider["code"]})
    assert resp.status_code == 303, resp.text
    demand_url = resp.headers["location"]
    demand_id = demand_url.rsplit("/", 1)[1]
    assert demand_id in consumer.get("/demands").text
    detail = text_of(consumer.get(demand_url).text)
    assert "住房公积金管理条例" in detail and world.provider["name"] in detail  # legal basis, routed to the provider
    with session_scope(read_only=True) as session:
        stored = session.get(Demand, demand_id)
        assert stored.legal_basis == "住房公积金管理条例" and stored.routed_org_id == world.provider["id"]
        assert stored.description == ""

    approver = _as(app, world.users["approver"])
    page, token = _page(approver, demand_url)
    assert f'action="/demands/{demand_id}/answer"' in page and f'action="/demands/{demand_id}/close"' not in page
    resp = approver.post(f"/demands/{demand_id}/answer", data={"csrf_token": token, "answer": "cannot_share"})
    assert resp.status_code == 422 and 'id="note-error"' in resp.text
    resp = approver.post(f"/demands/{demand_id}/answer", follow_redirects=False,
                         data={"csrf_token": token, "answer": "exists", "entry_id": world.entry["id"]})
    assert resp.status_code == 303
    assert demand_id in approver.get("/demands?tab=all").text

    page, token = _page(consumer, demand_url)
    assert f"/access/requests/new?entry_id={world.entry['id']}" in page
    resp = consumer.post(f"/demands/{demand_id}/close", data={"csrf_token": token, "satisfied": "no"})
    assert resp.status_code == 422 and 'id="rating-error"' in resp.text and 'id="comment-error"' in resp.text
    resp = consumer.post(f"/demands/{demand_id}/close", follow_redirects=False,
                         data={"csrf_token": token, "satisfied": "no", "rating": "2", "comment": "缺少离婚登记"})
    assert resp.status_code == 303
    with session_scope(read_only=True) as session:
        demand = session.get(Demand, demand_id)
        assert demand.status == "closed" and demand.satisfied is False and demand.rating == 2
        assert demand.legal_basis == "住房公积金管理条例"
    assert demand_id in consumer.get("/demands?tab=unmet").text
    # Closed: neither form is offered any more, and a second close is a conflict.
    page = consumer.get(demand_url).text
    assert "/close" not in page and "缺少离婚登记" in page
    assert consumer.post(f"/demands/{demand_id}/close", data={"csrf_token": token, "satisfied": "yes",
                                                              "rating": "5"}).status_code == 409
    # No CSRF token: refused.
    assert approver.post(f"/demands/{demand_id}/answer", data={"answer": "exists"}).status_code == 403


def test_overdue_demand_is_marked(scene):
    world, app = scene["world"], scene["app"]
    consumer = _as(app, world.users["consumer"], "zh")
    _form, token = _page(consumer, "/demands/new")
    resp = consumer.post("/demands/new", follow_redirects=False, data={
        "csrf_token": token, "title": "逾期需求测试", "purpose": "测试",
        "wanted_by": (date.today() + timedelta(days=2)).isoformat()})
    demand_id = resp.headers["location"].rsplit("/", 1)[1]
    with session_scope() as session:
        session.get(Demand, demand_id).wanted_by = date.today() - timedelta(days=3)
    board = consumer.get("/demands?tab=overdue")
    assert demand_id in board.text and 'class="is-overdue"' in board.text
    assert "逾期" in text_of(board.text).split("逾期需求测试", 1)[1]
    assert consumer.get("/demands?tab=nonsense").status_code == 422


def test_navigation_by_role(scene):
    world, app = scene["world"], scene["app"]
    approver = _as(app, world.users["approver"]).get("/demands").text
    assert 'href="/access/inbox"' in approver and 'href="/access/requests"' not in approver
    consumer = _as(app, world.users["consumer"]).get("/demands").text
    assert 'href="/access/requests"' in consumer and 'href="/access/clients"' in consumer
    assert 'href="/access/inbox"' not in consumer


def test_service_sort_and_decider_helpers(scene):
    world = scene["world"]
    first = world.request(purpose="第一件")["id"]
    second = world.request(purpose="第二件")["id"]
    with session_scope() as session:
        session.get(AccessRequest, second).due_at = utcnow() - timedelta(hours=1)
    with session_scope(read_only=True) as session:
        approver = world.principal("approver")
        rows, total = sharing.list_requests(session, approver, "inbox", "open", 10, 0, sort="deadline")
        assert [r.id for r in rows] == [second, first] and total == 2
        rows, _ = sharing.list_requests(session, approver, "inbox", "open", 1, 1, sort="oldest")
        assert [r.id for r in rows] == [second]
        assert sharing.decider_role(approver, session.get(AccessRequest, first)) == "provider"
        assert sharing.floor_policies(session.get(AccessRequest, first))["name"] == "mask"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders_in_both_languages(scene, lang):
    world, app = scene["world"], scene["app"]
    decided = world.approve(world.request()["id"])
    pending = world.request()["id"]
    consumer = _as(app, world.users["consumer"], lang)
    _form, token = _page(consumer, "/demands/new")
    demand_url = consumer.post("/demands/new", follow_redirects=False, data={
        "csrf_token": token, "title": "婚姻登记信息", "purpose": "住房公积金提取审核",
        "wanted_by": (date.today() + timedelta(days=9)).isoformat()}).headers["location"]
    approver = _as(app, world.users["approver"], lang)
    admin = _as(app, world.users["consumer_admin"], lang)
    words = {"zh": ["数据需求", "提出需求", "数据需求", "本部门的共享申请", "申请共享", "审批中", "共享授权", "授权",
                    "接口客户端", "待审批", "审批申请", "撤销授权", "重置", "提供的授权"],
             "en": ["Data demands", "File a demand", "Suggested catalog entries", "My department's access requests",
                    "Request access to", "Pending decision", "Grants", "Items and masking", "API clients",
                    "Approval inbox", "Review the request", "Revoke the grant", "Rotate the secret",
                    "Given by my department"]}[lang]
    pages = [(consumer, "/demands"), (consumer, "/demands/new"), (consumer, demand_url),
             (consumer, "/access/requests"), (consumer, f"/access/requests/new?entry_id={world.entry['id']}"),
             (consumer, f"/access/requests/{pending}"), (consumer, "/access/grants"),
             (consumer, f"/access/grants/{decided['grant_id']}"), (admin, "/access/clients"),
             (approver, "/access/inbox"), (approver, f"/access/requests/{pending}/review"),
             (approver, f"/access/grants/{decided['grant_id']}/revoke"),
             (admin, f"/access/clients/{world.client_a['id']}/rotate"), (approver, "/access/grants?side=provider")]
    for (http, url), word in zip(pages, words, strict=True):
        resp = http.get(url)
        assert resp.status_code == 200, (url, resp.text)
        assert word in text_of(resp.text), (url, word)


def test_a_citizen_has_no_sharing_pages(scene, platform):
    from govshare.orgs import service as orgs
    from govshare.orgs.schemas import UserCreate
    from tests.conftest import make_id_number

    org = platform.org(name="舟山市政务服务网")
    with session_scope() as session:
        orgs.create_user(session, UserCreate(username="citizen_" + org["short_name"], display_name="市民",
                                             org_code=org["code"], password="correct horse battery",
                                             roles=["citizen"], id_number=make_id_number()))
    citizen = _as(scene["app"], {"username": "citizen_" + org["short_name"], "password": "correct horse battery"})
    for url in ("/demands", "/access/requests", "/access/grants", "/access/clients", "/access/inbox"):
        assert citizen.get(url).status_code == 403, url
    assert 'href="/demands"' not in citizen.get("/me/record").text


def test_grants_sort_by_expiry(scene):
    world, app = scene["world"], scene["app"]
    long_grant = world.approve(world.request()["id"], duration_days=300)["grant_id"]
    short_grant = world.approve(world.request()["id"], duration_days=10)["grant_id"]
    with session_scope(read_only=True) as session:
        rows, total = sharing.list_grants(session, world.principal("consumer"), "consumer", None, None, 10, 0,
                                          sort="expires")
        assert [g.id for g in rows] == [short_grant, long_grant] and total == 2
    consumer = _as(app, world.users["consumer"])
    by_expiry = consumer.get("/access/grants?sort=expires").text
    assert by_expiry.index(short_grant) < by_expiry.index(long_grant)
    newest = consumer.get("/access/grants").text
    assert newest.index(short_grant) < newest.index(long_grant)  # filed last, shown first
    assert consumer.get("/access/grants?sort=sideways").status_code == 422


def test_a_department_does_not_request_its_own_entry(scene, platform):
    world, app = scene["world"], scene["app"]
    platform.api_client(world.provider, ["data:read"])
    admin = _as(app, world.users["provider_admin"])
    form, token = _page(admin, f"/access/requests/new?entry_id={world.entry['id']}")
    assert "does not need to request it" in text_of(form)
    client_id = re.findall(r'name="client_ids" value="([^"]+)"', form)[0]
    resp = admin.post("/access/requests/new", data={
        "csrf_token": token, "entry_id": world.entry["id"], "items": ["name"], "methods": ["lookup"],
        "client_ids": [client_id], "purpose": "自查", "duration_days": "30"})
    assert resp.status_code == 422 and "your department provides this entry" in text_of(resp.text)


def test_operator_routes_a_demand_and_only_that_department_answers(scene):
    world, app = scene["world"], scene["app"]
    consumer = _as(app, world.users["consumer"])
    _form, token = _page(consumer, "/demands/new")
    demand_url = consumer.post("/demands/new", follow_redirects=False, data={
        "csrf_token": token, "title": "交通违法信息", "purpose": "信用评价",
        "wanted_by": (date.today() + timedelta(days=9)).isoformat()}).headers["location"]
    demand_id = demand_url.rsplit("/", 1)[1]
    assert 'action="/demands/' + demand_id + '/route"' not in consumer.get(demand_url).text
    operator = _as(app, world.users["operator"])
    page, token = _page(operator, demand_url)
    assert f'action="/demands/{demand_id}/route"' in page
    assert operator.post(f"/demands/{demand_id}/route", data={"csrf_token": token, "org_code": ""}).status_code == 422
    resp = operator.post(f"/demands/{demand_id}/route", follow_redirects=False,
                         data={"csrf_token": token, "org_code": world.other_org["code"]})
    assert resp.status_code == 303
    # Routed elsewhere: the provider's approver no longer gets the answer form, and a post is refused.
    approver = _as(app, world.users["approver"])
    page, token = _page(approver, demand_url)
    assert f'action="/demands/{demand_id}/answer"' not in page and world.other_org["name"] in page
    resp = approver.post(f"/demands/{demand_id}/answer", data={"csrf_token": token, "answer": "exists",
                                                               "entry_id": world.entry["id"]})
    assert resp.status_code == 403
    assert demand_id in consumer.get("/demands?tab=open").text and demand_id not in consumer.get(
        "/demands?tab=closed").text


@pytest.mark.parametrize("share_type,status,flash", [
    ("unconditional", "approved", "granted at once"), ("none", "refused", "not shared")])
def test_unconditional_and_unshared_entries_are_decided_at_once(platform, app, share_type, status, flash):
    world = build_world(platform, app, share_type=share_type, rows=3)
    consumer = _as(app, world.users["consumer"])
    request_id = _file(consumer, world)
    assert _request(request_id).status == status
    page = text_of(consumer.get(f"/access/requests/{request_id}").text)
    assert flash in page
    if status == "approved":
        grant = _grant(_request(request_id).grant_id)
        assert grant.masking["name"] == "mask" and f"/access/grants/{grant.id}" in consumer.get(
            f"/access/requests/{request_id}").text
