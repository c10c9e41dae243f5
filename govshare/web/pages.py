"""Console pages: sign-in, the catalog (browse, search, filters), an entry with its mount state,
versions and load reports, and uploading data to an entry.

Pages stay thin: parse the request, resolve the viewer, call the same services as the API, render.
The shared machinery (layout, errors, CSRF, flash, paging) is in `govshare.web.console`.
"""

from __future__ import annotations

import secrets
from types import SimpleNamespace

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from govshare.catalog import service as catalog
from govshare.catalog.vocab import Category, EntryStatus, OpenType, ShareType
from govshare.core import i18n
from govshare.core.config import get_settings
from govshare.core.database import session_scope
from govshare.core.errors import GovShareError, InvalidInput, Unauthorized
from govshare.core.i18n import N_
from govshare.mounting import loader
from govshare.mounting import service as mounting
from govshare.mounting.models import DataLoad
from govshare.orgs import service as orgs
from govshare.orgs.auth import SESSION_COOKIE, end_console_session, start_console_session
from govshare.orgs.endpoints import set_session_cookie
from govshare.web.console import (
    LANG_COOKIE_MAX_AGE, LOGIN_CSRF_COOKIE, STATIC_DIR, ConsoleRoute, LoginRequired, Message, Pager, Viewer,
    check_csrf, csrf_failed, db, error_details, error_text, flash, form_viewer, load_viewer, login_url,
    optional_viewer, redirect, render, request_lang, require_viewer, safe_next, translator, vocab_options, yes_no,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

PER_PAGE = 20
MAX_PAGE = 50_000
RECENT_LOADS = 10
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
    return redirect("/me/record" if "citizen" in viewer.roles else "/catalog")


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
        user = orgs.authenticate_user(session, username, password)
    except Unauthorized:
        return _login_page(request, next_url=next_url, username=username, status=401,
                           errors={"password": _("Wrong username or password.")})
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


@router.get("/catalog")
def catalog_page(
    request: Request,
    q: str = Query("", max_length=200),
    provider: str = Query("", max_length=32),
    category: str = "",
    share_type: str = "",
    open_type: str = "",
    mounted: str = "",
    status: str = "",
    page: int = Query(1, ge=1, le=MAX_PAGE),
    viewer: Viewer = Depends(require_viewer),
    session: Session = db,
):
    filters = catalog.SearchFilters(
        q=q.strip() or None,
        provider=provider.strip() or None,
        category=_choice(category, Category, "category"),
        share_type=_choice(share_type, ShareType, "share_type"),
        open_type=_choice(open_type, OpenType, "open_type"),
        mounted={"": None, "yes": True, "no": False}[_choice(mounted, ("yes", "no"), "mounted") or ""],
        status=_choice(status, EntryStatus, "status"),
    )
    entries, total = catalog.search_entries(session, filters, viewer.principal, PER_PAGE, (page - 1) * PER_PAGE)
    pager = Pager.build(request, page, PER_PAGE, total)
    lang = request_lang(request)
    _ = i18n.translator(lang)
    values = {"q": q, "provider": provider, "category": category, "share_type": share_type,
              "open_type": open_type, "mounted": mounted, "status": status}
    return render(request, "catalog_list.html", {
        "active_nav": "catalog",
        "entries": entries,
        "pager": pager,
        "values": values,
        "filtered": any(v for v in values.values()),
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
        },
    })


# Labels of the fields a version diff may name.
FIELD_LABELS = {
    "name": N_("Name"), "summary": N_("Summary"), "category": N_("Category"), "class_path": N_("Classification"),
    "format": N_("Resource format"), "share_type": N_("Share type"), "share_condition": N_("Share condition"),
    "share_methods": N_("Share methods"), "open_type": N_("Open type"), "open_condition": N_("Open condition"),
    "update_cycle": N_("Update cycle"), "related_codes": N_("Related entries"), "status": N_("Status"),
    "label": N_("Label"), "data_type": N_("Data type"), "length": N_("Length"), "precision": N_("Precision"),
    "required": N_("Required"), "is_key": N_("Key"), "sensitivity": N_("Sensitivity"),
    "pi_kind": N_("Personal information"), "description": N_("Description"),
}
# Fields whose values are vocabulary codes, and the vocabulary that labels them.
FIELD_VOCABULARY = {
    "category": "category", "format": "format", "share_type": "share_type", "share_methods": "share_method",
    "open_type": "open_type", "update_cycle": "update_cycle", "status": "entry_status", "data_type": "data_type",
    "sensitivity": "sensitivity", "pi_kind": "pi_kind",
}


def describe_change(lang: str, change: dict) -> dict:
    """One diff line of a version for display: translated field name, old and new value as text."""
    _ = i18n.translator(lang)
    path = str(change.get("field", "")).split(".")
    field = path[-1]
    if path[0] == "items" and len(path) >= 2:
        item = _("Item %(name)s", name=path[1])
        name = item if len(path) == 2 else item + " · " + _(FIELD_LABELS.get(field, field))
    else:
        name = _(FIELD_LABELS[field]) if field in FIELD_LABELS else field
    vocabulary = FIELD_VOCABULARY.get(field) if not (path[0] == "items" and len(path) == 2) else None
    return {"field": name, "old": _display_value(lang, change.get("old"), vocabulary),
            "new": _display_value(lang, change.get("new"), vocabulary)}


def _display_value(lang: str, value, vocabulary: str | None) -> str:
    if value is None or value == [] or value == "":
        return "—"
    if isinstance(value, dict):  # a whole item added or removed
        data_type = i18n.label(lang, "data_type", value.get("data_type"))
        return f"{value.get('label', '')} ({value.get('name', '')}, {data_type})"
    if isinstance(value, bool):
        return yes_no(lang, value)
    if isinstance(value, list):
        return ", ".join(_display_value(lang, v, vocabulary) for v in value)
    return i18n.label(lang, vocabulary, value) if vocabulary else str(value)


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
    return render(request, "entry.html", {
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

