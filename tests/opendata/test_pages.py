"""The public portal: search and facets, the dataset page, downloads, per-department listing. No sign-in."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

from openpyxl import load_workbook

from tests.opendata.conftest import slug
from tests.web.conftest import sign_in, text_of


def test_index_lists_public_datasets_only(opendata, client):
    resp = client.get("/opendata", params={"org": opendata["org"]["code"].lower()})
    assert resp.status_code == 200
    page = text_of(resp.text)
    assert "公共自行车站点" in page and "公交客流统计" in page
    assert "婚姻登记信息" not in page  # closed
    assert "未发布开放数据" not in page  # draft
    assert "Content-Security-Policy" in resp.headers
    assert 'class="nav"' not in resp.text  # no console navigation for the public


def test_search_facets_and_sort(opendata, client):
    resp = client.get("/opendata", params={"q": "自行车", "org": opendata["org"]["code"].lower()})
    page = text_of(resp.text)
    assert "公共自行车站点" in page and "公交客流统计" not in page
    # facets: department, theme, format; a format filter keeps only datasets with downloads
    resp = client.get("/opendata", params={"org": opendata["org"]["code"].lower(), "format": "CSV"})
    page = text_of(resp.text)
    assert "公共自行车站点" in page and "公交客流统计" not in page
    assert 'class="facet-selected"' in resp.text
    resp = client.get("/opendata", params={"tag": "公交客流", "org": opendata["org"]["code"].lower()})
    assert "公交客流统计" in text_of(resp.text) and "公共自行车站点" not in text_of(resp.text)
    resp = client.get("/opendata", params={"q": "zzzz没有的词"})
    assert "No datasets match" in text_of(resp.text) or "没有" in text_of(resp.text)
    resp = client.get("/opendata", params={"sort": "title_string asc", "org": opendata["org"]["code"].lower()})
    assert resp.status_code == 200


def test_dataset_page_shows_metadata_preview_and_downloads(opendata, client):
    resp = client.get(f"/opendata/datasets/{slug(opendata['stations'])}")
    assert resp.status_code == 200
    page = text_of(resp.text)
    assert "定海文化广场站" in page and "ZS0003" in page  # preview rows
    assert "浙江省舟山市定海区" in page and "环城南路" not in page  # generalised to the district
    assert "13800000001" not in page and "manager_mobile" not in page  # dropped: not even named
    for fmt in ("csv", "json", "xlsx"):
        assert f"/opendata/datasets/{slug(opendata['stations'])}/download.{fmt}" in resp.text
    assert "/api/3/action/package_show" in resp.text and ".ttl" in resp.text


def test_conditional_dataset_shows_condition_and_how_to_apply(opendata, client):
    entry = opendata["conditional"]
    resp = client.get(f"/opendata/datasets/{slug(entry)}")
    assert resp.status_code == 200
    assert "仅向科研机构开放" in text_of(resp.text)
    assert f'href="/login?next=/catalog/{entry["id"]}"' in resp.text
    assert "download." not in resp.text
    for fmt in ("csv", "json", "xlsx"):
        assert client.get(f"/opendata/datasets/{slug(entry)}/download.{fmt}").status_code == 404


def test_closed_and_unpublished_entries_are_not_found(opendata, client):
    for entry in (opendata["closed"], opendata["draft"]):
        for url in (f"/opendata/datasets/{slug(entry)}", f"/opendata/datasets/{entry['id']}",
                    f"/opendata/datasets/{slug(entry)}/download.csv", f"/opendata/datasets/{slug(entry)}.ttl"):
            assert client.get(url).status_code == 404, url
    assert client.get("/opendata/datasets/nothing-here").status_code == 404


def test_csv_download(opendata, client):
    resp = client.get(f"/opendata/datasets/{slug(opendata['stations'])}/download.csv")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/csv")
    assert "filename*=UTF-8''" + quote("公共自行车站点.csv") in resp.headers["content-disposition"]
    assert resp.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows[0] == ["station_id", "station_name", "district", "capacity", "longitude", "opened_on",
                       "manager_address"]
    assert rows[1] == ["ZS0001", "定海文化广场站", "定海区", "30", "122.106", "2019-05-01", "浙江省舟山市定海区"]
    assert len(rows) == 4


def test_json_and_xlsx_downloads(opendata, client):
    resp = client.get(f"/opendata/datasets/{slug(opendata['stations'])}/download.json")
    assert resp.headers["content-type"].startswith("application/json")
    records = json.loads(resp.content)
    assert records[1] == {"station_id": "ZS0002", "station_name": "普陀东港站", "district": "普陀区", "capacity": 24,
                          "longitude": 122.301, "opened_on": "2020-07-15", "manager_address": "浙江省舟山市普陀区"}
    resp = client.get(f"/opendata/datasets/{slug(opendata['stations'])}/download.xlsx")
    assert resp.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(resp.content), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "station_id" and rows[1][0] == "站点编号" and rows[2][:2] == ["ZS0001", "定海文化广场站"]
    assert "manager_mobile" not in rows[0] and len(rows) == 5
    assert client.get(f"/opendata/datasets/{slug(opendata['stations'])}/download.parquet").status_code == 404


def test_department_listing(opendata, client):
    resp = client.get("/opendata/organizations")
    assert opendata["org"]["name"] in text_of(resp.text)
    resp = client.get(f"/opendata/organizations/{opendata['org']['code'].lower()}")
    assert resp.status_code == 200
    page = text_of(resp.text)
    assert "公共自行车站点" in page and "公交客流统计" in page and "婚姻登记信息" not in page
    assert client.get("/opendata/organizations/nosuchorg").status_code == 404


def test_pages_in_english_and_for_signed_in_users(opendata, client, platform):
    assert "政务数据开放" in text_of(client.get("/opendata").text)  # Chinese first
    client.cookies.set("gs_lang", "en")
    try:
        resp = client.get("/opendata")
        assert "Open government data" in text_of(resp.text)
    finally:
        client.cookies.clear()
    user = platform.user(opendata["org"], ["consumer"])
    sign_in(client, user)
    resp = client.get(f"/opendata/datasets/{slug(opendata['conditional'])}")
    assert f'href="/catalog/{opendata["conditional"]["id"]}"' in resp.text  # already signed in: straight to it
    assert 'class="nav"' in resp.text


def test_facet_counts_follow_catalog_changes(platform, client):
    """Facet counts are cached per catalog state: a newly published dataset counts at once."""
    from tests.opendata.conftest import OPEN_CLASS

    org, headers = platform.provider()
    body = dict(name="缓存测试数据集", summary="测试", category="theme", class_path=OPEN_CLASS, format="spreadsheet",
                share_type="unconditional", share_condition=None, share_methods=["file"], open_type="open",
                update_cycle="daily", items=[{"name": "k", "label": "编号", "data_type": "C", "is_key": True}])
    platform.entry(headers, **body)
    params = {"fq": f"organization:{org['code'].lower()}", "facet.field": '["organization","open_type"]'}
    first = client.get("/api/3/action/package_search", params=params).json()["result"]
    assert first["facets"]["organization"] == {org["code"].lower(): 1}
    platform.entry(headers, **{**body, "open_type": "conditional", "open_condition": "经申请后开放"})
    second = client.get("/api/3/action/package_search", params=params).json()["result"]
    assert second["facets"]["organization"] == {org["code"].lower(): 2}
    assert second["facets"]["open_type"] == {"open": 1, "conditional": 1}


def test_open_dataset_without_data_and_withdrawn_dataset(platform, client):
    from tests.opendata.conftest import OPEN_CLASS

    org, headers = platform.provider()
    entry = platform.entry(headers, name="尚未挂接的开放数据", summary="测试", category="theme", class_path=OPEN_CLASS,
                           format="spreadsheet", share_type="unconditional", share_condition=None,
                           share_methods=["file"], open_type="open", update_cycle="daily",
                           items=[{"name": "k", "label": "编号", "data_type": "C", "is_key": True}])
    resp = client.get(f"/opendata/datasets/{slug(entry)}")
    assert resp.status_code == 200 and "download." not in resp.text
    assert client.get(f"/opendata/datasets/{slug(entry)}/download.csv").status_code == 404
    shown = client.get("/api/3/action/package_show", params={"id": slug(entry)}).json()["result"]
    assert shown["resources"] == []
    resp = client.post(f"/api/v1/catalog/entries/{entry['id']}/withdraw", json={"reason": "停止维护"}, headers=headers)
    assert resp.status_code == 200, resp.text
    assert client.get(f"/opendata/datasets/{slug(entry)}").status_code == 404
    assert client.get("/api/3/action/package_show", params={"id": slug(entry)}).status_code == 404
