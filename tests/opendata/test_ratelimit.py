"""Public rate limits per client IP address: over the limit, 429 with Retry-After (pages, downloads,
DCAT and the CKAN API share one budget)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from govshare.core.config import get_settings
from tests.opendata.conftest import slug


@pytest.fixture()
def low_limit(monkeypatch):
    monkeypatch.setattr(get_settings(), "opendata_rate_per_minute", 3)


def _client(app, address: str) -> TestClient:
    return TestClient(app, client=(address, 50000))


def test_over_the_limit_answers_429_with_retry_after(opendata, app, low_limit):
    with _client(app, "192.0.2.10") as client:
        statuses = [client.get("/api/3/action/package_list").status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        resp = client.get("/api/3/action/package_list")
        assert resp.status_code == 429
        assert 1 <= int(resp.headers["Retry-After"]) <= 60
        assert resp.json()["success"] is False
        # one budget for every open data door
        for url in ("/opendata", f"/opendata/datasets/{slug(opendata['stations'])}/download.csv",
                    "/opendata/catalog.ttl"):
            resp = client.get(url)
            assert resp.status_code == 429, url
            assert "Retry-After" in resp.headers
    # another address has its own budget
    with _client(app, "192.0.2.11") as other:
        assert other.get("/opendata").status_code == 200
