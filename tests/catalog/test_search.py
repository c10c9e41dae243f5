"""Catalog search with Chinese queries: matching names, summaries and item labels, ranking, filters."""

from __future__ import annotations

import pytest

from tests.conftest import person_items


@pytest.fixture()
def searchable(clean_db, platform):
    mz, mz_headers = platform.provider()
    bdc, bdc_headers = platform.provider()
    rs, rs_headers = platform.provider()
    entries = {
        "marriage": platform.entry(mz_headers, name="婚姻登记信息", summary="结婚登记、离婚登记办理结果"),
        "adoption": platform.entry(mz_headers, name="收养登记信息", summary="收养关系成立与解除登记",
                                   class_path=["民政", "收养"]),
        "estate": platform.entry(bdc_headers, name="不动产权属信息", summary="房屋、土地等不动产的权利人与权属状况",
                                 class_path=["自然资源", "不动产"], share_type="unconditional", share_condition=None),
        "social": platform.entry(rs_headers, name="社会保险个人参保信息",
                                 summary="参保人员的社保缴费记录与参保状态", class_path=["人社", "社保"],
                                 items=person_items() + [{"name": "pay_month", "label": "缴费年月", "data_type": "C"}]),
        "draft": platform.entry(rs_headers, publish=False, name="社保缴费草稿", summary="草稿不应被搜到"),
        "open": platform.entry(bdc_headers, name="公共停车场名录", summary="全市公共停车场位置与泊位",
                               open_type="open", class_path=["交通", "停车"],
                               items=[{"name": "lot_id", "label": "停车场编号", "data_type": "C", "is_key": True}]),
    }
    return {"entries": entries, "mz": (mz, mz_headers), "bdc": (bdc, bdc_headers), "rs": (rs, rs_headers)}


def _search(client, headers, **params):
    resp = client.get("/api/v1/catalog/entries", params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _names(result):
    return [i["name"] for i in result["items"]]


def test_two_character_words_match(client, searchable):
    headers = searchable["mz"][1]
    assert _names(_search(client, headers, q="婚姻")) == ["婚姻登记信息"]
    assert "婚姻登记信息" in _names(_search(client, headers, q="婚姻登记"))


def test_multi_word_query_matches_across_fields(client, searchable):
    headers = searchable["mz"][1]
    result = _search(client, headers, q="不动产 权属")
    assert _names(result) == ["不动产权属信息"] and result["total"] == 1


def test_item_labels_are_searched(client, searchable):
    headers = searchable["mz"][1]
    # 缴费年月 is only an item label of the social-security entry (and the summary says 缴费 too).
    assert _names(_search(client, headers, q="社保缴费")) == ["社会保险个人参保信息"]
    assert "社会保险个人参保信息" in _names(_search(client, headers, q="缴费年月"))
    # 公民身份号码 is a label of several entries but of no name or summary.
    assert _search(client, headers, q="公民身份号码")["total"] == 4


def test_ranking_prefers_name_matches(client, searchable):
    headers = searchable["mz"][1]
    result = _search(client, headers, q="登记")
    names = _names(result)
    assert set(names[:2]) == {"婚姻登记信息", "收养登记信息"}
    scores = [i["score"] for i in result["items"]]
    # Name matches first, each tier ranked by relevance.
    assert scores[:2] == sorted(scores[:2], reverse=True) and scores[2:] == sorted(scores[2:], reverse=True)


def test_single_character_and_no_match(client, searchable):
    headers = searchable["mz"][1]
    assert "婚姻登记信息" in _names(_search(client, headers, q="婚"))
    assert _search(client, headers, q="火星移民")["total"] == 0
    assert _search(client, headers, q="!!! ***")["total"] == 0


def test_drafts_are_hidden_except_from_their_provider(client, searchable):
    other = searchable["mz"][1]
    own = searchable["rs"][1]
    assert "社保缴费草稿" not in _names(_search(client, other, q="社保缴费"))
    assert _names(_search(client, other, q="草稿", status="draft")) == []
    assert _names(_search(client, own, q="草稿", status="draft")) == ["社保缴费草稿"]


def test_filters_and_paging(client, searchable):
    headers = searchable["mz"][1]
    bdc = searchable["bdc"][0]
    by_provider = _search(client, headers, provider=bdc["code"])
    assert sorted(_names(by_provider)) == ["不动产权属信息", "公共停车场名录"]
    assert _names(_search(client, headers, share_type="unconditional")) == ["不动产权属信息"]
    assert _names(_search(client, headers, open_type="open")) == ["公共停车场名录"]
    assert _search(client, headers, mounted=True)["total"] == 0
    assert _search(client, headers, q="信息", mounted=False)["total"] == 4
    assert _names(_search(client, headers, q="信息", provider=bdc["code"])) == ["不动产权属信息"]
    assert _search(client, headers, q="登记", share_type="unconditional")["total"] == 0
    assert _search(client, headers, q="登记", provider="no-such-org")["total"] == 0
    page1 = _search(client, headers, limit=2, offset=0)
    page2 = _search(client, headers, limit=2, offset=2)
    assert page1["total"] == 5 and len(page1["items"]) == 2
    assert not set(_names(page1)) & set(_names(page2))
    assert client.get("/api/v1/catalog/entries", params={"limit": 0}, headers=headers).status_code == 422
    assert client.get("/api/v1/catalog/entries", params={"share_type": "x"}, headers=headers).status_code == 422


def test_search_follows_updates(client, searchable):
    _, headers = searchable["mz"]
    marriage = searchable["entries"]["marriage"]
    client.patch(f"/api/v1/catalog/entries/{marriage['id']}", json={"name": "婚姻关系登记信息"}, headers=headers)
    assert _names(_search(client, headers, q="婚姻关系")) == ["婚姻关系登记信息"]


def test_hostile_queries_are_harmless(client, searchable):
    headers = searchable["mz"][1]
    for q in ['" OR 1=1 --', "婚姻' ; DROP TABLE catalog_entries; --", "NEAR(婚姻 登记)", "婚姻*", "\x00婚姻"]:
        resp = client.get("/api/v1/catalog/entries", params={"q": q}, headers=headers)
        assert resp.status_code in (200, 422), (q, resp.text)
    assert _search(client, headers, q="婚姻")["total"] == 1
