"""Open data HTTP endpoints: DCAT-AP documents, downloads (`router`) and CKAN's Action API (`ckan_router`,
also served under `/api/action` where ckanapi and older CKAN clients call it). Public: no sign-in,
a rate limit per client IP address (`GOVSHARE_OPENDATA_RATE_PER_MINUTE`)."""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from govshare.core.config import get_settings
from govshare.core.database import session_scope
from govshare.core.errors import RateLimited
from govshare.core.ratelimit import client_address, limiter
from govshare.exchange.service import dumps
from govshare.opendata import ckan, dcat, service

# Not in /api/v1/openapi.json (the versioned API's contract): these follow DCAT-AP and CKAN's own API.
router = APIRouter(tags=["open data"], include_in_schema=False)
ckan_router = APIRouter(prefix="/api/3/action", tags=["open data (CKAN API)"], include_in_schema=False)


def retry_after(request: Request) -> int:
    """0 when the client may go ahead, else the seconds until its minute ends."""
    return limiter().hit("opendata:" + client_address(request), get_settings().opendata_rate_per_minute)


def check_rate(request: Request) -> None:
    retry = retry_after(request)
    if retry:
        limit = get_settings().opendata_rate_per_minute
        raise RateLimited(f"more than {limit} open data requests per minute from this address",
                          headers={"Retry-After": str(retry)}, details={"retry_after": retry})


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# ---- DCAT-AP ---------------------------------------------------------------------------------------

def _rdf(body: bytes, fmt: str) -> Response:
    media = "text/turtle; charset=utf-8" if fmt == "ttl" else "application/ld+json"
    return Response(body, media_type=media, headers={"Access-Control-Allow-Origin": "*"})


@router.get("/opendata/catalog.ttl", response_class=Response)
def catalog_ttl(request: Request, page: int = Query(1, ge=1, le=100_000)):
    """The DCAT-AP 3.0 catalog of public datasets (Turtle), 1,000 datasets per page (Hydra paging)."""
    check_rate(request)
    with session_scope(read_only=True) as session:
        return _rdf(dcat.catalog_document(session, base_url(request), "ttl", page), "ttl")


@router.get("/opendata/catalog.jsonld", response_class=Response)
def catalog_jsonld(request: Request, page: int = Query(1, ge=1, le=100_000)):
    """The DCAT-AP 3.0 catalog of public datasets (JSON-LD)."""
    check_rate(request)
    with session_scope(read_only=True) as session:
        return _rdf(dcat.catalog_document(session, base_url(request), "jsonld", page), "jsonld")


@router.get("/opendata/datasets/{ref}.ttl", response_class=Response)
def dataset_ttl(request: Request, ref: str):
    check_rate(request)
    with session_scope(read_only=True) as session:
        return _rdf(dcat.dataset_document(session, base_url(request), ref, "ttl"), "ttl")


@router.get("/opendata/datasets/{ref}.jsonld", response_class=Response)
def dataset_jsonld(request: Request, ref: str):
    check_rate(request)
    with session_scope(read_only=True) as session:
        return _rdf(dcat.dataset_document(session, base_url(request), ref, "jsonld"), "jsonld")


# ---- downloads -------------------------------------------------------------------------------------

def content_disposition(filename: str) -> str:
    """attachment with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987)."""
    fallback = "".join(c if c.isascii() and c.isalnum() or c in "._-" else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


@router.get("/opendata/datasets/{ref}/download.{fmt}", response_class=StreamingResponse)
def download(request: Request, ref: str, fmt: str):
    """The whole dataset as CSV (UTF-8 with BOM), JSON (an array of records) or XLSX, streamed.
    Only `open` datasets with mounted data; personal items are never included."""
    check_rate(request)
    with session_scope(read_only=True) as session:
        found = service.download(session, ref, fmt)
    return StreamingResponse(found.chunks, media_type=found.media_type, headers={
        "Content-Disposition": content_disposition(found.filename), "Access-Control-Allow-Origin": "*"})


# ---- CKAN Action API --------------------------------------------------------------------------------

async def _params(request: Request) -> dict | None:
    params: dict = dict(request.query_params)
    if request.method == "POST":
        body = await request.body()
        if body.strip():
            content_type = request.headers.get("content-type", "")
            if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                form = await request.form()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
            else:
                try:
                    data = json.loads(body)
                except ValueError:
                    return None
                if not isinstance(data, dict):
                    return None
                params.update(data)
    return params


def _run(action: str, params: dict, base: str) -> tuple[int, dict]:
    with session_scope(read_only=True) as session:
        return ckan.run(session, action, params, base)


async def ckan_action(request: Request, action: str):
    base = base_url(request)
    help_url = f"{base}/api/3/action/help_show?name={action}"
    retry = await run_in_threadpool(retry_after, request)
    if retry:
        return JSONResponse({"help": help_url, "success": False, "error": {
            "__type": "Rate Limit Error", "message": "Too many requests; retry after %d seconds" % retry}},
            status_code=429, headers={"Retry-After": str(retry)})
    params = await _params(request)
    if params is None:
        return JSONResponse({"help": help_url, "success": False, "error": {
            "__type": "Bad Request", "message": "Bad request - JSON Error: the body is not a JSON object"}},
            status_code=400)
    status, body = await run_in_threadpool(_run, action, params, base)
    # orjson via exchange's `dumps`: PostgreSQL hands dates and decimals over as Python objects.
    return Response(dumps(body), status_code=status, media_type="application/json",
                    headers={"Access-Control-Allow-Origin": "*"})


ckan_router.add_api_route("/{action}", ckan_action, methods=["GET", "POST"],
                          summary="Call a CKAN action (package_search, package_show, datastore_search, ...)")
router.add_api_route("/api/action/{action}", ckan_action, methods=["GET", "POST"], include_in_schema=False)
