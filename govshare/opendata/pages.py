"""The public open data portal's pages (no sign-in): search with facets, a dataset page with metadata,
items, a preview and downloads, and the datasets of one department.

Pages call the same service as the CKAN API (`govshare.opendata.service`) and share its rate limit
per client IP address; a signed-in user sees the console navigation as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from govshare.core import i18n
from govshare.core.i18n import N_
from govshare.opendata import service
from govshare.opendata.endpoints import retry_after
from govshare.web.console import (
    NAV, ConsoleRoute, NavItem, Pager, Viewer, db, optional_viewer, render, render_error, request_lang,
)


class PublicRoute(ConsoleRoute):
    """Console route with the open data rate limit per client IP: over it, a 429 page with Retry-After."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            from fastapi.concurrency import run_in_threadpool
            retry = await run_in_threadpool(retry_after, request)
            if retry:
                response = render_error(request, 429, "rate_limited")
                response.headers["Retry-After"] = str(retry)
                return response
            return await handler(request)

        return limited


router = APIRouter(route_class=PublicRoute, include_in_schema=False)

NAV.append(NavItem("opendata", "/opendata", N_("Open data"), order=85))

PER_PAGE = 20
MAX_PAGE = 5000
FACET_FIELDS = ("organization", "tags", "res_format", "open_type")
SORT_OPTIONS = (("score desc", N_("Relevance")), ("metadata_modified desc", N_("Recently updated")),
                ("title_string asc", N_("Name")))
FACET_PARAMS = {"organization": "org", "tags": "tag", "res_format": "format", "open_type": "open_type"}
FACET_TITLES = {"organization": N_("Department"), "tags": N_("Theme"), "res_format": N_("Format"),
                "open_type": N_("Open type")}


def _url(request: Request, **changes) -> str:
    """The current search URL with some parameters set (None removes one); paging starts again."""
    params = {k: v for k, v in request.query_params.items() if k != "page" and v != ""}
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return request.url.path + ("?" + urlencode(params) if params else "")


def _listing(request: Request, session: Session, *, q: str, org: str, tag: str, fmt: str, open_type: str,
             sort: str, page: int, org_row=None) -> Response:
    lang = request_lang(request)
    _ = i18n.translator(lang)
    sort_value = sort if sort in {s for s, _label in SORT_OPTIONS} else ""
    query = service.DatasetQuery(
        q=q.strip() or None, orgs=[org_row.code] if org_row is not None else ([org] if org else []),
        tags=[tag] if tag else [], formats=[fmt] if fmt else [],
        open_types=[open_type] if open_type in service.PUBLIC_OPEN_TYPES else [],
        sort=sort_value or None, rows=PER_PAGE, start=(page - 1) * PER_PAGE,
        facets=[f for f in FACET_FIELDS if not (org_row is not None and f == "organization")])
    found = service.search_datasets(session, query)
    selected = {"organization": org, "tags": tag, "res_format": fmt, "open_type": open_type}
    facets = []
    for name in query.facets:
        items = []
        for value, display, count in found.facets.get(name, []):
            param = FACET_PARAMS[name]
            is_selected = selected[name] == value
            text = i18n.label(lang, "open_type", value) if name == "open_type" else display
            items.append({"text": text, "count": count, "selected": is_selected,
                          "href": _url(request, **{param: None if is_selected else value})})
        if items:
            facets.append({"title": _(FACET_TITLES[name]), "items": items})
    pager = Pager.build(request, page, PER_PAGE, found.count)
    filtered = any([q.strip(), org, tag, fmt, open_type])
    return render(request, "opendata/index.html", {
        "active_nav": "opendata",
        "datasets": [_summary(e) for e in found.entries],
        "count": found.count,
        "pager": pager,
        "facets": facets,
        "values": {"q": q, "sort": sort_value, "org": org, "tag": tag, "format": fmt, "open_type": open_type},
        "sort_options": [(value, _(msgid)) for value, msgid in SORT_OPTIONS],
        "filtered": filtered,
        "past_last_page": page > pager.pages and found.count > 0,
        "org": org_row,
        "action": request.url.path,
        "clear_url": request.url.path,
    })


