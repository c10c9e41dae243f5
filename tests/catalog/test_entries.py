"""Catalog entries: national metadata rules, codes, lifecycle, versions, visibility."""

from __future__ import annotations

import pytest

from tests.conftest import entry_body, person_items


def _problems(resp) -> list[str]:
    return [d["field"] for d in resp.json()["error"]["details"]]


def test_create_assigns_code_and_id(platform, client):
    org, headers = platform.provider()
    own_class = ["民政", "婚姻", "登记" + org["short_name"][-6:]]  # a class no other test uses
    entry = platform.entry(headers, publish=False, class_path=own_class)
    assert entry["status"] == "draft" and entry["version"] == 1
    assert entry["id"].isalnum() and entry["id"].startswith("e")
    classification, seq = entry["code"].split("/")
    assert classification.startswith("3") and len(classification) == 8 and seq == "000001"
    assert entry["classification_code"] == classification
    assert entry["provider_code"] == org["code"]
    second = platform.entry(headers, publish=False, name="离婚登记信息", class_path=own_class)
    assert second["code"] == f"{classification}/000002"
    other_class = platform.entry(headers, publish=False, class_path=["民政", "婚姻", "收养登记"])
    assert other_class["code"].split("/")[0] != classification


def test_entry_readable_by_id_and_by_code_in_services(platform, client):
    _, headers = platform.provider()
    entry = platform.entry(headers)
    resp = client.get(f"/api/v1/catalog/entries/{entry['id']}", headers=headers)
    assert resp.status_code == 200 and resp.json()["code"] == entry["code"]
    # Codes contain '/', so paths take the id; the service layer (CLI) accepts either.
    from govshare.catalog import service
    from govshare.core.database import session_scope
    with session_scope() as session:
        assert service.get_entry(session, entry["code"], None).id == entry["id"]
    assert entry["items"][0]["required"] is True  # a key item is always required


@pytest.mark.parametrize("overrides,field", [
    ({"share_type": "conditional", "share_condition": None}, "share_condition"),
    ({"share_type": "none", "share_condition": "  "}, "share_condition"),
    ({"open_type": "conditional", "open_condition": None}, "open_condition"),
    ({"open_type": "open"}, "open_type"),  # personal items cannot be opened
    ({"items": [dict(i, is_key=False) for i in person_items()]}, "items"),
    ({"items": person_items() + [dict(person_items()[1])]}, "items[7].name"),
])
def test_catalog_rules_are_enforced(platform, client, overrides, field):
    _, headers = platform.provider()
    resp = client.post("/api/v1/catalog/entries", json=entry_body(**overrides), headers=headers)
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["code"] == "invalid_entry"
    assert field in _problems(resp)


@pytest.mark.parametrize("overrides", [
    {"name": "名" * 51},
    {"summary": "摘" * 257},
    {"items": [dict(person_items()[0], data_type="X")]},
    {"items": [dict(person_items()[0], name="身份证")]},
    {"share_methods": []},
    {"share_methods": ["email"]},
    {"category": "other"},
    {"update_cycle": "hourly"},
    {"items": []},
])
def test_schema_violations_are_422(platform, client, overrides):
    _, headers = platform.provider()
    resp = client.post("/api/v1/catalog/entries", json=entry_body(**overrides), headers=headers)
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "invalid_input"
    assert resp.json()["error"]["details"]


def test_related_codes_must_exist(platform, client):
    _, headers = platform.provider()
    first = platform.entry(headers)
    ok = client.post("/api/v1/catalog/entries", json=entry_body(related_codes=[first["code"]]), headers=headers)
    assert ok.status_code == 201
    bad = client.post("/api/v1/catalog/entries", json=entry_body(related_codes=["3010101/999999"]), headers=headers)
    assert bad.status_code == 422 and "related_codes" in _problems(bad)


