"""The home dashboard, notifications and the exchange call history pages, over HTTP with a signed-in user.
Figures are checked against data made through the real APIs (requests, approvals, exchange calls)."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from govshare.core.database import session_scope, utcnow
from govshare.core.workdays import CHINA_TZ
from tests.conftest import Platform
from tests.exchange.test_history import make_calls
from tests.sharing.conftest import build_world
from tests.web.conftest import WEB_CLASS, csrf_from, sign_in, text_of


class WebPlatform(Platform):
    """Console tests file their entries under their own class (see tests/web/conftest.py)."""

    def entry(self, headers, publish=True, **overrides):
        overrides.setdefault("class_path", WEB_CLASS)
        return super().entry(headers, publish, **overrides)


@pytest.fixture()
def world(client, app):
    return build_world(WebPlatform(client), app)


def _signed_in(world, role: str):
    http = world.platform.http
    http.cookies.clear()
    sign_in(http, world.users[role])
    return http


def _figure(page: str, fig: str) -> str:
    match = re.search(rf'id="fig-{fig}">(.*?)</dd>', page, re.S)
    assert match, fig
    return text_of(match.group(1))


def test_dashboard_figures_of_the_provider(world):
    make_calls(world)
    http = _signed_in(world, "approver")
    page = http.get("/dashboard")
    assert page.status_code == 200, page.text
    html = page.text
    assert _figure(html, "entries") == "1" and _figure(html, "status-published") == "1"
    assert _figure(html, "mounted").startswith("1") and "100%" in _figure(html, "mounted")
    assert _figure(html, "served") == "6" and _figure(html, "consumed") == "0"
    assert _figure(html, "served-denied") == "2"
    # The chart's numbers, in the JSON block dashboard.js reads, and the same numbers in the table.
    data = json.loads(re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S)
                      .group(1))
    assert data["series"][0]["data"][-1] == 6 and sum(data["series"][1]["data"]) == 0
    today = utcnow().astimezone(CHINA_TZ).date().isoformat()
    table = re.search(r'id="daily-table">(.*?)</table>', html, re.S).group(1)
    assert f"{today} 6 0" in text_of(table)
    assert "echarts.min.js" in html and "dashboard.js" in html
    assert "舟山市住房公积金中心" in text_of(re.search(r'id="top-consumers">(.*?)</table>', html, re.S).group(1))
    # Every figure links to its list.
    assert "/exchange/calls?side=provider" in html and "/catalog?provider=" in html


def test_dashboard_pending_items_and_notifications(world):
    world.request()  # conditional: pending at the provider
    approver = _signed_in(world, "approver")
    page = approver.get("/dashboard").text
    tile = re.search(r'data-kind="to_approve">(.*?)</li>', page, re.S).group(1)
    assert "1" in text_of(tile) and "/access/inbox" in tile
    notes = approver.get("/notifications")
    assert notes.status_code == 200
    rows = re.search(r'id="notifications">(.*?)</table>', notes.text, re.S).group(1)
    assert "婚姻登记信息" in text_of(rows) and "/review" in rows and "舟山市住房公积金中心" in text_of(rows)
    consumer = _signed_in(world, "consumer")
    page = consumer.get("/dashboard").text
    assert "1" in text_of(re.search(r'data-kind="my_request">(.*?)</li>', page, re.S).group(1))
    assert 'data-kind="to_approve"' not in page  # not an approver
    assert consumer.get("/notifications?kind=my_request").status_code == 200
    assert consumer.get("/notifications?kind=bogus").status_code == 422


def test_dashboard_empty_states(platform, client):
    org = platform.org()
    user = platform.user(org, ["consumer"])
    sign_in(client, user)
    page = client.get("/dashboard")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "还没有目录条目" in text or "no catalog entries" in text
    assert "dashboard-data" not in page.text  # nothing to chart: no chart scripts either
    notes = client.get("/notifications")
    assert notes.status_code == 200 and 'class="empty"' in notes.text


def test_home_goes_to_the_dashboard_and_citizens_elsewhere(platform, client):
    org = platform.org()
    sign_in(client, platform.user(org, ["consumer"]))
    assert client.get("/", follow_redirects=False).headers["location"] == "/dashboard"
    nav = client.get("/dashboard").text
    assert 'href="/dashboard"' in nav and 'href="/exchange/calls"' in nav and 'href="/admin/orgs"' not in nav
    client.cookies.clear()
    assert client.get("/dashboard", follow_redirects=False).headers["location"].startswith("/login")
    assert client.get("/exchange/calls.csv", follow_redirects=False).status_code == 303


def test_call_history_page_shows_only_my_department(world):
    make_calls(world)
    consumer = _signed_in(world, "consumer")
    page = consumer.get("/exchange/calls")
    assert page.status_code == 200
    rows = re.findall(r"<tr>\s*<td data-label=", page.text)
    assert len(rows) == 4
    assert "舟山市交通运输局" not in text_of(page.text.split('id="calls"')[1])  # the other department's calls
    provider = _signed_in(world, "approver")
    assert len(re.findall(r"<tr>\s*<td data-label=", provider.get("/exchange/calls?side=provider").text)) == 6
    denied = provider.get("/exchange/calls", params={"side": "provider", "outcome": "denied"}).text
    assert len(re.findall(r"<tr>\s*<td data-label=", denied)) == 2 and "no_grant" in denied
    # Asking for another department's calls as a department user changes nothing.
    consumer = _signed_in(world, "consumer")
    page = consumer.get("/exchange/calls", params={"org": world.provider["code"], "side": "provider"})
    assert 'id="calls"' not in page.text


def test_call_history_filters_validate_next_to_the_field(world):
    http = _signed_in(world, "consumer")
    page = http.get("/exchange/calls", params={"date_from": "2026-13-01", "entry": "nope", "side": "all"})
    assert page.status_code == 422
    assert 'id="date_from-error"' in page.text and 'id="entry-error"' in page.text
    page = http.get("/exchange/calls", params={"date_from": "2026-12-02", "date_to": "2026-11-01", "side": "all"})
    assert page.status_code == 422 and 'id="date_to-error"' in page.text
    assert http.get("/exchange/calls.csv", params={"method": "delete"}).status_code == 422


def test_call_history_empty_state_and_default_window(platform, client):
    org = platform.org()
    sign_in(client, platform.user(org, ["consumer"]))
    page = client.get("/exchange/calls")
    assert page.status_code == 200 and 'class="empty"' in page.text
    assert re.search(r'name="date_from" type="date" value="\d{4}-\d{2}-\d{2}"', page.text)  # last 30 days
    start = re.search(r'name="date_from" type="date" value="([\d-]+)"', page.text).group(1)
    assert f'href="/exchange/calls.csv?date_from={start}"' in page.text  # the export has the same filters
    # Page 2 of the first visit keeps the window; a search with the start date cleared covers all time.
    assert f'value="{start}"' in client.get("/exchange/calls?page=2").text
    assert 'name="date_from" type="date" value=""' in client.get("/exchange/calls?side=all&date_from=").text


def test_csv_export_has_hashes_not_id_numbers(world):
    make_calls(world)
    http = _signed_in(world, "approver")
    resp = http.get("/exchange/calls.csv", params={"side": "provider"})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    assert "attachment" in resp.headers["content-disposition"]
    body = resp.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 1 + 6 and rows[0][0] == "时间（北京时间）"
    ids = {r[0] for r in world.rows}
    assert not any(i in body for i in ids)
    assert all(len(r[7]) >= 32 for r in rows[1:])  # the subject's keyed hash
    consumer = _signed_in(world, "consumer")
    body = consumer.get("/exchange/calls.csv", params={"side": "all"}).content.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) == 1 + 4 and "舟山市交通运输局" not in body
    other = world.platform.user(world.other_org, ["consumer"])
    http.cookies.clear()
    sign_in(http, other)
    body = http.get("/exchange/calls.csv", params={"side": "provider"}).content.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) == 1


def test_citizens_do_not_get_the_dashboard(platform, client):
    from tests.conftest import make_id_number
    from govshare.orgs import service
    from govshare.orgs.schemas import UserCreate
    org = platform.org()
    with session_scope() as session:
        user = service.create_user(session, UserCreate(username="citizen_" + org["short_name"], display_name="市民",
                                                       org_code=org["code"], password="correct horse battery",
                                                       roles=["citizen"], id_number=make_id_number()))
        citizen = {"username": user.username, "password": "correct horse battery"}
    sign_in(client, citizen)
    assert client.get("/dashboard", follow_redirects=False).headers["location"] == "/me/record"
    assert client.get("/exchange/calls").status_code == 403
    assert client.get("/notifications").status_code == 403
    assert csrf_from(client.get("/me/record").text)


@pytest.mark.parametrize("lang,words,foreign", [
    ("zh", ["首页", "调用记录", "待办通知"], ["Call history", "Notifications", "Waiting for you"]),
    ("en", ["Home", "Call history", "Notifications"], ["调用记录", "待办通知", "我的待办"]),
])
def test_pages_in_both_languages(world, lang, words, foreign):
    make_calls(world, lookups=1, misses=0, denied=1)
    http = _signed_in(world, "approver")
    http.cookies.set("gs_lang", lang)
    for url in ("/dashboard", "/notifications", "/exchange/calls"):
        resp = http.get(url)
        assert resp.status_code == 200, url
        text = text_of(resp.text)
        assert all(w in text for w in words), (url, [w for w in words if w not in text])
        assert not any(w in text for w in foreign), (url, [w for w in foreign if w in text])
    header = http.get("/exchange/calls.csv").content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("时间（北京时间）" if lang == "zh" else "Time (China)")


def test_auditors_see_every_department_and_may_pick_one(world):
    make_calls(world)
    auditor = world.platform.user(world.platform.org(), ["auditor"])
    http = world.platform.http
    http.cookies.clear()
    sign_in(http, auditor)
    entry = world.entry["code"]  # other tests' calls are in the same database
    page = http.get("/exchange/calls", params={"side": "all", "entry": entry})
    assert page.status_code == 200 and 'name="org"' in page.text  # the department filter is theirs only
    assert len(re.findall(r"<tr>\s*<td data-label=", page.text)) == 6
    page = http.get("/exchange/calls", params={"side": "consumer", "org": world.other_org["code"], "entry": entry})
    assert len(re.findall(r"<tr>\s*<td data-label=", page.text)) == 2
    body = http.get("/exchange/calls.csv", params={"org": world.consumer_org["code"], "side": "consumer",
                                                    "entry": entry}).content.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) == 1 + 4
    consumer = _signed_in(world, "consumer")
    assert 'name="org"' not in consumer.get("/exchange/calls").text
