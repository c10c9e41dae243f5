"""Console catalog: browse, Chinese search, filters, paging, the entry page, escaping, error pages."""

from __future__ import annotations

import re

import pytest

from tests.conftest import person_items
from tests.web.conftest import WEB_CLASS, sign_in, text_of


@pytest.fixture()
def catalog(clean_db, platform):
    mz, mz_headers = platform.provider()
    bdc, bdc_headers = platform.provider()
    entries = {
        "marriage": platform.entry(mz_headers, name="婚姻登记信息", summary="结婚登记、离婚登记办理结果",
                                   class_path=["民政", "婚姻", "结婚离婚登记"]),
        "adoption": platform.entry(mz_headers, name="收养登记信息", summary="收养关系成立与解除登记",
                                   class_path=["民政", "收养"]),
        "estate": platform.entry(bdc_headers, name="不动产权属信息", summary="房屋、土地等不动产的权利人与权属状况",
                                 class_path=["自然资源", "不动产"], share_type="unconditional", share_condition=None),
        "parking": platform.entry(bdc_headers, name="公共停车场名录", summary="全市公共停车场位置与泊位",
                                  open_type="open", class_path=["交通", "停车"],
                                  items=[{"name": "lot_id", "label": "停车场编号", "data_type": "C", "is_key": True}]),
        "draft": platform.entry(mz_headers, publish=False, name="殡葬服务草稿", summary="草稿",
                                class_path=["民政", "殡葬"]),
    }
    viewer = platform.user(mz, ["consumer"])
    sign_in(platform.http, viewer)
    return {"entries": entries, "mz": (mz, mz_headers), "bdc": (bdc, bdc_headers), "viewer": viewer,
            "bdc_viewer": platform.user(bdc, ["consumer"])}


def _rows(page: str) -> list[str]:
    """Entry names listed in the results table, in order."""
    return re.findall(r'class="entry-name">([^<]+)</a>', page)


def test_browse_lists_published_entries_with_provider_share_type_and_mount_state(client, catalog):
    page = client.get("/catalog")
    assert page.status_code == 200
    assert sorted(_rows(page.text)) == sorted(["婚姻登记信息", "收养登记信息", "不动产权属信息", "公共停车场名录"])
    text = text_of(page.text)
    assert catalog["entries"]["marriage"]["code"] in text
    assert catalog["mz"][0]["name"] in text
    assert "有条件共享" in text and "无条件共享" in text and "未挂接" in text
    assert "共 4 条" in text


def test_chinese_search_shows_the_right_entries(client, catalog):
    assert _rows(client.get("/catalog", params={"q": "婚姻"}).text) == ["婚姻登记信息"]
    assert _rows(client.get("/catalog", params={"q": "不动产 权属"}).text) == ["不动产权属信息"]
    assert set(_rows(client.get("/catalog", params={"q": "登记"}).text)[:2]) == {"婚姻登记信息", "收养登记信息"}
    assert _rows(client.get("/catalog", params={"q": "停车场编号"}).text) == ["公共停车场名录"]  # an item label
    none = client.get("/catalog", params={"q": "火星移民"})
    assert none.status_code == 200 and _rows(none.text) == []
    assert "没有符合条件的目录条目" in text_of(none.text)
    # The query is kept in the search box.
    assert 'value="火星移民"' in none.text


def test_filters(client, catalog):
    bdc = catalog["bdc"][0]
    assert sorted(_rows(client.get("/catalog", params={"provider": bdc["code"]}).text)) == \
        ["不动产权属信息", "公共停车场名录"]
    assert _rows(client.get("/catalog", params={"share_type": "unconditional"}).text) == ["不动产权属信息"]
    assert _rows(client.get("/catalog", params={"open_type": "open"}).text) == ["公共停车场名录"]
    assert _rows(client.get("/catalog", params={"mounted": "yes"}).text) == []
    assert len(_rows(client.get("/catalog", params={"mounted": "no"}).text)) == 4
    # Empty selects (how a browser submits "all") mean no filter.
    everything = client.get("/catalog", params={"q": "", "provider": "", "category": "", "share_type": "",
                                                "open_type": "", "mounted": "", "status": ""})
    assert len(_rows(everything.text)) == 4
    # The provider dropdown lists departments; the chosen one stays selected.
    page = client.get("/catalog", params={"provider": bdc["code"]}).text
    assert f'<option value="{bdc["code"]}" selected>' in page
    # Drafts: only the provider's own, through the status filter.
    assert _rows(client.get("/catalog", params={"status": "draft"}).text) == ["殡葬服务草稿"]
    bad = client.get("/catalog", params={"share_type": "everything"})
    assert bad.status_code == 422 and "text/html" in bad.headers["content-type"]
    assert "输入有误" in text_of(bad.text)
    assert client.get("/catalog", params={"page": "0"}).status_code == 422


