"""Console catalog page: facets with counts from the search index, filtering by a facet and back,
sort orders, and the facet counts of the service."""

from __future__ import annotations

import re

import pytest

from govshare.catalog import service as catalog
from govshare.core.database import session_scope
from tests.web.conftest import sign_in, text_of


@pytest.fixture()
def world(clean_db, platform):
    mz, mz_headers = platform.provider()
    bdc, bdc_headers = platform.provider()
    entries = {
        "marriage": platform.entry(mz_headers, name="婚姻登记信息", summary="结婚登记、离婚登记办理结果",
                                   class_path=["民政", "婚姻"], update_cycle="daily"),
        "adoption": platform.entry(mz_headers, name="收养登记信息", summary="收养关系成立与解除登记",
                                   class_path=["民政", "收养"], update_cycle="monthly", format="spreadsheet"),
        "estate": platform.entry(bdc_headers, name="不动产登记信息", summary="房屋、土地等不动产的权利人",
                                 class_path=["自然资源", "不动产"], share_type="unconditional", share_condition=None,
                                 category="base"),
        "draft": platform.entry(mz_headers, publish=False, name="殡葬登记草稿", summary="草稿", class_path=["民政", "殡葬"]),
    }
    viewer = platform.user(mz, ["consumer"])
    sign_in(platform.http, viewer)
    return {"mz": mz, "bdc": bdc, "entries": entries}


def _rows(page: str) -> list[str]:
    return re.findall(r'class="entry-name">([^<]+)</a>', page)


def _facet(page: str, name: str) -> dict[str, tuple[int, str, bool]]:
    """One facet's values: text -> (count, href, selected)."""
    start = page.index(f'aria-label="{name}"')
    section = page[start:page.index("</section>", start)]
    out = {}
    for href, rest, text, count in re.findall(
            r'<a href="([^"]+)"([^>]*)><span class="facet-text">([^<]+)</span> <span class="facet-count">([\d,]+)</span>',
            section):
        out[text] = (int(count.replace(",", "")), href.replace("&amp;", "&"), "facet-selected" in rest)
    return out


def test_facets_show_counts_of_published_entries(client, world):
    page = client.get("/catalog").text
    assert _facet(page, "共享类型")["有条件共享"][0] == 2
    assert _facet(page, "共享类型")["无条件共享"][0] == 1
    assert {k: v[0] for k, v in _facet(page, "资源分类").items()} == {"部门信息资源": 2, "基础信息资源": 1}
    providers = {k: v[0] for k, v in _facet(page, "提供部门").items()}
    assert providers == {world["mz"]["name"]: 2, world["bdc"]["name"]: 1}  # the draft is not counted
    assert {k: v[0] for k, v in _facet(page, "更新周期").items()} == {"每日": 2, "每月": 1}
    assert {k: v[0] for k, v in _facet(page, "资源格式").items()} == {"数据库": 2, "电子表格": 1}
    assert {k: v[0] for k, v in _facet(page, "类目").items()} == {"民政": 2, "自然资源": 1}


def test_clicking_a_facet_filters_and_clicking_again_unfilters(client, world):
    page = client.get("/catalog").text
    count, href, selected = _facet(page, "更新周期")["每月"]
    assert not selected and "update_cycle=monthly" in href
    filtered = client.get(href).text
    assert _rows(filtered) == ["收养登记信息"]
    count, back, selected = _facet(filtered, "更新周期")["每月"]
    assert selected and "update_cycle" not in back
    # Other facets now count within the filter; the chosen facet still shows its alternatives.
    assert {k: v[0] for k, v in _facet(filtered, "提供部门").items()} == {world["mz"]["name"]: 1}
    assert _facet(filtered, "更新周期")["每日"][0] == 2
    assert sorted(_rows(client.get(back).text)) == sorted(["婚姻登记信息", "收养登记信息", "不动产登记信息"])
    # A department facet filters by its credit code, the classification facet by the class code.
    _, href, _ = _facet(page, "提供部门")[world["bdc"]["name"]]
    assert _rows(client.get(href).text) == ["不动产登记信息"]
    _, href, _ = _facet(page, "类目")["民政"]
    assert re.search(r"class_code=\d{3}", href)
    assert sorted(_rows(client.get(href).text)) == ["婚姻登记信息", "收养登记信息"]