def _summary(entry) -> dict:
    return {"slug": service.slug(entry), "name": entry.name, "summary": entry.summary,
            "provider": entry.provider.name, "provider_slug": service.org_slug(entry.provider),
            "open_type": entry.open_type, "updated_at": entry.updated_at, "has_data": service.has_data(entry),
            "row_count": entry.row_count, "tags": service.tags(entry),
            "formats": [label for label, _m in service.DOWNLOAD_FORMATS.values()] if service.has_data(entry) else []}


@router.get("/opendata")
def index(request: Request, q: str = Query("", max_length=200), org: str = Query("", max_length=40),
          tag: str = Query("", max_length=50), format: str = Query("", max_length=10),
          open_type: str = Query("", max_length=16), sort: str = Query("", max_length=40),
          page: int = Query(1, ge=1, le=MAX_PAGE), _viewer: Viewer | None = Depends(optional_viewer),
          session: Session = db):
    return _listing(request, session, q=q, org=org, tag=tag, fmt=format, open_type=open_type, sort=sort, page=page)


@router.get("/opendata/organizations")
def organizations(request: Request, _viewer: Viewer | None = Depends(optional_viewer), session: Session = db):
    rows = service.public_organizations(session)
    return render(request, "opendata/organizations.html", {
        "active_nav": "opendata",
        "organizations": [{"slug": service.org_slug(o), "name": o.name, "code": o.code, "count": n} for o, n in rows],
    })


@router.get("/opendata/organizations/{ref}")
def organization(request: Request, ref: str, q: str = Query("", max_length=200), tag: str = Query("", max_length=50),
                 format: str = Query("", max_length=10), open_type: str = Query("", max_length=16),
                 sort: str = Query("", max_length=40), page: int = Query(1, ge=1, le=MAX_PAGE),
                 _viewer: Viewer | None = Depends(optional_viewer), session: Session = db):
    org = service.get_public_org(session, ref)
    return _listing(request, session, q=q, org=service.org_slug(org), tag=tag, fmt=format, open_type=open_type,
                    sort=sort, page=page, org_row=org)


@router.get("/opendata/datasets/{ref}")
def dataset(request: Request, ref: str, viewer: Viewer | None = Depends(optional_viewer), session: Session = db):
    entry = service.get_public_entry(session, ref)
    lang = request_lang(request)
    slug = service.slug(entry)
    columns = {c.name: c for c in service.open_columns(entry)} if entry.open_type == "open" else {}
    items = []
    for item in entry.items:
        if entry.open_type == "open" and item.name not in columns:
            continue  # dropped, or personal without a generalisation: not even named
        column = columns.get(item.name)
        items.append({"name": item.name, "label": item.label, "data_type": item.data_type,
                      "description": item.description, "generalised": bool(column and column.generalised),
                      "personal": item.pi_kind != "none"})
    preview = service.preview(session, entry)
    base = str(request.base_url).rstrip("/")
    return render(request, "opendata/dataset.html", {
        "active_nav": "opendata",
        "entry": entry,
        "slug": slug,
        "org_slug": service.org_slug(entry.provider),
        "tags": service.tags(entry),
        "items": items,
        "preview": preview,
        "has_data": service.has_data(entry),
        "downloads": [{"fmt": fmt, "label": label, "href": f"/opendata/datasets/{slug}/download.{fmt}"}
                      for fmt, (label, _m) in service.DOWNLOAD_FORMATS.items()] if service.has_data(entry) else [],
        # Sign in, then the entry's catalog page, where "Request access" files the access request.
        "apply_url": "/login?next=" + quote(f"/catalog/{entry.id}", safe="/") if viewer is None
        else f"/catalog/{entry.id}",
        "api": {
            "package_show": f"{base}/api/3/action/package_show?{urlencode({'id': slug})}",
            "datastore": f"{base}/api/3/action/datastore_search?{urlencode({'resource_id': entry.id + '-csv'})}"
            if service.has_data(entry) else None,
            "ttl": f"/opendata/datasets/{slug}.ttl", "jsonld": f"/opendata/datasets/{slug}.jsonld",
        },
        "license": {"title": service.LICENSE_TITLE, "url": service.LICENSE_URL},
        "lang": lang,
    })