def test_paging_keeps_filters(client, platform, catalog):
    _, headers = catalog["bdc"]
    for i in range(21):
        platform.entry(headers, name=f"批量条目{i:02d}", summary="分页测试", class_path=["测试", "分页"])
    first = client.get("/catalog", params={"q": "分页测试"})
    assert len(_rows(first.text)) == 20
    text = text_of(first.text)
    assert "共 21 条" in text and "第 1 / 2 页" in text
    assert 'href="/catalog?q=%E5%88%86%E9%A1%B5%E6%B5%8B%E8%AF%95&amp;page=2"' in first.text
    second = client.get("/catalog", params={"q": "分页测试", "page": 2})
    assert len(_rows(second.text)) == 1 and not set(_rows(second.text)) & set(_rows(first.text))
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    beyond = client.get("/catalog", params={"q": "分页测试", "page": 9})
    assert beyond.status_code == 200 and "超出了结果范围" in text_of(beyond.text)
    assert 'href="/catalog?q=%E5%88%86%E9%A1%B5%E6%B5%8B%E8%AF%95&amp;page=2">' in beyond.text  # the last page


def test_unexpected_failure_is_a_500_page(client, catalog, monkeypatch):
    from govshare.catalog import service

    def broken(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(service, "search_entries", broken)
    resp = client.get("/catalog")
    assert resp.status_code == 500 and "text/html" in resp.headers["content-type"]
    assert "服务器出现错误" in text_of(resp.text) and "boom" not in resp.text


def test_empty_catalog_explains_what_to_do(client, clean_db, platform):
    org = platform.org()
    sign_in(client, platform.user(org, ["consumer"]))
    text = text_of(client.get("/catalog").text)
    assert "目录中还没有已发布的条目" in text and "发布" in text


def test_entry_page_shows_metadata_items_mount_state_and_versions(client, catalog):
    _, headers = catalog["mz"]
    entry = catalog["entries"]["marriage"]
    resp = client.patch(f"/api/v1/catalog/entries/{entry['id']}", headers=headers,
                        json={"name": "婚姻关系登记信息", "update_cycle": "weekly", "note": "按民政部口径更名"})
    assert resp.status_code == 200, resp.text
    page = client.get(f"/catalog/{entry['id']}")
    assert page.status_code == 200
    text = text_of(page.text)
    # Metadata with translated labels.
    for expected in ("婚姻关系登记信息", entry["code"], "部门信息资源", "民政 / 婚姻 / 结婚离婚登记", "数据库", "有条件共享",
                     "仅限办理住房公积金提取业务使用", "接口, 批量（数据库）", "不予开放", "每周"):
        assert expected in text, expected
    # Items: identifier, label, type, length, key, sensitivity, personal information kind.
    for item in person_items():
        assert item["name"] in text and item["label"] in text
    assert "字符型" in text and "日期型" in text and "货币型" in text and "主键" in text
    assert "重要数据" in text and "公民身份号码" in text and "手机号码" in text
    # Mount state.
    assert "未挂接" in text and "尚未挂接数据" in text
    # Versions: newest first, with who, the note and the diff as field: old → new.
    assert "按民政部口径更名" in text
    assert re.search(r"名称 ?: 婚姻登记信息 → (改为 )?婚姻关系登记信息", text)
    assert re.search(r"更新周期 ?: 每日 → (改为 )?每周", text)
    assert "首个版本" in text
    assert text.index("按民政部口径更名") < text.index("首个版本")
    # A consumer of another department sees no upload form.
    assert "上传并载入" not in text and 'enctype="multipart/form-data"' not in page.text


def test_unknown_and_invisible_entries_are_404_pages(client, catalog):
    missing = client.get("/catalog/e-does-not-exist")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    assert "该目录条目不存在" in text_of(missing.text)
    # Another department's draft is as invisible as a missing entry.
    draft = catalog["entries"]["draft"]
    assert client.get(f"/catalog/{draft['id']}").status_code == 200  # own department's draft
    client.cookies.clear()
    sign_in(client, catalog["bdc_viewer"])
    assert client.get(f"/catalog/{draft['id']}").status_code == 404


def test_user_text_is_escaped(client, platform, clean_db):
    org, headers = platform.provider()
    hostile = "<script>alert('x')</script>"
    entry = platform.entry(headers, name=hostile[:50], summary='"><img src=x onerror=alert(1)>',
                           share_condition="<b>仅限</b>", class_path=WEB_CLASS)
    sign_in(client, platform.user(org, ["org_admin"]))
    for url in ("/catalog", f"/catalog/{entry['id']}", "/catalog?q=" + "script"):
        page = client.get(url).text
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>仅限" not in page, url
    page = client.get(f"/catalog/{entry['id']}").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "&lt;b&gt;仅限&lt;/b&gt;" in page
    # A search text is echoed escaped too.
    page = client.get("/catalog", params={"q": '"><script>alert(2)</script>'}).text
    assert "<script>alert(2)" not in page and "&#34;&gt;&lt;script&gt;" in page


def test_version_diff_lines_are_translated():
    from govshare.web.pages import describe_change
    added = describe_change("zh", {"field": "items.pay_month", "old": None,
                                   "new": {"name": "pay_month", "label": "缴费年月", "data_type": "C"}})
    assert added == {"field": "信息项 pay_month", "old": "—", "new": "缴费年月 (pay_month, 字符型)"}
    changed = describe_change("zh", {"field": "items.mobile.sensitivity", "old": "general", "new": "important"})
    assert changed == {"field": "信息项 mobile · 数据分级", "old": "一般数据", "new": "重要数据"}
    methods = describe_change("en", {"field": "share_methods", "old": ["api"], "new": ["api", "file"]})
    assert methods == {"field": "Share methods", "old": "API", "new": "API, File"}
    flag = describe_change("zh", {"field": "items.name.required", "old": False, "new": True})
    assert (flag["old"], flag["new"]) == ("否", "是")