def test_facets_follow_the_search_text(client, world):
    page = client.get("/catalog", params={"q": "登记"}).text
    assert _facet(page, "共享类型")["有条件共享"][0] == 2
    page = client.get("/catalog", params={"q": "不动产"}).text
    assert _rows(page) == ["不动产登记信息"]
    assert {k: v[0] for k, v in _facet(page, "共享类型").items()} == {"无条件共享": 1}
    # Facet links keep the search text.
    _, href, _ = _facet(page, "共享类型")["无条件共享"]
    assert "q=%E4%B8%8D%E5%8A%A8%E4%BA%A7" in href


def test_sort_by_name_and_by_update(client, platform, world):
    by_name = _rows(client.get("/catalog", params={"sort": "name"}).text)
    assert by_name == sorted(by_name)
    # Change one entry: it comes first when sorted by update, with or without a search text.
    headers = platform.headers(world["mz"], ["catalog:write"])
    resp = client.patch(f"/api/v1/catalog/entries/{world['entries']['marriage']['id']}", headers=headers,
                        json={"summary": "结婚登记、离婚登记办理结果（含补发）"})
    assert resp.status_code == 200, resp.text
    assert _rows(client.get("/catalog", params={"sort": "updated"}).text)[0] == "婚姻登记信息"
    assert _rows(client.get("/catalog", params={"sort": "updated", "q": "登记"}).text)[0] == "婚姻登记信息"
    assert _rows(client.get("/catalog", params={"sort": "name", "q": "登记"}).text) == \
        sorted(["婚姻登记信息", "收养登记信息", "不动产登记信息"])
    assert client.get("/catalog", params={"sort": "random"}).status_code == 422
    # The chosen order is kept in the select.
    assert '<option value="updated" selected>' in client.get("/catalog", params={"sort": "updated"}).text


def test_facet_counts_service_counts_drafts_for_their_department_only(world):
    from govshare.orgs.service import Principal

    def admin(org):
        return Principal(kind="user", id="u-" + org["id"], name="t", org_id=org["id"], org_code=org["code"],
                         roles=frozenset({"org_admin"}))
    with session_scope(read_only=True) as session:
        own = catalog.facet_counts(session, catalog.SearchFilters(status="draft"), admin(world["mz"]))
        assert [(f.value, f.count) for f in own["cat"]] == [("department", 1)]
        assert [(f.label, f.count) for f in own["prov"]] == [(world["mz"]["name"], 1)]
        other = catalog.facet_counts(session, catalog.SearchFilters(status="draft"), admin(world["bdc"]))
        assert other["cat"] == [] and other["prov"] == []
        # With a search text: counts of the matches only.
        found = catalog.facet_counts(session, catalog.SearchFilters(q="收养"), admin(world["bdc"]))
        assert [(f.value, f.count) for f in found["cycle"]] == [("monthly", 1)]
        assert catalog.facet_counts(session, catalog.SearchFilters(q="火星"), admin(world["bdc"]))["cat"] == []


def test_empty_catalog_invites_a_writer_to_create(client, clean_db, platform):
    org = platform.org()
    sign_in(client, platform.user(org, ["org_admin"]))
    page = client.get("/catalog").text
    assert "新建目录条目" in text_of(page) and 'href="/catalog/new"' in page


def test_facet_counts_follow_every_catalog_change(client, platform, world):
    """Counts are cached per catalog generation: a change anywhere (here: through the API, as another
    process would) shows at once."""
    page = client.get("/catalog").text
    assert _facet(page, "共享类型")["无条件共享"][0] == 1
    _, headers = world["bdc"], platform.headers(world["bdc"], ["catalog:write"])
    platform.entry(headers, name="不动产抵押信息", summary="抵押登记", class_path=["自然资源", "不动产"],
                   share_type="unconditional", share_condition=None)
    assert _facet(client.get("/catalog").text, "共享类型")["无条件共享"][0] == 2
    resp = client.post(f"/api/v1/catalog/entries/{world['entries']['estate']['id']}/withdraw", headers=headers,
                       json={"reason": "合并到不动产抵押信息"})
    assert resp.status_code == 200, resp.text
    assert _facet(client.get("/catalog").text, "共享类型")["无条件共享"][0] == 1


def test_facets_stay_within_their_time_budget(client, world, monkeypatch):
    """Counting stops when the page's budget is spent; a partial answer is shown, never kept."""
    monkeypatch.setattr(catalog, "FACET_TIME_BUDGET", -1.0)
    page = client.get("/catalog", params={"q": "登记信息"})
    assert page.status_code == 200 and len(_rows(page.text)) == 3
    assert 'class="card facets"' not in page.text
    monkeypatch.setattr(catalog, "FACET_TIME_BUDGET", 10.0)
    assert _facet(client.get("/catalog", params={"q": "登记信息"}).text, "共享类型")["有条件共享"][0] == 2
