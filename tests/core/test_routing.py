"""The routers' guards (`core.routing.index_routes`) change how fast a request finds its route, never
which route it finds: for every route's path (and its neighbours), the guarded app matches exactly as
FastAPI's own walk does."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Match

from govshare.core.routing import index_routes


def _flat(routes):
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _flat(route.original_router.routes)
        else:
            yield route


def _concrete(path: str) -> str:
    path = re.sub(r"\{[^}:]+:path\}", "a/b", path)
    return re.sub(r"\{[^}]+\}", "x1", path)


def _sample_paths(app) -> set[str]:
    paths = {"/", "", "/nothing", "/api", "/api/v1", "/api/v1/", "/api/v1/nothing", "/static", "/static/x.css",
             "/api/v1/data", "/api/v1/data/x1", "/catalogue", "/opendata/", "/admin/", "/api/3/action"}
    for route in _flat(app.router.routes):
        path = getattr(route, "path_format", None) or getattr(route, "path", None)
        if isinstance(path, str):
            concrete = _concrete(path)
            paths |= {concrete, concrete + "/", concrete.rstrip("/"), concrete + "x", concrete + "/more"}
    return paths


def _dispatch(app, scope: dict, walk) -> tuple[int | None, int | None]:
    """(index of the first full match, index of the first partial one) over the app's route list."""
    full = partial = None
    for i, route in enumerate(app.router.routes):
        match, _ = walk(route, scope)
        if match == Match.FULL and full is None:
            full = i
        if match == Match.PARTIAL and partial is None:
            partial = i
    return full, partial


def test_guarded_routers_match_exactly_as_fastapis_walk(app):
    guarded = [route for route in app.router.routes if "matches" in vars(route)]
    assert len(guarded) >= 15  # every included router of the platform
    paths = _sample_paths(app)
    assert len(paths) > 400
    for path in sorted(paths):
        for method in ("GET", "POST", "PUT", "DELETE"):
            scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": [],
                     "query_string": b""}
            assert _dispatch(app, scope, lambda r, s: r.matches(s)) == \
                _dispatch(app, scope, lambda r, s: type(r).matches(r, s)), (method, path)


def test_a_guard_answers_no_match_without_walking_the_router(app):
    exchange = app.router.routes[3]
    assert "matches" in vars(exchange)
    scope = {"type": "http", "method": "GET", "path": "/api/v1/catalog/entries", "root_path": "", "headers": [],
             "query_string": b""}
    assert exchange.matches(scope) == (Match.NONE, {})


@pytest.mark.parametrize("path, status", [
    ("/healthz", 200),  # after every router
    ("/api/v1/ledger/public-key", 200),
    ("/no/such/page", 404),
])
def test_requests_still_reach_their_routes(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    if status == 404:
        assert response.json()["error"]["code"]


def test_a_wrong_method_is_still_405(client):
    response = client.delete("/api/v1/ledger/public-key")
    assert response.status_code == 405


def test_index_routes_is_idempotent_in_effect(app):
    """A second indexing wraps the guards again: the answers stay the same."""
    from govshare.app import create_app
    fresh = create_app()
    index_routes(fresh)
    scope = {"type": "http", "method": "GET", "path": "/api/v1/ledger/public-key", "root_path": "", "headers": [],
             "query_string": b""}
    assert _dispatch(fresh, scope, lambda r, s: r.matches(s)) == _dispatch(app, scope, lambda r, s: r.matches(s))
