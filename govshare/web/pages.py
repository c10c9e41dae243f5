"""Console pages: sign-in, the catalog (browse, search, filters), an entry with its mount state,
versions and load reports, and uploading data to an entry.

Pages stay thin: parse the request, resolve the viewer, call the same services as the API, render.
The shared machinery (layout, errors, CSRF, flash, paging) is in `govshare.web.console`.
"""

from __future__ import annotations

import secrets
from types import SimpleNamespace
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from govshare.catalog import service as catalog
from govshare.catalog.vocab import Category, EntryFormat, EntryStatus, OpenType, ShareType, UpdateCycle
from govshare.core import i18n
from govshare.core.config import get_settings
from govshare.core.database import session_scope
from govshare.core.errors import GovShareError, InvalidInput, RateLimited, Unauthorized, Unavailable
from govshare.core.i18n import N_
from govshare.core.ratelimit import client_address, retry_minutes
from govshare.mounting import loader
from govshare.mounting import service as mounting
from govshare.mounting.models import DataLoad
from govshare.orgs import service as orgs
from govshare.sharing import service as sharing
from govshare.orgs.auth import SESSION_COOKIE, end_console_session, start_console_session
from govshare.orgs.endpoints import set_session_cookie
from govshare.web.catalog_pages import describe_change
from govshare.web.catalog_pages import router as catalog_forms_router
from govshare.web.console import (
    LANG_COOKIE_MAX_AGE, LOGIN_CSRF_COOKIE, STATIC_DIR, ConsoleRoute, LoginRequired, Message, Pager, Viewer,
    check_csrf, csrf_failed, db, error_details, error_text, flash, form_viewer, load_viewer, login_url,
    optional_viewer, redirect, render, request_lang, require_viewer, safe_next, translator, vocab_options,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

PER_PAGE = 20
MAX_PAGE = 50_000
RECENT_LOADS = 10
CONSUMERS_SHOWN = 20
UPLOAD_ACCEPT = ".csv,.tsv,.txt,.xlsx,.xlsm,.json,.jsonl,.ndjson,.parquet"


def mount_static(app) -> None:
    """Serve the console's CSS and JS from the package (no CDN: platforms may run offline)."""
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")


# ---- language, home, sign-in ------------------------------------------------------------------

@router.get("/lang/{lang}")
def switch_language(lang: str, next: str | None = None):
    response = redirect(safe_next(next) or "/")
    chosen = i18n.normalize(lang)
    if chosen:
        response.set_cookie(i18n.LANG_COOKIE, chosen, max_age=LANG_COOKIE_MAX_AGE, httponly=True,
                            secure=get_settings().secure_cookies, samesite="lax", path="/")
    return response


@router.get("/")
def home(viewer: Viewer | None = Depends(optional_viewer)):
    if viewer is None:
        return redirect("/login")
    return redirect("/me/record" if "citizen" in viewer.roles else "/dashboard")


def _login_page(request: Request, *, next_url: str | None, username: str = "", errors: dict | None = None,
                status: int = 200, token: str | None = None) -> HTMLResponse:
    token = token or request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, "login.html", {"next_url": next_url or "", "username": username,
                                              "errors": errors or {}, "login_token": token},
                      status=status, page_url=login_url(next_url))
    # Before sign-in there is no session to hold a CSRF token: the form's token must match this cookie.
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True,
                        secure=get_settings().secure_cookies, samesite="strict", path="/login")
    return response


@router.get("/login")
def login_form(request: Request, next: str | None = None, viewer: Viewer | None = Depends(optional_viewer)):
    if viewer is not None:
        return redirect(safe_next(next) or "/catalog")
    return _login_page(request, next_url=safe_next(next))


