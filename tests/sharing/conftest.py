"""A small city for sharing tests: a provider with a mounted person entry, a consumer department
with a consumer, an org admin and two API clients, an approving officer at the provider, another
department, and the platform operator."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Platform, make_id_number, person_items
from tests.mounting.conftest import to_csv

PERSON_HEADER = ["id_number", "name", "birth_date", "mobile", "children", "income", "married", "address",
                 "region_code"]
REGIONS = ["330902", "330903", "330921"]  # 定海区, 普陀区, 岱山县
ADDRESS_OF = {"330902": "浙江省舟山市定海区环城南路", "330903": "浙江省舟山市普陀区东港街道", "330921": "浙江省舟山市岱山县高亭镇"}


def region_person_items() -> list[dict]:
    return [*person_items(),
            {"name": "address", "label": "住址", "data_type": "C", "length": 100, "pi_kind": "address"},
            {"name": "region_code", "label": "户籍地行政区划代码", "data_type": "C", "length": 6}]


def region_person_rows(n: int, start: int = 0) -> list[list[str]]:
    rows = []
    for i in range(start, start + n):
        region = REGIONS[i % 3]
        birth = f"19{60 + i % 40:02d}0{1 + i % 9}1{i % 9}"
        rows.append([make_id_number(region=region, birth=birth, seq=i % 1000), f"张{'三四五六七'[i % 5]}{i}", birth,
                     f"139{i:08d}", str(i % 4), f"{1000 + i}.50", "是" if i % 2 else "否",
                     f"{ADDRESS_OF[region]}{i}号", region])
    return rows


def user_session(app, user: dict) -> TestClient:
    """A console user's own HTTP client (own cookie jar) with the CSRF header set."""
    http = TestClient(app)
    resp = http.post("/api/v1/auth/login", json={"username": user["username"], "password": user["password"]})
    assert resp.status_code == 200, resp.text
    http.headers["X-CSRF-Token"] = resp.json()["csrf_token"]
    return http


@dataclass
class World:
    platform: Platform
    provider: dict
    provider_headers: dict
    entry: dict
    rows: list[list[str]]
    approver: TestClient
    provider_admin: TestClient
    consumer_org: dict
    consumer: TestClient
    consumer_admin: TestClient
    client_a: dict
    client_b: dict
    other_org: dict
    other_client: dict
    operator: TestClient
    users: dict = field(default_factory=dict)  # role -> the user dict (username, password, id)

    def principal(self, role: str):
        """The service-layer Principal of one of the world's users (approver, consumer, operator…)."""
        from sqlalchemy import select

        from govshare.core.database import session_scope
        from govshare.orgs.models import User
        from govshare.orgs.service import user_principal
        with session_scope(read_only=True) as session:
            return user_principal(session.scalar(select(User).where(User.id == self.users[role]["id"])))

    def bearer(self, api_client: dict) -> dict:
        return {"Authorization": "Bearer " + self.platform.token(api_client)}

    def request(self, methods=("lookup", "verify", "export", "feed"), items=None, clients=None, **extra) -> dict:
        body = {"entry_id": self.entry["id"], "items": items or [i["name"] for i in region_person_items()],
                "methods": list(methods), "purpose": "住房公积金提取审核", "legal_basis": "住房公积金管理条例",
                "client_ids": clients or [self.client_a["client_id"]], **extra}
        resp = self.consumer.post("/api/v1/access-requests", json=body)
        assert resp.status_code == 201, resp.text
        return resp.json()

    def approve(self, request_id: str, **body) -> dict:
        resp = self.approver.post(f"/api/v1/access-requests/{request_id}/approve", json=body)
        assert resp.status_code == 200, resp.text
        return resp.json()


def build_world(platform: Platform, app, share_type: str = "conditional", rows: int = 30) -> World:
    provider, provider_headers = platform.provider()
    extra = {"share_condition": "仅限办理住房公积金提取业务使用"} if share_type == "conditional" else {}
    if share_type == "none":
        extra = {"share_condition": "《中华人民共和国个人信息保护法》第十三条"}
    entry = platform.entry(provider_headers, share_type=share_type, items=region_person_items(), **extra)
    data = region_person_rows(rows)
    resp = platform.http.put(f"/api/v1/catalog/entries/{entry['id']}/data", params={"mode": "replace", "filename": "persons.csv"},
                             content=to_csv(data, header=PERSON_HEADER), headers=provider_headers)
    assert resp.status_code == 200, resp.text
    consumer_org = platform.org(name="舟山市住房公积金中心", region="330902")
    other_org = platform.org(name="舟山市交通运输局")
    operator_org = platform.org(name="舟山市大数据发展管理局")
    users = {"approver": platform.user(provider, ["approver"]), "provider_admin": platform.user(provider, ["org_admin"]),
             "consumer": platform.user(consumer_org, ["consumer"]),
             "consumer_admin": platform.user(consumer_org, ["org_admin"]),
             "operator": platform.user(operator_org, ["platform_admin"])}
    return World(
        platform=platform, provider=provider, provider_headers=provider_headers, entry=entry, rows=data,
        approver=user_session(app, users["approver"]), provider_admin=user_session(app, users["provider_admin"]),
        consumer_org=consumer_org, consumer=user_session(app, users["consumer"]),
        consumer_admin=user_session(app, users["consumer_admin"]),
        client_a=platform.api_client(consumer_org, ["data:read"]),
        client_b=platform.api_client(consumer_org, ["data:read"]),
        other_org=other_org, other_client=platform.api_client(other_org, ["data:read"]),
        operator=user_session(app, users["operator"]), users=users,
    )


@pytest.fixture()
def world(platform, app) -> World:
    return build_world(platform, app)
