"""The open-data rule: no personal information reaches the public. Enforced by the catalog service (an
entry with personal items cannot be opened unless they are dropped or generalised) and again by the open
data service (such a column is never emitted)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from govshare.catalog import service as catalog
from govshare.catalog.schemas import ItemIn
from govshare.core.database import session_scope
from govshare.core.errors import InvalidInput
from govshare.opendata import generalise, service
from tests.conftest import entry_body, person_items
from tests.opendata.conftest import OPEN_CLASS, load, slug, to_csv

RULE_CLASS = ["数据开放测试", "人口", "规则"]


def test_open_entry_with_personal_items_is_refused_naming_them(platform):
    org, headers = platform.provider()
    resp = platform.http.post("/api/v1/catalog/entries", headers=headers,
                              json=entry_body(class_path=RULE_CLASS, open_type="open"))
    assert resp.status_code == 422, resp.text
    error = resp.json()["error"]
    problem = next(d for d in error["details"] if d["field"] == "open_type")
    assert set(problem["value"]) == {"id_number", "name", "mobile"}
    assert "id_number" in problem["reason"] and "drop or generalise" in problem["reason"]


def test_opening_an_existing_entry_needs_every_personal_item_treated(platform):
    org, headers = platform.provider()
    entry = platform.entry(headers, class_path=RULE_CLASS)
    resp = platform.http.patch(f"/api/v1/catalog/entries/{entry['id']}", headers=headers, json={"open_type": "open"})
    assert resp.status_code == 422
    items = person_items()
    for item in items:
        if item["name"] in ("id_number", "mobile"):
            item["open_treatment"] = "generalise" if item["name"] == "id_number" else "drop"
    resp = platform.http.patch(f"/api/v1/catalog/entries/{entry['id']}", headers=headers,
                               json={"open_type": "open", "items": items})
    assert resp.status_code == 422  # the name is still untreated
    assert resp.json()["error"]["details"][0]["value"] == ["name"]
    next(i for i in items if i["name"] == "name")["open_treatment"] = "drop"
    resp = platform.http.patch(f"/api/v1/catalog/entries/{entry['id']}", headers=headers,
                               json={"open_type": "open", "items": items})
    assert resp.status_code == 200, resp.text
    treated = {i["name"]: i["open_treatment"] for i in resp.json()["items"]}
    assert treated == {"id_number": "generalise", "name": "drop", "birth_date": None, "mobile": "drop",
                       "children": None, "income": None, "married": None}


def test_an_item_that_cannot_be_generalised_must_be_dropped(platform):
    org, headers = platform.provider()
    items = person_items()
    for item in items:
        if item.get("pi_kind", "none") != "none":
            item["open_treatment"] = "generalise"
    resp = platform.http.post("/api/v1/catalog/entries", headers=headers,
                              json=entry_body(class_path=RULE_CLASS, open_type="open", items=items))
    assert resp.status_code == 422
    fields = {d["field"]: d for d in resp.json()["error"]["details"]}
    assert fields["items[1].open_treatment"]["value"] == "name"  # a name has no safe generalisation
    assert fields["items[3].open_treatment"]["value"] == "mobile"
    assert "items[0].open_treatment" not in fields  # an ID number generalises to its city


def test_the_rule_in_the_service():
    def item(name, pi_kind="none", data_type="C", treatment=None):
        return ItemIn(name=name, label=name, data_type=data_type, pi_kind=pi_kind, open_treatment=treatment)
    items = [item("k"), item("addr", "address"), item("born", "other", "D")]
    assert [p["value"] for p in catalog.open_data_problems("open", items)] == [["addr", "born"]]
    assert catalog.open_data_problems("conditional", items) == []  # no rows are published for conditional
    assert catalog.open_data_problems("closed", items) == []
    treated = [item("k"), item("addr", "address", treatment="generalise"), item("born", "other", "D", "drop")]
    assert catalog.open_data_problems("open", treated) == []
    assert catalog.open_data_problems("open", [item("who", "name", treatment="generalise")])[0]["field"] == \
        "items[0].open_treatment"


def test_generalisations_are_deterministic_and_coarse():
    assert generalise.generaliser("other", "D")(date(1980, 5, 17)) == "1980"
    assert generalise.generaliser("none", "D")("1980-05-17") == "1980"
    assert generalise.generaliser("address", "C")("浙江省舟山市定海区环城南路1号") == "浙江省舟山市定海区"
    assert generalise.generaliser("address", "C")("330902") == "330900"
    assert generalise.generaliser("other", "C")("330921") == "330900"
    assert generalise.generaliser("other", "C")("张三") is None  # nothing safe to show
    assert generalise.generaliser("id_number", "C")("330902198001010011") == "330900"
    assert generalise.generaliser("bank_card", "C")("6222021234567890123") == "622202"
    assert generalise.generaliser("address", "C")(None) is None
    for kind, data_type in (("name", "C"), ("mobile", "C"), ("other", "I"), ("none", "L")):
        assert not generalise.can_generalise(kind, data_type)
        with pytest.raises(ValueError):
            generalise.generaliser(kind, data_type)


def test_publishing_checks_the_rule_again(platform):
    """An entry stored with untreated personal items (before the rule, or by hand) cannot go public."""
    org, headers = platform.provider()
    entry = platform.entry(headers, publish=False, class_path=RULE_CLASS)
    with session_scope() as session:
        session.execute(text("UPDATE catalog_entries SET open_type = 'open' WHERE id = :id"), {"id": entry["id"]})
    resp = platform.http.post(f"/api/v1/catalog/entries/{entry['id']}/publish", headers=headers)
    assert resp.status_code == 422
    assert resp.json()["error"]["details"][0]["value"] == ["id_number", "name", "mobile"]


def test_open_data_never_emits_an_untreated_personal_column(platform, client):
    """Defence in depth: an open entry whose personal item lost its treatment (edited in the database)
    still publishes no such column, in any output."""
    org, headers = platform.provider()
    items = [{"name": "station_id", "label": "站点编号", "data_type": "C", "is_key": True},
             {"name": "phone", "label": "电话", "data_type": "C", "pi_kind": "mobile", "open_treatment": "drop"}]
    entry = platform.entry(headers, name="深度防御测试", summary="测试", category="theme", class_path=OPEN_CLASS,
                           format="spreadsheet", share_type="unconditional", share_condition=None,
                           share_methods=["file"], open_type="open", update_cycle="daily", items=items)
    load(client, entry, headers, to_csv(["station_id", "phone"], [["A1", "13800000009"]]))
    with session_scope() as session:
        session.execute(text("UPDATE catalog_items SET open_treatment = NULL WHERE entry_id = :id"),
                        {"id": entry["id"]})
    with session_scope(read_only=True) as session:
        stored = service.get_public_entry(session, entry["id"])
        assert [c.name for c in service.open_columns(stored)] == ["station_id"]
        page = service.read_rows(session, stored, service.RowQuery())
        assert page.records == [{"_id": page.records[0]["_id"], "station_id": "A1"}]
        with pytest.raises(InvalidInput):
            service.read_rows(session, stored, service.RowQuery(filters={"phone": "13800000009"}))
    for fmt in ("csv", "json"):
        body = client.get(f"/opendata/datasets/{slug(entry)}/download.{fmt}").text
        assert "13800000009" not in body and "phone" not in body
    page = client.get(f"/opendata/datasets/{slug(entry)}").text
    assert "13800000009" not in page and "电话" not in page
    found = client.get("/api/3/action/datastore_search", params={"resource_id": entry["id"] + "-csv"}).json()
    assert [f["id"] for f in found["result"]["fields"]] == ["_id", "station_id"]