@router.post("/login")
def login_submit(request: Request, username: str = Form("", max_length=200), password: str = Form("", max_length=1000),
                 next: str = Form("", max_length=2000), csrf_token: str = Form("", max_length=200),
                 session: Session = db):
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not csrf_token or not secrets.compare_digest(expected, csrf_token):
        raise csrf_failed()
    _ = translator(request)
    next_url = safe_next(next)
    username = username.strip()
    errors = {}
    if not username:
        errors["username"] = _("Enter your username.")
    if not password:
        errors["password"] = _("Enter your password.")
    if errors:
        return _login_page(request, next_url=next_url, username=username, errors=errors, status=422)
    try:
        user = orgs.authenticate_user(session, username, password, client_address(request))
    except Unauthorized:
        return _login_page(request, next_url=next_url, username=username, status=401,
                           errors={"password": _("Wrong username or password.")})
    except RateLimited as exc:
        response = _login_page(request, next_url=next_url, username=username, status=429, errors={
            "password": _("Too many failed sign-ins. Try again in %(minutes)s minutes.",
                          minutes=retry_minutes(exc.details["retry_after"]))})
        response.headers.update(exc.headers)
        return response
    except Unavailable as exc:  # the shared sign-in counters cannot be reached: refused, never unchecked
        response = _login_page(request, next_url=next_url, username=username, status=503, errors={
            "password": _("Sign-in is unavailable just now. Try again shortly.")})
        response.headers.update(exc.headers)
        return response
    end_console_session(session, request.cookies.get(SESSION_COOKIE))  # never reuse an earlier session
    cookie, _csrf = start_console_session(session, user)
    response = redirect(next_url or "/")
    set_session_cookie(response, cookie)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, viewer: Viewer = Depends(form_viewer), session: Session = db):
    end_console_session(session, request.cookies.get(SESSION_COOKIE))
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    flash(response, N_("You have signed out."), "success")
    return response


# ---- catalog ------------------------------------------------------------------------------------

def _choice(value: str | None, allowed, field: str) -> str | None:
    """An optional filter value from a form select: '' means no filter; unknown values are refused."""
    if value is None or value == "":
        return None
    if value not in {getattr(a, "value", a) for a in allowed}:
        raise InvalidInput(f"{field}: unknown value", details=[{"field": field, "reason": "unknown value",
                                                                "value": value}])
    return value


def _org_options(session: Session) -> list[tuple[str, str]]:
    departments, _total = orgs.list_orgs(session, limit=2000)
    return [(o.code, o.name) for o in departments]


# Facets shown beside the results: (search-index facet, query parameter, heading).
FACETS = (
    ("cat", "category", N_("Category")),
    ("class", "class_code", N_("Classification")),
    ("prov", "provider", N_("Provider")),
    ("share", "share_type", N_("Share type")),
    ("open", "open_type", N_("Open type")),
    ("cycle", "update_cycle", N_("Update cycle")),
    ("fmt", "format", N_("Resource format")),
    ("mounted", "mounted", N_("Data mounted")),
)
FACET_VOCABULARY = {"cat": "category", "share": "share_type", "open": "open_type", "cycle": "update_cycle",
                    "fmt": "format"}
SORT_OPTIONS = (("relevance", N_("Relevance")), ("updated", N_("Recently updated")), ("name", N_("Name")))
FACET_SHOWN = 8  # values per facet before "more" (the rest stay in a <details>)


