"""The whole story in a real browser (Chromium via Playwright, against a real uvicorn):

a consumer department creates an API client, searches the catalog and files an access request; the
provider's approver approves it with masking; the consumer sees the grant; its client looks a person up;
that person, signed in as a citizen, sees the lookup in their data-access record; a member of the
public finds an open dataset and downloads it. Then every page visited is shown again in both
languages, with no English UI text left on a Chinese page.

Each page is screenshotted (test-artifacts/screenshots/story_*.png); any console error, failed request
or unexpected HTTP error fails the test (tests/browser/conftest.py).
"""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest

from tests.browser.conftest import log_in, shot, untranslated
from tests.conftest import make_id_number
from tests.mounting.conftest import HEADER as PERSON_HEADER
from tests.mounting.conftest import person_rows, to_csv
from tests.opendata.conftest import STATION_HEADER, STATION_ROWS, station_items
from tests.opendata.conftest import to_csv as stations_csv

STORY_CLASS = ["浏览器测试", "人口", "户籍"]


@pytest.fixture()
def world(platform):
    """Provider (police) with a person entry holding the citizen's row and an open dataset; a consumer
    department (housing fund) with a console user; a citizen account; all through the service layer."""
    from govshare.core.database import session_scope
    from govshare.orgs import service as orgs
    from govshare.orgs.schemas import UserCreate

    provider = platform.org(name="舟山市公安局（浏览器测试）")
    headers = platform.headers(provider, ["catalog:write", "data:write", "data:read"])
    persons = platform.entry(headers, name="户籍人口基本信息（浏览器测试）", summary="本市户籍人口的基本信息",
                             class_path=STORY_CLASS, share_methods=["api"])
    citizen_id = make_id_number(birth="19850312", seq=417)
    rows = person_rows(5)
    rows[0][0] = citizen_id
    resp = platform.http.put(f"/api/v1/catalog/entries/{persons['id']}/data", params={"mode": "replace",
                             "filename": "persons.csv"}, content=to_csv(rows, PERSON_HEADER), headers=headers)
    assert resp.status_code == 200, resp.text
    stations = platform.entry(
        headers, name="公共自行车站点（浏览器测试）", summary="全市公共自行车站点的位置和车桩数", category="theme",
        class_path=["浏览器测试", "交通", "公共自行车"], format="spreadsheet", share_type="unconditional",
        share_condition=None, share_methods=["api", "file"], open_type="open", update_cycle="daily",
        items=station_items())
    resp = platform.http.put(f"/api/v1/catalog/entries/{stations['id']}/data", params={"mode": "replace",
                             "filename": "stations.csv"}, content=stations_csv(STATION_HEADER, STATION_ROWS),
                             headers=headers)
    assert resp.status_code == 200, resp.text
    consumer = platform.org(name="舟山市住房公积金管理中心（浏览器测试）")
    with session_scope() as session:
        orgs.create_user(session, UserCreate(username="story_citizen", display_name="市民甲", org_code=provider["code"],
                                             password="citizen password 1", roles=["citizen"], id_number=citizen_id))
    return {
        "provider": provider, "persons": persons, "stations": stations, "consumer": consumer,
        "citizen_id": citizen_id,
        "approver": platform.user(provider, ["approver"]),
        "clerk": platform.user(consumer, ["consumer", "org_admin"]),
        "citizen": {"username": "story_citizen", "password": "citizen password 1"},
    }


