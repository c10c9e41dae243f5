"""Every console page and every open data page, for each role, in Chinese and in English at 1280 px,
and in Chinese on a phone (390 px): the page loads with no console error, failed request or error status; a
Chinese page shows no English UI text (a missing translation); an English page is in English; on
the phone nothing is wider than the screen except inside a horizontally scrolling table.

Pages are found the way a user finds them: the navigation of each role, plus the pages those link to
that a role works in (an entry, its edit form, a request's review, a demand, a user, ...).
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import log_in, shot, untranslated
from tests.opendata.conftest import STATION_HEADER, STATION_ROWS, station_items
from tests.opendata.conftest import to_csv as stations_csv

CLASS = ["浏览器巡检", "人口", "户籍"]

# What the browser may scroll sideways: wide tables sit in a scrolling wrapper.
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    let scroller = el.parentElement, clipped = false;
    while (scroller && scroller !== document.body) {
      const style = getComputedStyle(scroller);
      if (['auto', 'scroll', 'hidden'].includes(style.overflowX)) { clipped = true; break; }
      scroller = scroller.parentElement;
    }
    if (!clipped) wide.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
  }
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5)};
}"""


@pytest.fixture()
def city(platform):
    """A provider and a consumer with every role, an entry with data and a version, an open dataset, a
    pending request, a demand and a grant; through the API and the service layer."""
    from govshare.core.database import session_scope
    from govshare.orgs import service as orgs
    from govshare.orgs.schemas import UserCreate
    from tests.conftest import make_id_number
    from tests.mounting.conftest import HEADER, person_rows, to_csv

    provider = platform.org(name="舟山市民政局（巡检）")
    headers = platform.headers(provider, ["catalog:write", "data:write", "data:read"])
    entry = platform.entry(headers, name="婚姻登记信息（巡检）", class_path=CLASS)
    http = platform.http
    assert http.put(f"/api/v1/catalog/entries/{entry['id']}/data", params={"mode": "replace", "filename": "p.csv"},
                    content=to_csv(person_rows(4), HEADER), headers=headers).status_code == 200
    assert http.patch(f"/api/v1/catalog/entries/{entry['id']}", json={"summary": "本市婚姻登记信息（修订）"},
                      headers=headers).status_code == 200
    draft = platform.entry(headers, publish=False, name="殡葬服务记录（巡检）", class_path=CLASS)
    stations = platform.entry(
        headers, name="公共自行车站点（巡检）", summary="全市公共自行车站点", category="theme",
        class_path=["浏览器巡检", "交通", "公共自行车"], format="spreadsheet", share_type="unconditional",
        share_condition=None, share_methods=["api", "file"], open_type="open", update_cycle="daily",
        items=station_items())
    assert http.put(f"/api/v1/catalog/entries/{stations['id']}/data", params={"mode": "replace", "filename": "s.csv"},
                    content=stations_csv(STATION_HEADER, STATION_ROWS), headers=headers).status_code == 200
    consumer = platform.org(name="舟山市住房公积金管理中心（巡检）")
    client = platform.api_client(consumer, ["data:read"])
    auth = {"Authorization": "Bearer " + platform.token(client)}
    filed = http.post("/api/v1/access-requests", headers=auth, json={
        "entry_id": entry["id"], "items": ["id_number", "name"], "methods": ["lookup"], "purpose": "住房公积金提取核验"})
    assert filed.status_code == 201, filed.text
    consumer_user = platform.user(consumer, ["consumer", "org_admin"])
    with session_scope() as session:
        from govshare.orgs.models import User
        from govshare.sharing import demands
        from govshare.sharing.schemas import DemandCreate
        principal = orgs.user_principal(session.get(User, consumer_user["id"]))
        demand = {"id": demands.create_demand(session, DemandCreate(
            title="需要不动产登记信息", description="办理住房公积金贷款时核验房产", purpose="公积金贷款",
            wanted_by="2027-03-31"), principal).id}
    operator = platform.org(name="舟山市大数据发展管理局（巡检）")
    citizen = "patrol_citizen_" + consumer["id"][-6:]
    with session_scope() as session:
        orgs.create_user(session, UserCreate(username=citizen, display_name="市民乙", org_code=operator["code"],
                                             password="citizen password 2", roles=["citizen"],
                                             id_number=make_id_number(birth="19900101", seq=12)))
    return {
        "entry": entry, "draft": draft, "stations": stations, "request": filed.json(), "demand": demand, "provider": provider,
        "users": {
            "provider_admin": platform.user(provider, ["org_admin"]),
            "approver": platform.user(provider, ["approver"]),
            "security_officer": platform.user(provider, ["security_officer"]),
            "consumer": consumer_user,
            "auditor": platform.user(operator, ["auditor"]),
            "operator": platform.user(operator, ["platform_admin"]),
            "citizen": {"username": citizen, "password": "citizen password 2"},
        },
    }


