"""Route dispatch that does not walk routers a path cannot belong to.

FastAPI (0.16x) keeps an included router as one entry of the app's route list and matches a request
against it by walking each of its routes, with per-route bookkeeping in the request scope: about 3 µs a
route. With ~150 routes in ~20 routers, a console page near the end of the list, the CKAN API or a
404 paid ~0.4 ms before any work, and a governed lookup, in the first router, ~14 µs.

`index_routes` gives each included router a guard made of its routes' paths (prefixes of enclosing
routers included): the whole path of a route without parameters, which matches that path only, and
the literal beginning (up to the first parameter) of the others. A path that is none of the former
and starts with none of the latter can match none of its routes, neither fully nor partially (a
partial match needs the path to match too), so the router answers "no match" at once, as its own walk
would have. Everything else is FastAPI's own matching, unchanged, in the same order.
"""

from __future__ import annotations

from starlette._utils import get_route_path  # what Starlette's own routes match against
from starlette.routing import BaseRoute, Match, Mount, Route, WebSocketRoute
from starlette.types import Scope


def _is_included_router(route: BaseRoute) -> bool:
    return hasattr(route, "original_router") and hasattr(route, "include_context")


def _literal_beginnings(route: BaseRoute, prefix: str) -> list[str] | None:
    """What the paths `route` can match look like, or None when that is not known: a path ending in
    "{" stands for its literal beginning (a parameter follows), any other for itself only."""
    if _is_included_router(route):
        inner = prefix + (route.include_context.prefix or "")
        found: list[str] = []
        for child in route.original_router.routes:
            beginnings = _literal_beginnings(child, inner)
            if beginnings is None:
                return None
            found.extend(beginnings)
        return found
    if isinstance(route, Mount):  # matches `path` + "/…"
        return [prefix + route.path + "{"]
    if isinstance(route, (Route, WebSocketRoute)) or hasattr(route, "path_format"):
        path = getattr(route, "path_format", None) or getattr(route, "path", None)
        if not isinstance(path, str):
            return None
        literal, brace, _ = path.partition("{")
        return [prefix + literal + brace]
    return None  # a Host route or an unknown kind: no guard for the router holding it


def index_routes(app) -> int:
    """Guard every included router of `app` (nested ones too); how many were guarded."""
    return sum(_guard(route, "") for route in app.router.routes if _is_included_router(route))


def _guard(router: BaseRoute, prefix: str) -> int:
    guarded = 0
    inner = prefix + (router.include_context.prefix or "")
    for child in router.original_router.routes:
        if _is_included_router(child):
            guarded += _guard(child, inner)
    beginnings = _literal_beginnings(router, prefix)
    if beginnings is None:
        return guarded
    paths = set(beginnings)
    exact = frozenset(p for p in paths if not p.endswith("{"))
    starts = tuple(sorted(p[:-1] for p in paths if p.endswith("{")))
    walk = router.matches

    def matches(scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] in ("http", "websocket"):
            path = get_route_path(scope)
            if path not in exact and not path.startswith(starts):
                return Match.NONE, {}
        return walk(scope)

    router.matches = matches  # this router object only; FastAPI calls `route.matches(scope)`
    return guarded + 1
