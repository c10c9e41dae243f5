"""Open data fixtures: a department publishing open datasets with data, a conditional one, a closed one
and a draft, all through the API like a provider would."""

from __future__ import annotations

import csv
import io

import pytest

OPEN_CLASS = ["数据开放测试", "交通", "公共自行车"]


def station_items() -> list[dict]:
    return [
        {"name": "station_id", "label": "站点编号", "data_type": "C", "length": 16, "is_key": True},
        {"name": "station_name", "label": "站点名称", "data_type": "C", "length": 50, "required": True},
        {"name": "district", "label": "所在区县", "data_type": "C", "length": 20},
        {"name": "capacity", "label": "车桩数", "data_type": "I"},
        {"name": "longitude", "label": "经度", "data_type": "F"},
        {"name": "opened_on", "label": "启用日期", "data_type": "D"},
        {"name": "manager_mobile", "label": "管理员电话", "data_type": "C", "length": 11, "pi_kind": "mobile",
         "open_treatment": "drop"},
        {"name": "manager_address", "label": "管理员住址", "data_type": "C", "length": 100, "pi_kind": "address",
         "open_treatment": "generalise"},
    ]


STATION_ROWS = [
    ["ZS0001", "定海文化广场站", "定海区", "30", "122.106", "2019-05-01", "13800000001", "浙江省舟山市定海区环城南路1号"],
    ["ZS0002", "普陀东港站", "普陀区", "24", "122.301", "2020-07-15", "13800000002", "浙江省舟山市普陀区东港街道海华路2号"],
    ["ZS0003", "新城体育馆站", "定海区", "40", "122.205", "2021-03-20", "13800000003", "浙江省舟山市定海区临城街道3号"],
]
STATION_HEADER = ["station_id", "station_name", "district", "capacity", "longitude", "opened_on", "manager_mobile",
                  "manager_address"]


def to_csv(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode()


def load(client, entry: dict, headers: dict, body: bytes) -> None:
    resp = client.put(f"/api/v1/catalog/entries/{entry['id']}/data", params={"mode": "replace",
                                                                               "filename": "data.csv"},
                      content=body, headers=headers)
    assert resp.status_code == 200, resp.text


@pytest.fixture(scope="module")
def opendata(app):
    """Module-wide: one provider with an open dataset with data, a conditional one, a closed one, a draft."""
    from fastapi.testclient import TestClient

    from tests.conftest import Platform

    with TestClient(app) as client:
        platform = Platform(client)
        org = platform.org(name="舟山市交通运输局开放测试")
        headers = platform.headers(org, ["catalog:write", "data:write", "data:read"])
        stations = platform.entry(
            headers, name="公共自行车站点", summary="全市公共自行车站点的位置、车桩数和启用日期",
            category="theme", class_path=OPEN_CLASS, format="spreadsheet", share_type="unconditional",
            share_condition=None, share_methods=["api", "file"], open_type="open", update_cycle="daily",
            items=station_items())
        load(client, stations, headers, to_csv(STATION_HEADER, STATION_ROWS))
        conditional = platform.entry(
            headers, name="公交客流统计", summary="各公交线路按日汇总的客流人次", category="theme",
            class_path=["数据开放测试", "交通", "公交客流"], format="database", share_type="unconditional",
            share_condition=None, share_methods=["api"], open_type="conditional",
            open_condition="仅向科研机构开放，需说明研究用途", update_cycle="monthly",
            items=[{"name": "line_no", "label": "线路号", "data_type": "C", "is_key": True},
                   {"name": "riders", "label": "客流人次", "data_type": "I"}])
        closed = platform.entry(headers, class_path=["数据开放测试", "交通", "内部"], open_type="closed")
        draft = platform.entry(
            headers, publish=False, name="未发布开放数据", summary="草稿", category="theme",
            class_path=OPEN_CLASS, format="spreadsheet", share_type="unconditional", share_condition=None,
            share_methods=["file"], open_type="open", update_cycle="daily",
            items=[{"name": "k", "label": "编号", "data_type": "C", "is_key": True}])
        yield {"org": org, "headers": headers, "stations": stations, "conditional": conditional, "closed": closed,
               "draft": draft}


def slug(entry: dict) -> str:
    return entry["code"].replace("/", "-").lower()
