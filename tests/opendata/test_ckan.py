"""The CKAN-compatible Action API, driven by CKAN's own client (ckanapi.RemoteCKAN) against a real server."""

from __future__ import annotations

import ckanapi
import httpx
import pytest

from tests.opendata.conftest import slug


@pytest.fixture(scope="module")
def ckan(opendata, live_server):
    return ckanapi.RemoteCKAN(live_server, user_agent="govshare-tests")


def test_package_list_and_show(ckan, opendata):
    names = ckan.action.package_list()
    assert slug(opendata["stations"]) in names and slug(opendata["conditional"]) in names
    assert slug(opendata["closed"]) not in names and slug(opendata["draft"]) not in names
    package = ckan.action.package_show(id=slug(opendata["stations"]))
    assert package["title"] == "公共自行车站点"
    assert package["name"] == slug(opendata["stations"]) and package["id"] == opendata["stations"]["id"]
    assert package["organization"]["title"] == opendata["org"]["name"]
    assert {t["name"] for t in package["tags"]} == {"数据开放测试", "交通", "公共自行车"}
    assert [r["format"] for r in package["resources"]] == ["CSV", "JSON", "XLSX"]
    assert all(r["datastore_active"] for r in package["resources"])
    assert package["resources"][0]["url"].endswith(f"/opendata/datasets/{slug(opendata['stations'])}/download.csv")
    assert ckan.action.package_show(id=opendata["stations"]["id"])["name"] == package["name"]
    conditional = ckan.action.package_show(id=slug(opendata["conditional"]))
    assert conditional["resources"] == []
    extras = {e["key"]: e["value"] for e in conditional["extras"]}
    assert extras["open_condition"] == "仅向科研机构开放，需说明研究用途"
    assert extras["how_to_apply"].endswith(f"/login?next=/catalog/{opendata['conditional']['id']}")


def test_closed_or_unknown_dataset_is_not_found(ckan, opendata):
    for ref in (slug(opendata["closed"]), opendata["closed"]["id"], slug(opendata["draft"]), "no-such-dataset"):
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id=ref)
    with pytest.raises(ckanapi.NotFound):
        ckan.action.datastore_search(resource_id=opendata["conditional"]["id"] + "-csv")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_show()


def test_package_search(ckan, opendata):
    org = opendata["org"]["code"].lower()
    found = ckan.action.package_search(q="自行车", fq=f"organization:{org}")
    assert found["count"] == 1 and found["results"][0]["name"] == slug(opendata["stations"])
    everything = ckan.action.package_search(fq=f"organization:{org}", rows=1, sort="title_string asc",
                                            **{"facet.field": ["organization", "tags", "res_format"]})
    assert everything["count"] == 2 and len(everything["results"]) == 1
    second = ckan.action.package_search(fq=f"organization:{org}", rows=1, start=1, sort="title_string asc")
    names = sorted(["公交客流统计", "公共自行车站点"])
    assert [everything["results"][0]["title"], second["results"][0]["title"]] == names
    assert everything["facets"]["organization"] == {org: 2}
    assert everything["facets"]["res_format"] == {"CSV": 1, "JSON": 1, "XLSX": 1}
    assert everything["facets"]["tags"]["交通"] == 2
    items = everything["search_facets"]["organization"]["items"]
    assert items == [{"name": org, "display_name": opendata["org"]["name"], "count": 2}]
    csv_only = ckan.action.package_search(fq=f'organization:{org} res_format:"CSV"')
    assert [p["name"] for p in csv_only["results"]] == [slug(opendata["stations"])]
    tagged = ckan.action.package_search(fq=f'organization:{org} tags:"公交客流"')
    assert [p["name"] for p in tagged["results"]] == [slug(opendata["conditional"])]
    newest = ckan.action.package_search(fq=f"organization:{org}", sort="metadata_modified desc")
    modified = [p["metadata_modified"] for p in newest["results"]]
    assert len(modified) == 2 and modified == sorted(modified, reverse=True)
    oldest = ckan.action.package_search(fq=f"organization:{org}", sort="metadata_modified asc")
    assert [p["name"] for p in oldest["results"]] == [p["name"] for p in reversed(newest["results"])]
    assert ckan.action.package_search(q="没有这样的数据集")["count"] == 0
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(sort="bogus desc")
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.package_search(fq="maintainer:x")


