"""The API's contract: an OpenAPI document under /api/v1, and one error shape for every failure."""

from __future__ import annotations


def test_openapi_document_lists_the_versioned_api(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    for path in ("/oauth/token", "/api/v1/catalog/entries", "/api/v1/catalog/entries/{entry_id}/data",
                 "/api/v1/catalog/entries/{entry_id}/source", "/api/v1/orgs", "/api/v1/clients"):
        assert path in paths, path
    assert all(p.startswith(("/api/v1/", "/oauth/")) for p in paths if not p.startswith(("/healthz",)))


def test_every_error_has_the_same_shape(client, platform):
    _, headers = platform.provider()
    responses = [
        client.get("/api/v1/catalog/entries"),  # 401
        client.get("/api/v1/catalog/entries/enope", headers=headers),  # 404
        client.get("/api/v1/catalog/entries", params={"limit": 0}, headers=headers),  # 422 (request)
        client.post("/api/v1/orgs", json={}, headers=headers),  # 422 before 403: body is parsed first
        client.delete("/api/v1/catalog/entries", headers=headers),  # 405
        client.get("/api/v1/no-such-thing", headers=headers),  # 404 route
    ]
    for resp in responses:
        assert 400 <= resp.status_code < 500, resp.text
        error = resp.json()["error"]
        assert set(error) == {"code", "message", "details"} and error["code"] and error["message"]


def test_health(client):
    assert client.get("/healthz").json()["status"] == "ok"