def test_only_provider_may_write(platform, client):
    _, headers = platform.provider()
    entry = platform.entry(headers, publish=False)
    other_org, other_headers = platform.provider()
    assert client.patch(f"/api/v1/catalog/entries/{entry['id']}", json={"name": "改名"},
                        headers=other_headers).status_code == 404  # drafts are invisible to others
    client.post(f"/api/v1/catalog/entries/{entry['id']}/publish", headers=headers)
    resp = client.patch(f"/api/v1/catalog/entries/{entry['id']}", json={"name": "改名"}, headers=other_headers)
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "not_provider"
    reader = platform.headers(other_org, ["data:read"])
    own_reader = platform.headers(platform.org(), ["data:read"])
    assert client.post("/api/v1/catalog/entries", json=entry_body(), headers=reader).status_code == 403
    assert client.post("/api/v1/catalog/entries", json=entry_body(provider_code=other_org["code"]),
                       headers=headers).status_code == 403
    assert own_reader


def test_lifecycle_and_versions(platform, client):
    _, headers = platform.provider()
    entry = platform.entry(headers, publish=False)
    # Edits of a draft do not create versions.
    resp = client.patch(f"/api/v1/catalog/entries/{entry['id']}", json={"summary": "草稿修改"}, headers=headers)
    assert resp.json()["version"] == 1
    published = client.post(f"/api/v1/catalog/entries/{entry['id']}/publish", headers=headers).json()
    assert published["status"] == "published" and published["publish_date"]
    again = client.post(f"/api/v1/catalog/entries/{entry['id']}/publish", headers=headers)
    assert again.status_code == 409
    items = published["items"] + [{"name": "remark", "label": "备注", "data_type": "M"}]
    items[1]["label"] = "姓名（中文）"
    changed = client.patch(f"/api/v1/catalog/entries/{entry['id']}", headers=headers, json={
        "share_type": "unconditional", "items": items, "note": "按新规放开"}).json()
    assert changed["version"] == 2
    unchanged = client.patch(f"/api/v1/catalog/entries/{entry['id']}", headers=headers,
                             json={"share_type": "unconditional"}).json()
    assert unchanged["version"] == 2  # no change, no version
    withdrawn = client.post(f"/api/v1/catalog/entries/{entry['id']}/withdraw", json={"reason": "系统迁移"},
                            headers=headers).json()
    assert withdrawn["status"] == "withdrawn" and withdrawn["version"] == 3
    assert client.patch(f"/api/v1/catalog/entries/{entry['id']}", json={"name": "新名称"},
                        headers=headers).status_code == 409
    versions = client.get(f"/api/v1/catalog/entries/{entry['id']}/versions", headers=headers).json()
    assert [v["version"] for v in versions] == [1, 2, 3]
    diff = {d["field"]: d for d in versions[1]["diff"]}
    assert diff["share_type"]["old"] == "conditional" and diff["share_type"]["new"] == "unconditional"
    assert diff["items.name.label"]["new"] == "姓名（中文）"
    assert diff["items.remark"]["old"] is None
    assert versions[1]["note"] == "按新规放开"
    assert versions[2]["diff"] == [{"field": "status", "old": "published", "new": "withdrawn"}]
    assert versions[0]["snapshot"]["items"][1]["label"] == "姓名"


def test_withdraw_needs_reason_and_published_state(platform, client):
    _, headers = platform.provider()
    draft = platform.entry(headers, publish=False)
    assert client.post(f"/api/v1/catalog/entries/{draft['id']}/withdraw", json={"reason": "x"},
                       headers=headers).status_code == 409
    published = platform.entry(headers)
    assert client.post(f"/api/v1/catalog/entries/{published['id']}/withdraw", json={"reason": ""},
                       headers=headers).status_code == 422


def test_unknown_entry_is_404(platform, client):
    _, headers = platform.provider()
    resp = client.get("/api/v1/catalog/entries/enope", headers=headers)
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "entry_not_found"