def test_get_requests_work_like_ckan(live_server, opendata):
    """CKAN also answers GET with query parameters (JSON-encoded lists), on /api/3/action."""
    resp = httpx.get(live_server + "/api/3/action/package_search",
                     params={"q": "公交", "facet.field": '["organization"]', "rows": "5"})
    body = resp.json()
    assert resp.status_code == 200 and body["success"] is True and body["help"].endswith("name=package_search")
    assert body["result"]["count"] >= 1
    resp = httpx.get(live_server + "/api/3/action/package_show", params={"id": "missing"})
    assert resp.status_code == 404
    assert resp.json()["error"]["__type"] == "Not Found Error" and resp.json()["success"] is False
    resp = httpx.get(live_server + "/api/3/action/package_search", params={"rows": "many"})
    assert resp.status_code == 409 and resp.json()["error"]["__type"] == "Validation Error"
    resp = httpx.get(live_server + "/api/3/action/help_show", params={"name": "datastore_search"})
    assert "resource_id" in resp.json()["result"]
    resp = httpx.get(live_server + "/api/action/package_list")  # the unversioned path ckanapi calls
    assert resp.status_code == 200 and slug(opendata["stations"]) in resp.json()["result"]
    resp = httpx.get(live_server + "/api/3/action/no_such_action")
    assert resp.status_code == 400 and resp.json()["success"] is False


def test_organizations(ckan, opendata):
    org = opendata["org"]["code"].lower()
    assert org in ckan.action.organization_list()
    full = {o["name"]: o for o in ckan.action.organization_list(all_fields=True)}
    assert full[org]["title"] == opendata["org"]["name"] and full[org]["package_count"] == 2
    shown = ckan.action.organization_show(id=org, include_datasets=True)
    assert shown["package_count"] == 2
    assert {p["name"] for p in shown["packages"]} == {slug(opendata["stations"]), slug(opendata["conditional"])}
    with pytest.raises(ckanapi.NotFound):
        ckan.action.organization_show(id="nosuchorg")


def test_datastore_search(ckan, opendata):
    resource = ckan.action.package_show(id=slug(opendata["stations"]))["resources"][0]["id"]
    result = ckan.action.datastore_search(resource_id=resource)
    assert result["total"] == 3
    assert [f["id"] for f in result["fields"]] == ["_id", "station_id", "station_name", "district", "capacity",
                                                  "longitude", "opened_on", "manager_address"]
    assert {f["id"]: f["type"] for f in result["fields"]}["capacity"] == "int"
    assert "manager_mobile" not in str(result) and "13800000001" not in str(result)
    assert result["records"][0]["manager_address"] == "浙江省舟山市定海区"
    assert "_links" in result and "offset=" in result["_links"]["next"]
    dinghai = ckan.action.datastore_search(resource_id=resource, filters={"district": "定海区"})
    assert dinghai["total"] == 2 and {r["station_id"] for r in dinghai["records"]} == {"ZS0001", "ZS0003"}
    by_number = ckan.action.datastore_search(resource_id=resource, filters={"capacity": 24})
    assert [r["station_id"] for r in by_number["records"]] == ["ZS0002"]
    text = ckan.action.datastore_search(resource_id=resource, q="体育馆")
    assert [r["station_id"] for r in text["records"]] == ["ZS0003"]
    per_field = ckan.action.datastore_search(resource_id=resource, q={"station_name": "东港"})
    assert [r["station_id"] for r in per_field["records"]] == ["ZS0002"]
    page = ckan.action.datastore_search(resource_id=resource, limit=1, offset=1, sort="capacity desc")
    assert page["total"] == 3 and [r["station_id"] for r in page["records"]] == ["ZS0001"]
    some = ckan.action.datastore_search(resource_id=resource, fields=["station_id", "capacity"], limit=1)
    assert set(some["records"][0]) == {"_id", "station_id", "capacity"}
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.datastore_search(resource_id=resource, filters={"manager_mobile": "13800000001"})
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.datastore_search(resource_id=resource, filters={"capacity": "many"})
    with pytest.raises(ckanapi.NotFound):
        ckan.action.datastore_search(resource_id="nothing-csv")