def _toggle_url(request: Request, param: str, value: str) -> tuple[str, bool]:
    """The catalog URL with `param` set to `value`, or without it when it already is (unfilter);
    paging starts again."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in (param, "page") and v != ""]
    selected = request.query_params.get(param) == value
    if not selected:
        params.append((param, value))
    return "/catalog" + ("?" + urlencode(params) if params else ""), selected


def _facets(request: Request, lang: str, counts: dict) -> list[dict]:
    _ = i18n.translator(lang)
    out = []
    for name, param, heading in FACETS:
        values = []
        for f in counts.get(name, []):
            if name == "mounted":
                value, text = ("yes", _("Mounted")) if f.value == "1" else ("no", _("Not mounted"))
            elif name in FACET_VOCABULARY:
                value, text = f.value, i18n.label(lang, FACET_VOCABULARY[name], f.value)
            else:
                value, text = f.value, f.label or f.value
            href, selected = _toggle_url(request, param, value)
            values.append({"text": text, "count": f.count, "href": href, "selected": selected})
        if values:
            out.append({"name": param, "heading": _(heading), "values": values[:FACET_SHOWN],
                        "more": values[FACET_SHOWN:]})
    return out


@router.get("/catalog")
def catalog_page(
    request: Request,
    q: str = Query("", max_length=200),
    provider: str = Query("", max_length=32),
    category: str = "",
    class_code: str = Query("", max_length=8, pattern=r"^\d{0,8}$"),
    share_type: str = "",
    open_type: str = "",
    update_cycle: str = "",
    format: str = "",
    mounted: str = "",
    status: str = "",
    sort: str = "",
    page: int = Query(1, ge=1, le=MAX_PAGE),
    viewer: Viewer = Depends(require_viewer),
    session: Session = db,
):
    filters = catalog.SearchFilters(
        q=q.strip() or None,
        provider=provider.strip() or None,
        category=_choice(category, Category, "category"),
        class_code=class_code or None,
        share_type=_choice(share_type, ShareType, "share_type"),
        open_type=_choice(open_type, OpenType, "open_type"),
        update_cycle=_choice(update_cycle, UpdateCycle, "update_cycle"),
        format=_choice(format, EntryFormat, "format"),
        mounted={"": None, "yes": True, "no": False}[_choice(mounted, ("yes", "no"), "mounted") or ""],
        status=_choice(status, EntryStatus, "status"),
        sort=_choice(sort, catalog.SORTS, "sort") or "relevance",
    )
    entries, total = catalog.search_entries(session, filters, viewer.principal, PER_PAGE, (page - 1) * PER_PAGE)
    pager = Pager.build(request, page, PER_PAGE, total)
    lang = request_lang(request)
    _ = i18n.translator(lang)
    values = {"q": q, "provider": provider, "category": category, "class_code": class_code,
              "share_type": share_type, "open_type": open_type, "update_cycle": update_cycle, "format": format,
              "mounted": mounted, "status": status}
    return render(request, "catalog_list.html", {
        "active_nav": "catalog",
        "entries": entries,
        "pager": pager,
        "values": values,
        "sort": sort,
        "filtered": any(v for v in values.values()),
        "facets": _facets(request, lang, catalog.facet_counts(session, filters, viewer.principal)),
        "can_create": _may_write_catalog(viewer),
        # Past the last page (a stale link): offer the last page instead of an empty table.
        "past_last_page": page > pager.pages and total > 0,
        "options": {
            "provider": _org_options(session),
            "category": vocab_options(lang, "category"),
            "share_type": vocab_options(lang, "share_type"),
            "open_type": vocab_options(lang, "open_type"),
            "mounted": [("yes", _("Mounted")), ("no", _("Not mounted"))],
            # The blank choice is "published" (the default); drafts show only the viewer's own.
            "status": [o for o in vocab_options(lang, "entry_status") if o[0] != EntryStatus.published],
            "sort": [(code, _(msgid)) for code, msgid in SORT_OPTIONS],
        },
    })


def _may_write_catalog(viewer: Viewer, provider_org_id: str | None = None) -> bool:
    try:
        catalog.require_catalog_writer(viewer.principal, provider_org_id or viewer.principal.org_id)
    except GovShareError:
        return False
    return True


def _quality(loads) -> dict | None:
    """What the recent load reports say about the data's quality (until quality rules exist):
    the last load's result and problems, and how many of the recent loads were rejected."""
    if not loads:
        return None
    last = loads[0]
    return {"last_status": last.status, "last_errors": last.error_count, "last_warnings": last.warning_count,
            "failed": sum(1 for load in loads if load.status == "failed"), "recent": len(loads)}


def _can_load(viewer: Viewer, entry) -> bool:
    return mounting.may_load(viewer.principal, entry)


def entry_page(request: Request, session: Session, viewer: Viewer, entry_id: str, *, report=None,
               upload_error: dict | None = None, upload_mode: str = "replace", status: int = 200,
               messages: list[Message] | None = None) -> HTMLResponse:
    lang = request_lang(request)
    entry = catalog.get_entry(session, entry_id, viewer.principal)
    can_load = _can_load(viewer, entry)
    versions = catalog.list_versions(session, entry.id, viewer.principal)
    loads, loads_total = mounting.list_loads(session, entry.id, viewer.principal, limit=RECENT_LOADS)
    provider_side = viewer.principal.is_platform_admin or viewer.principal.org_id == entry.provider_org_id
    consumers, consumers_total = (sharing.entry_consumers(session, entry.id, viewer.principal, limit=CONSUMERS_SHOWN)
                                  if provider_side else ([], 0))
    return render(request, "entry.html", {
        "can_write": _may_write_catalog(viewer, entry.provider_org_id),
        "provider_side": provider_side,
        # Consumers file access requests; the provider's own users and citizens do not.
        "can_request": (not provider_side and entry.status == EntryStatus.published
                        and "citizen" not in viewer.roles),
        "consumers": consumers,
        "consumers_total": consumers_total,
        "quality": _quality(loads),
        "active_nav": "catalog",
        "entry": catalog.entry_read(entry),
        "versions": [{"version": v.version, "status": v.status, "changed_at": v.changed_at,
                      "changed_by": v.changed_by, "note": v.note,
                      "changes": [describe_change(lang, c) for c in (v.diff or [])]}
                     for v in reversed(versions)],
        "loads": loads,
        "loads_total": loads_total,
        "can_load": can_load,
        "report": report,
        "upload_error": upload_error or {},
        "upload_mode": upload_mode,
        "mode_options": [(m, i18n.label(lang, "load_mode", m)) for m in loader.MODES],
        "upload_accept": UPLOAD_ACCEPT,
        "max_upload_bytes": get_settings().max_upload_bytes,
    }, status=status, messages=messages, page_url=f"/catalog/{entry.id}")