def test_the_whole_story(world, new_page, live_server):
    visited: dict[str, list[str]] = {"clerk": [], "approver": [], "citizen": [], "public": []}

    def visit(role: str, page, name: str) -> None:
        page.wait_for_load_state("networkidle")
        shot(page, f"story_{name}")
        assert untranslated(page) == [], (name, page.url)
        path = re.sub(r"^https?://[^/]+", "", page.url)
        # A decided request's review page answers 409 afterwards: the request's own page stands for it.
        path = path.removesuffix("/review")
        if path not in visited[role]:
            visited[role].append(path)

    persons, stations = world["persons"], world["stations"]

    # 1. The consumer's clerk creates an API client: the secret is shown once.
    clerk = new_page()
    log_in(clerk, world["clerk"])
    visit("clerk", clerk, "01_dashboard")
    clerk.goto("/access/clients")
    visit("clerk", clerk, "02_clients")
    clerk.fill("input[name=name]", "公积金提取核验系统")
    clerk.check("input[name=scopes][value='data:read']")
    clerk.locator("form[action='/access/clients'] button[type=submit]").click()
    clerk.wait_for_load_state("networkidle")
    secret = clerk.locator("#client-secret").inner_text().strip()
    client_id = clerk.locator("main dd.mono").first.inner_text().strip()
    visit("clerk", clerk, "03_client_created")
    assert secret and client_id

    # 2. It searches the catalog, opens the entry and files an access request naming that client.
    clerk.goto("/catalog")
    clerk.fill("input[name=q]", "户籍人口基本信息")
    clerk.locator("input[name=q]").press("Enter")
    clerk.wait_for_load_state("networkidle")
    visit("clerk", clerk, "04_catalog_search")
    clerk.locator(f"a[href='/catalog/{persons['id']}']").first.click()
    visit("clerk", clerk, "05_entry")
    clerk.locator("a[href^='/access/requests/new']").first.click()
    clerk.wait_for_load_state("networkidle")
    visit("clerk", clerk, "06_request_form")
    for item in ("id_number", "name", "birth_date"):
        clerk.check(f"input[name=items][value='{item}']")
    clerk.check("input[name=methods][value='lookup']")
    clerk.check(f"input[name=client_ids][value='{client_id}']")
    clerk.fill("textarea[name=purpose], input[name=purpose]", "办理住房公积金提取时核验申请人户籍信息")
    clerk.fill("textarea[name=legal_basis], input[name=legal_basis]", "《住房公积金管理条例》")
    clerk.locator("form[action^='/access/requests'] button[type=submit]").last.click()
    clerk.wait_for_load_state("networkidle")
    visit("clerk", clerk, "07_request_filed")
    request_id = re.search(r"/access/requests/([A-Za-z0-9_-]+)", clerk.url).group(1)
    assert "审批中" in clerk.inner_text("main")

    # 3. The provider's approver finds it in the inbox and approves it, masking the name.
    approver = new_page()
    log_in(approver, world["approver"])
    approver.goto("/access/inbox")
    visit("approver", approver, "08_inbox")
    approver.locator(f"a[href='/access/requests/{request_id}/review']").click()
    visit("approver", approver, "09_review")
    approver.select_option("#mask-name", "name=mask")
    approver.locator(f"form[action='/access/requests/{request_id}/approve'] button[type=submit]").click()
    approver.wait_for_load_state("networkidle")
    visit("approver", approver, "10_approved")
    assert "已批准" in approver.inner_text("main")

    # 4. The clerk sees the grant.
    clerk.goto("/access/grants")
    visit("clerk", clerk, "11_grants")
    grants = clerk.inner_text("main")
    assert persons["name"] in grants and "有效" in grants

    # 5. The client looks the citizen up: the name comes back masked, with a ledger receipt.
    token = httpx.post(f"{live_server}/oauth/token", data={"grant_type": "client_credentials",
                       "client_id": client_id, "client_secret": secret}).json()["access_token"]
    found = httpx.get(f"{live_server}/api/v1/data/{persons['id']}/records", params={"id_number": world["citizen_id"]},
                      headers={"Authorization": f"Bearer {token}"})
    assert found.status_code == 200, found.text
    record = found.json()["records"][0]
    assert "*" in record["name"] and "GovShare-Receipt" in found.headers
    assert "mobile" not in record  # narrowed to what was asked for

    # 6. The citizen sees that lookup in their data-access record.
    citizen = new_page()
    log_in(citizen, world["citizen"])
    citizen.goto("/me/record")
    visit("citizen", citizen, "12_citizen_record")
    record_text = citizen.inner_text("main")
    assert world["consumer"]["name"] in record_text and persons["name"] in record_text

    # 7. A member of the public finds the open dataset and downloads it: no personal data in it.
    public = new_page()
    public.goto("/opendata")
    visit("public", public, "13_opendata")
    public.fill("input[name=q]", "公共自行车")
    public.locator("input[name=q]").press("Enter")
    public.wait_for_load_state("networkidle")
    visit("public", public, "14_opendata_search")
    public.locator("a[href^='/opendata/datasets/']", has_text=stations["name"]).first.click()
    visit("public", public, "15_dataset")
    with public.expect_download() as download:
        public.locator("a[href$='/download.csv']").click()
    body = open(download.value.path(), encoding="utf-8-sig").read()
    table = list(csv.reader(io.StringIO(body)))
    assert len(table) == 1 + len(STATION_ROWS) or len(table) == 2 + len(STATION_ROWS)
    assert "manager_mobile" not in table[0] and "13800000001" not in body
    assert "定海文化广场站" in body and "环城南路" not in body  # the address generalised to its district

    # 8. Every page visited, again in English and in Chinese: no missing translation, English UI in English.
    for role, paths in visited.items():
        for lang in ("en", "zh"):
            page = new_page(lang=lang)
            page.context.add_cookies([{"name": "gs_lang", "value": lang, "url": live_server}])
            if role != "public":
                log_in(page, world[role])
            for path in paths:
                page.goto(path)
                page.wait_for_load_state("networkidle")
                shot(page, f"story_{lang}_{role}_{path.strip('/').replace('/', '_') or 'home'}")
                text = page.inner_text("body")
                if lang == "zh":
                    assert untranslated(page) == [], (role, path)
                else:
                    assert re.search(r"Sign out|Sign in|Open data|Datasets", text), (role, path)
            page.context.close()