def extra_pages(city: dict) -> dict[str, list[str]]:
    """Pages each role works in beyond its navigation."""
    entry, request, demand = city["entry"]["id"], city["request"]["id"], city["demand"]["id"]
    return {
        "provider_admin": [f"/catalog/{entry}", "/catalog/new", f"/catalog/{entry}/edit",
                           f"/catalog/{city['draft']['id']}/publish",
                           f"/catalog/{entry}/withdraw", f"/catalog/{entry}/versions/2", f"/catalog/{entry}/source",
                           "/demands/new", f"/demands/{demand}", "/access/grants?side=provider"],
        "approver": ["/access/inbox", f"/access/requests/{request}/review", f"/access/requests/{request}"],
        "consumer": [f"/access/requests/new?entry_id={entry}", f"/access/requests/{request}", "/demands/new",
                     f"/demands/{demand}"],
        "security_officer": ["/alerts"],
        "auditor": ["/audit/trace"],
        "operator": ["/admin/users", "/admin/arbitration", "/admin/overdue", "/admin/settings"],
        "citizen": ["/me/record"],
        "public": ["/opendata", "/opendata/organizations", f"/opendata/organizations/{city['provider']['code']}",
                   "/opendata/datasets/" + city["stations"]["code"].replace("/", "-"), "/login"],
    }


def nav_links(page) -> list[str]:
    return [h for h in page.eval_on_selector_all("nav.nav a", "els => els.map(e => e.getAttribute('href'))") if h]


@pytest.mark.parametrize("role", ["provider_admin", "approver", "security_officer", "consumer", "auditor", "operator",
                                  "citizen", "public"])
def test_every_page_in_both_languages_and_on_a_phone(city, new_page, live_server, role):
    user = city["users"].get(role)
    seen: list[str] = []
    # Layout does not depend much on the language: the phone pass is in Chinese only.
    for lang, width, height, device in (("zh", 1280, 900, "desktop"), ("zh", 390, 844, "phone"),
                                        ("en", 1280, 900, "desktop")):
        page = new_page(lang=lang, width=width, height=height)
        page.context.add_cookies([{"name": "gs_lang", "value": lang, "url": live_server}])
        if user:
            log_in(page, user)
        paths = list(dict.fromkeys((nav_links(page) if user else []) + extra_pages(city)[role]))
        for path in paths:
            response = page.goto(path)  # waits for the load event: scripts (charts) have run
            assert response.status == 200, (role, path, response.status)
            name = f"page_{role}_{lang}_{device}_{re.sub(r'[^A-Za-z0-9]+', '_', path.strip('/')) or 'home'}"
            shot(page, name)
            body = page.inner_text("body")
            if lang == "zh":
                assert untranslated(page) == [], (role, path)
                assert "退出登录" in body or not user
            else:
                assert "Sign out" in body or not user, (role, path)
            if device == "phone":
                layout = page.evaluate(OVERFLOW_JS)
                assert layout["scroll"] <= layout["width"] + 1 and not layout["wide"], (role, path, layout)
            seen.append(path)
        page.context.close()
    assert seen
