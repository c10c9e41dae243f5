"""The demo city publishes real open datasets with data (no personal data) and conditional ones."""

from __future__ import annotations

from govshare.demo import datasets
from govshare.opendata.generalise import can_generalise


def test_demo_city_publishes_open_data():
    catalog = {e["name"]: e for e in datasets.catalog_entries()}
    for name in ("公共自行车站点信息", "政务服务网点信息", "空气质量日报"):
        entry = catalog[name]
        assert entry["open_type"] == "open" and entry["status"] == "published" and entry["mounted"], name
        assert all(i["pi_kind"] == "none" for i in entry["items"]), name
        table = datasets.small_table(entry)
        assert table.num_rows >= 20 and table.column_names == [i["name"] for i in entry["items"]]
    conditional = [e for e in catalog.values() if e["open_type"] == "conditional" and e["status"] == "published"]
    assert conditional and all(e["open_condition"] for e in conditional)
    # every personal item of an open demo entry would be refused or treated: none exist
    assert not [i for e in catalog.values() if e["open_type"] == "open" for i in e["items"]
                if i["pi_kind"] != "none" and not can_generalise(i["pi_kind"], i["data_type"])]