# The entry form, publish/withdraw, versions and sources; before /catalog/{entry_id}, which would
# otherwise take /catalog/new.
router.include_router(catalog_forms_router)


@router.get("/catalog/{entry_id}")
def entry_detail(request: Request, entry_id: str, viewer: Viewer = Depends(require_viewer), session: Session = db):
    return entry_page(request, session, viewer, entry_id)


@router.get("/catalog/{entry_id}/upload")
def upload_get(entry_id: str, _viewer: Viewer = Depends(require_viewer)):
    # The upload result page lives at the POST URL; reloading it with GET goes back to the entry.
    return redirect(f"/catalog/{entry_id}")


def _failure_report(exc: GovShareError):
    """The stored report of a failed load when there is one, else the error's own details."""
    load_id = exc.details.get("load_id") if isinstance(exc.details, dict) else None
    if load_id:
        with session_scope(read_only=True) as session:
            record = session.get(DataLoad, load_id)
            if record is not None:
                return record
    errors = error_details(exc)
    count = exc.details.get("error_count") if isinstance(exc.details, dict) else None
    return SimpleNamespace(status="failed", message=exc.message, error_count=count or len(errors), errors=errors,
                           warning_count=0, warnings=[], rows_read=0, inserted=0, updated=0, deleted=0, unchanged=0,
                           format=None, encoding=None, duration_ms=None, filename=None, mode=None)


def _render_entry(request: Request, viewer: Viewer, entry_id: str, **kwargs) -> HTMLResponse:
    with session_scope(read_only=True) as session:
        return entry_page(request, session, viewer, entry_id, **kwargs)


@router.post("/catalog/{entry_id}/upload")
async def upload(request: Request, entry_id: str):
    """Multipart form: csrf_token, mode, file. Renders the entry page with the load report."""
    viewer = await run_in_threadpool(load_viewer, request)
    if viewer is None:
        raise LoginRequired(f"/catalog/{entry_id}")
    # Refuse before reading a possibly large body: unknown entry, or not the provider.
    await run_in_threadpool(mounting.check_can_load, entry_id, viewer.principal)
    mounting.check_declared_size(request.headers.get("content-length"), multipart=True)
    form = await request.form(max_files=1, max_fields=20)
    try:
        check_csrf(viewer, form.get("csrf_token"))
        _ = translator(request)
        mode = form.get("mode") or "replace"
        upload_file = form.get("file")
        try:
            mounting.check_mode(mode)
        except InvalidInput:
            return await run_in_threadpool(_render_entry, request, viewer, entry_id, status=422,
                                           upload_error={"mode": _("Choose one of the load modes.")})
        if upload_file is None or isinstance(upload_file, str) or not upload_file.filename:
            return await run_in_threadpool(_render_entry, request, viewer, entry_id, status=422, upload_mode=mode,
                                           upload_error={"file": _("Choose a file to upload.")})

        def chunks():
            while chunk := upload_file.file.read(1 << 20):
                yield chunk
        try:
            saved = await run_in_threadpool(mounting.save_stream, chunks(), None, upload_file.filename)
            record = await run_in_threadpool(mounting.load_upload, entry_id, saved, upload_file.filename, mode,
                                             viewer.principal)
        except GovShareError as exc:
            if exc.status_code in (401, 403, 404):
                raise
            report = await run_in_threadpool(_failure_report, exc)
            message = Message(error_text(request_lang(request), exc.status_code, exc.code), "error")
            return await run_in_threadpool(_render_entry, request, viewer, entry_id, report=report,
                                           status=exc.status_code, messages=[message], upload_mode=mode)
        message = Message(_("Loaded %(file)s: the data is now mounted.", file=upload_file.filename), "success")
        return await run_in_threadpool(_render_entry, request, viewer, entry_id, report=record, messages=[message],
                                       upload_mode=mode)
    finally:
        await form.close()

