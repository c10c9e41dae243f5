"""Console pages of sharing: the demand board, access requests and the approver's inbox, grants, API clients.

Thin pages over the same services as the API (`sharing.demands`, `sharing.service`, `orgs.service`):
who may see or do what is decided there; the pages only choose which forms to offer. Forms are
re-rendered with per-field errors (422) when the page's own checks or the service refuse them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session

from govshare.catalog import service as catalog
from govshare.catalog.vocab import EntryStatus
from govshare.core import i18n
from govshare.core.config import get_settings
from govshare.core.database import utcnow
from govshare.core.errors import Conflict, Forbidden, InvalidInput
from govshare.core.i18n import N_
from govshare.orgs import service as orgs
from govshare.orgs.roles import Role, Scope
from govshare.orgs.schemas import ClientCreate
from govshare.sharing import demands, masking
from govshare.sharing import service as sharing
from govshare.sharing.schemas import (
    AccessRequestCreate, ApproveBody, DemandAnswer, DemandClose, DemandCreate, RejectBody, RenewBody, RevokeBody,
)
from govshare.web.console import (
    NAV, ConsoleRoute, NavItem, Pager, Viewer, db, error_details, flash, form_viewer, redirect, render,
    request_lang, require_viewer, translator,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PER_PAGE = 20
MAX_PAGE = 50_000


def _is_consumer(v: Viewer) -> bool:
    return bool(v.roles & {Role.consumer.value, Role.org_admin.value})


def _in_department(v: Viewer) -> bool:
    return Role.citizen.value not in v.roles


NAV.extend([
    NavItem("demands", "/demands", N_("Data demands"), _in_department, order=20),
    NavItem("requests", "/access/requests", N_("My requests"), _is_consumer, order=25),
    NavItem("inbox", "/access/inbox", N_("Approval inbox"), lambda v: Role.approver.value in v.roles, order=30),
    NavItem("grants", "/access/grants", N_("Grants"),
            lambda v: bool(v.roles & {Role.consumer.value, Role.org_admin.value, Role.approver.value}), order=35),
    NavItem("clients", "/access/clients", N_("API clients"), _is_consumer, order=40),
])

# Labels of the sharing domain's codes (msgids; translated in the templates).
REQUEST_STATUS = {"pending": N_("Pending decision"), "approved": N_("Approved"), "rejected": N_("Rejected"),
                  "refused": N_("Refused (not shared)"), "escalated": N_("Escalated to the operator")}
GRANT_STATUS = {"active": N_("Active"), "expired": N_("Expired"), "revoked": N_("Revoked")}
DEMAND_STATUS = {"open": N_("Open"), "answered": N_("Answered"), "closed": N_("Closed")}
DEMAND_ANSWERS = {"exists": N_("The data is in the catalog"), "will_publish": N_("Will be published"),
                  "cannot_share": N_("Cannot be shared")}
METHODS = {"lookup": N_("Lookup"), "verify": N_("Verification"), "export": N_("Export"), "feed": N_("Change feed")}
POLICIES = {"clear": N_("In clear"), "mask": N_("Masked"), "pseudonym": N_("Pseudonym"), "drop": N_("Withheld")}
SCOPES = {Scope.data_read.value: N_("Read shared data"), Scope.data_write.value: N_("Load data"),
          Scope.catalog_write.value: N_("Edit the catalog")}
LABELS = {"request_status": REQUEST_STATUS, "grant_status": GRANT_STATUS, "demand_status": DEMAND_STATUS,
          "demand_answer": DEMAND_ANSWERS, "method": METHODS, "policy": POLICIES, "scope": SCOPES}

# The services' fixed field reasons, so that errors next to fields show in the page's language.
SERVICE_REASONS = (
    N_("at least one client is required"), N_("not a client of your department"), N_("client revoked"),
    N_("not an item of this entry"), N_("your department provides this entry"),
    N_("not requested: an approval may only narrow"), N_("grant at least one item, or reject"),
    N_("grant at least one method, or reject"), N_("not a granted item"), N_("must be today or later"),
    N_("not a published entry"), N_("provided by another department"), N_("today or later is required"),
    N_("legal basis required"),
)

DEMAND_TABS = {"open": N_("Open"), "overdue": N_("Overdue"), "unmet": N_("Unmet"), "closed": N_("Closed"),
               "to_me": N_("To my department"), "mine": N_("Filed by my department"), "all": N_("All")}
DEMAND_SORTS = {"": N_("Default order"), "wanted_by": N_("Wanted by (soonest first)"),
                "newest": N_("Newest first"), "oldest": N_("Oldest first")}
REQUEST_FILTERS = {"": N_("All"), "open": N_("Awaiting decision"), "overdue": N_("Overdue"),
                   "approved": N_("Approved"), "rejected": N_("Rejected"), "refused": N_("Refused (not shared)")}
INBOX_FILTERS = {"open": N_("Awaiting decision"), "overdue": N_("Overdue"), "approved": N_("Approved"),
                 "rejected": N_("Rejected"), "all": N_("All")}
REQUEST_SORTS = {"deadline": N_("Deadline (soonest first)"), "newest": N_("Newest first"),
                 "oldest": N_("Oldest first")}
GRANT_FILTERS = {"": N_("All"), "active": N_("Active"), "expired": N_("Expired"), "revoked": N_("Revoked")}
GRANT_SORTS = {"newest": N_("Newest first"), "expires": N_("Expiry (soonest first)")}


# ---- helpers ------------------------------------------------------------------------------------

def _staff(viewer: Viewer) -> Viewer:
    """Sharing pages are for people working in a department; a citizen's account sees only its record."""
    if not _in_department(viewer):
        raise Forbidden("citizens' accounts have no sharing pages", code="insufficient_permission")
    return viewer


def _choice(value: str, allowed, field: str) -> str:
    if value not in allowed:
        raise InvalidInput(f"{field}: unknown value", details=[{"field": field, "reason": "unknown value",
                                                                "value": value}])
    return value


def _attempt(request: Request, action: Callable[[], Any], messages: dict | None = None) -> tuple[Any, dict]:
    """Run a service call built from form values: (its result, {}), or (None, errors by field) when the
    schema or the service refuses the values."""
    try:
        return action(), {}
    except ValidationError as exc:
        return None, _pydantic_errors(request, exc, messages or {})
    except InvalidInput as exc:
        return None, _service_errors(request, exc)


def _service_errors(request: Request, exc: InvalidInput) -> dict[str, str]:
    """A service's field problems as {field: text in the page's language}; `_form` for the rest."""
    translations = i18n.get_translations(request_lang(request))
    out: dict[str, str] = {}
    for d in error_details(exc):
        field = str(d.get("field") or "_form").split(".")[0]
        text = translations.gettext(str(d.get("reason") or exc.message))
        if d.get("value") not in (None, ""):
            text += f" ({d['value']})"
        out[field] = out[field] + "; " + text if field in out else text
    if not out:
        out["_form"] = exc.message
    return out


def _pydantic_errors(request: Request, exc: ValidationError, messages: dict[str, str]) -> dict[str, str]:
    """Model validation errors per field, with the page's own wording for the fields it knows."""
    _ = translator(request)
    out: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err.get("loc") else "_form"
        out.setdefault(field, _(messages[field]) if field in messages else _("This value is not valid."))
    return out


def _int_or_none(value: str, field: str, errors: dict, request: Request, low: int, high: int) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        _ = translator(request)
        errors[field] = _("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
        return None
    return number


def _date_or_none(value: str, field: str, errors: dict, request: Request) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _ = translator(request)
        errors[field] = _("Enter a date as YYYY-MM-DD.")
        return None


def _options(request: Request, labels: dict[str, str]) -> list[tuple[str, str]]:
    _ = translator(request)
    return [(code, _(msgid)) for code, msgid in labels.items()]


def _tab_links(request: Request, path: str, param: str, labels: dict[str, str], current: str, keep: dict) -> list:
    _ = translator(request)
    out = []
    for code, msgid in labels.items():
        query = urlencode([(k, v) for k, v in {param: code, **keep}.items() if v])
        out.append({"href": path + ("?" + query if query else ""), "text": _(msgid), "current": code == current})
    return out


def _ctx(**kw) -> dict:
    return {"L": LABELS, **kw}


# ---- demands ------------------------------------------------------------------------------------

@router.get("/demands")
def demand_board(request: Request, tab: str = Query("open", max_length=20), sort: str = Query("", max_length=20),
                 page: int = Query(1, ge=1, le=MAX_PAGE), viewer: Viewer = Depends(require_viewer),
                 session: Session = db):
    _staff(viewer)
    _choice(tab, DEMAND_TABS, "tab")
    _choice(sort, DEMAND_SORTS, "sort")
    rows, total = demands.list_demands(session, viewer.principal, tab, PER_PAGE, (page - 1) * PER_PAGE,
                                       sort=sort or None)
    return render(request, "sharing/demands.html", _ctx(
        active_nav="demands", demands=[demands.demand_read(d) for d in rows], tab=tab, sort=sort,
        tabs=_tab_links(request, "/demands", "tab", DEMAND_TABS, tab, {"sort": sort}),
        sort_options=_options(request, DEMAND_SORTS), pager=Pager.build(request, page, PER_PAGE, total),
        can_file=viewer.principal.has_role(Role.consumer, Role.org_admin)))


def _demand_form(request: Request, session: Session, viewer: Viewer, values: dict | None = None,
                 errors: dict | None = None, status: int = 200):
    departments, _total = orgs.list_orgs(session, limit=2000)
    return render(request, "sharing/demand_new.html", _ctx(
        active_nav="demands", values=values or {"title": "", "description": "", "wanted_items": "", "purpose": "",
                                                "legal_basis": "", "wanted_by": "", "org_code": ""},
        departments=[(o.code, o.name) for o in departments if o.id != viewer.principal.org_id],
        errors=errors or {}), status=status)


@router.get("/demands/new")
def demand_new(request: Request, viewer: Viewer = Depends(require_viewer), session: Session = db):
    _staff(viewer)
    if not viewer.principal.has_role(Role.consumer, Role.org_admin):
        raise Forbidden("filing a demand needs the consumer role", code="insufficient_permission")
    return _demand_form(request, session, viewer)


@router.post("/demands/new")
def demand_create(request: Request, title: str = Form("", max_length=200), description: str = Form("", max_length=4000),
                  wanted_items: str = Form("", max_length=2000), purpose: str = Form("", max_length=2000),
                  legal_basis: str = Form("", max_length=1000), wanted_by: str = Form("", max_length=20),
                  org_code: str = Form("", max_length=18), viewer: Viewer = Depends(form_viewer),
                  session: Session = db):
    _staff(viewer)
    _ = translator(request)
    values = {"title": title, "description": description, "wanted_items": wanted_items, "purpose": purpose,
              "legal_basis": legal_basis, "wanted_by": wanted_by, "org_code": org_code}
    errors: dict[str, str] = {}
    if len(title.strip()) < 2 or len(title.strip()) > 100:
        errors["title"] = _("Give the demand a title (2 to 100 characters).")
    if len(purpose.strip()) < 2:
        errors["purpose"] = _("Say for what business the data is needed.")
    day = _date_or_none(wanted_by, "wanted_by", errors, request)
    if day is None and "wanted_by" not in errors:
        errors["wanted_by"] = _("Say by when the data is needed.")
    if errors:
        return _demand_form(request, session, viewer, values, errors, 422)
    demand, errors = _attempt(request, lambda: demands.create_demand(session, DemandCreate(
        title=title.strip(), description=description.strip(), wanted_items=wanted_items.strip(),
        purpose=purpose.strip(), legal_basis=legal_basis.strip(), wanted_by=day,
        org_code=org_code.strip() or None), viewer.principal))
    if errors:
        return _demand_form(request, session, viewer, values, errors, 422)
    response = redirect(f"/demands/{demand.id}")
    flash(response, N_("Demand filed. The platform suggests the catalog entries below."), "success")
    return response


def _demand_page(request: Request, session: Session, viewer: Viewer, demand_id: str, *, answer_values=None,
                 close_values=None, errors: dict | None = None, status: int = 200):
    demand = demands.get_demand(session, demand_id)
    read = demands.demand_read(demand)
    p = viewer.principal
    open_ = demand.status != "closed"
    can_answer = open_ and (p.is_platform_admin or (
        p.has_role(Role.org_admin, Role.approver) and demand.routed_org_id in (None, p.org_id)
        and demand.consumer_org_id != p.org_id))
    entries = []
    if can_answer and not p.is_platform_admin:
        found, _total = catalog.search_entries(
            session, catalog.SearchFilters(provider=viewer.org_code, status=EntryStatus.published.value), p, 200, 0)
        entries = [(e.id, f"{e.name} ({e.code})") for e in found]
    return render(request, "sharing/demand.html", _ctx(
        active_nav="demands", d=read, routed_name=demands.org_name(session, demand.routed_org_id),
        answered_name=demands.org_name(session, demand.answered_by_org_id),
        can_answer=can_answer, can_close=open_ and p.org_id == demand.consumer_org_id and p.kind == "user",
        entries=entries, answer_options=_options(request, DEMAND_ANSWERS),
        can_route=open_ and p.is_platform_admin,
        org_options=[(o.code, o.name) for o in orgs.list_orgs(session, limit=2000)[0]] if open_ and p.is_platform_admin
        else [],
        answer_values=answer_values or {"answer": "", "entry_id": "", "promised_by": "", "note": ""},
        close_values=close_values or {"satisfied": "", "rating": "", "comment": ""},
        errors=errors or {}), status=status, page_url=f"/demands/{demand.id}")


@router.get("/demands/{demand_id}")
def demand_detail(request: Request, demand_id: str, viewer: Viewer = Depends(require_viewer), session: Session = db):
    _staff(viewer)
    return _demand_page(request, session, viewer, demand_id)


@router.post("/demands/{demand_id}/answer")
def demand_answer(request: Request, demand_id: str, answer: str = Form("", max_length=20),
                  entry_id: str = Form("", max_length=64), promised_by: str = Form("", max_length=20),
                  note: str = Form("", max_length=2000), viewer: Viewer = Depends(form_viewer),
                  session: Session = db):
    _staff(viewer)
    _ = translator(request)
    values = {"answer": answer, "entry_id": entry_id, "promised_by": promised_by, "note": note}
    errors: dict[str, str] = {}
    if answer not in DEMAND_ANSWERS:
        errors["answer"] = _("Choose an answer.")
    day = _date_or_none(promised_by, "promised_by", errors, request)
    if answer == "exists" and not entry_id.strip():
        errors["entry_id"] = _("Choose the catalog entry that holds the data.")
    if answer == "will_publish" and day is None and "promised_by" not in errors:
        errors["promised_by"] = _("Say by when it will be published.")
    if answer == "cannot_share" and not note.strip():
        errors["note"] = _("Give the legal basis for not sharing.")
    if not errors:
        _answered, errors = _attempt(request, lambda: demands.answer_demand(session, demand_id, DemandAnswer(
            answer=answer, entry_id=entry_id.strip() or None, promised_by=day, note=note.strip()[:1000] or None),
            viewer.principal))
    if errors:
        session.rollback()
        return _demand_page(request, session, viewer, demand_id, answer_values=values, errors=errors, status=422)
    response = redirect(f"/demands/{demand_id}")
    flash(response, N_("Answer sent to the department that filed the demand."), "success")
    return response


@router.post("/demands/{demand_id}/route")
def demand_route(request: Request, demand_id: str, org_code: str = Form("", max_length=40),
                 viewer: Viewer = Depends(form_viewer), session: Session = db):
    """The operator hands the demand to the department that should answer it."""
    _staff(viewer)
    _ = translator(request)
    if not org_code.strip():
        return _demand_page(request, session, viewer, demand_id, status=422,
                            errors={"org_code": _("Choose a department.")})
    demands.route_demand(session, demand_id, org_code.strip(), viewer.principal)
    response = redirect(f"/demands/{demand_id}")
    flash(response, N_("Demand routed to the department."), "success")
    return response


@router.post("/demands/{demand_id}/close")
def demand_close(request: Request, demand_id: str, satisfied: str = Form("", max_length=5),
                 rating: str = Form("", max_length=5), comment: str = Form("", max_length=2000),
                 viewer: Viewer = Depends(form_viewer), session: Session = db):
    _staff(viewer)
    _ = translator(request)
    values = {"satisfied": satisfied, "rating": rating, "comment": comment}
    errors: dict[str, str] = {}
    if satisfied not in ("yes", "no"):
        errors["satisfied"] = _("Say whether the demand was met.")
    stars = _int_or_none(rating, "rating", errors, request, 1, 5)
    if stars is None and "rating" not in errors:
        errors["rating"] = _("Rate the answer from 1 to 5.")
    if satisfied == "no" and not comment.strip():
        errors["comment"] = _("Say what is still missing: it is kept as the reason the demand was not met.")
    if errors:
        return _demand_page(request, session, viewer, demand_id, close_values=values, errors=errors, status=422)
    demands.close_demand(session, demand_id, DemandClose(satisfied=satisfied == "yes", rating=stars,
                                                         comment=comment.strip()[:1000]), viewer.principal)
    response = redirect(f"/demands/{demand_id}")
    flash(response, N_("Demand closed. Thank you for the feedback."), "success")
    return response


# ---- access requests ----------------------------------------------------------------------------

@router.get("/access/requests")
def my_requests(request: Request, status: str = Query("", max_length=20), sort: str = Query("newest", max_length=20),
                page: int = Query(1, ge=1, le=MAX_PAGE), viewer: Viewer = Depends(require_viewer),
                session: Session = db):
    _staff(viewer)
    _choice(status, REQUEST_FILTERS, "status")
    _choice(sort, REQUEST_SORTS, "sort")
    now = utcnow()
    rows, total = sharing.list_requests(session, viewer.principal, "mine", status or None, PER_PAGE,
                                        (page - 1) * PER_PAGE, now=now, sort=sort)
    return render(request, "sharing/requests.html", _ctx(
        active_nav="requests", rows=[sharing.request_read(r, now) for r in rows], status=status, sort=sort,
        tabs=_tab_links(request, "/access/requests", "status", REQUEST_FILTERS, status, {"sort": sort}),
        sort_options=_options(request, REQUEST_SORTS), pager=Pager.build(request, page, PER_PAGE, total),
        can_file=_is_consumer(viewer)))


@router.get("/access/inbox")
def inbox(request: Request, status: str = Query("open", max_length=20), sort: str = Query("deadline", max_length=20),
          page: int = Query(1, ge=1, le=MAX_PAGE), viewer: Viewer = Depends(require_viewer), session: Session = db):
    _staff(viewer)
    if not viewer.principal.has_role(Role.approver, Role.org_admin):
        raise Forbidden("the inbox is for the department's approvers", code="insufficient_permission")
    _choice(status, INBOX_FILTERS, "status")
    _choice(sort, REQUEST_SORTS, "sort")
    now = utcnow()
    # Paged and ordered in the database (due_at is indexed): never the whole inbox in Python.
    rows, total = sharing.list_requests(session, viewer.principal, "inbox", None if status == "all" else status,
                                        PER_PAGE,
                                        (page - 1) * PER_PAGE, now=now, sort=sort)
    return render(request, "sharing/inbox.html", _ctx(
        active_nav="inbox", rows=[sharing.request_read(r, now) for r in rows], status=status, sort=sort,
        tabs=_tab_links(request, "/access/inbox", "status", INBOX_FILTERS, status, {"sort": sort}),
        sort_options=_options(request, REQUEST_SORTS), pager=Pager.build(request, page, PER_PAGE, total),
        can_decide=Role.approver.value in viewer.roles))


def _request_form(request: Request, session: Session, viewer: Viewer, entry_id: str, values: dict | None = None,
                  errors: dict | None = None, status: int = 200):
    entry = catalog.get_entry(session, entry_id, viewer.principal)
    clients = [c for c in orgs.list_clients(session, viewer.principal.org_id) if c.revoked_at is None]
    specs = catalog.item_specs(entry)
    if values is None:
        # Data minimisation: only the key items start ticked; the clerk adds what the business needs.
        values = {"items": [s.name for s in specs if s.is_key], "methods": sorted(sharing.offered_methods(entry)),
                  "client_ids": [c.client_id for c in clients] if len(clients) == 1 else [],
                  "purpose": "", "legal_basis": "", "duration_days": "365"}
    return render(request, "sharing/request_new.html", _ctx(
        active_nav="requests", entry=entry, specs=specs, methods=sorted(sharing.offered_methods(entry)),
        clients=clients, values=values, errors=errors or {}, own=entry.provider_org_id == viewer.principal.org_id,
        max_days=get_settings().max_grant_days), status=status, page_url=f"/access/requests/new?entry_id={entry.id}")


@router.get("/access/requests/new")
def request_new(request: Request, entry_id: str = Query(..., max_length=64), viewer: Viewer = Depends(require_viewer),
                session: Session = db):
    _staff(viewer)
    if not _is_consumer(viewer):
        raise Forbidden("filing requests needs the consumer role", code="insufficient_permission")
    return _request_form(request, session, viewer, entry_id)


@router.post("/access/requests/new")
def request_create(request: Request, entry_id: str = Form("", max_length=64), items: list[str] = Form([]),
                   methods: list[str] = Form([]), client_ids: list[str] = Form([]),
                   purpose: str = Form("", max_length=2000), legal_basis: str = Form("", max_length=2000),
                   duration_days: str = Form("365", max_length=10), viewer: Viewer = Depends(form_viewer),
                   session: Session = db):
    _staff(viewer)
    _ = translator(request)
    values = {"items": items, "methods": methods, "client_ids": client_ids, "purpose": purpose,
              "legal_basis": legal_basis, "duration_days": duration_days}
    errors: dict[str, str] = {}
    if not items:
        errors["items"] = _("Choose at least one item.")
    if not methods:
        errors["methods"] = _("Choose at least one way of using the data.")
    if not client_ids:
        errors["client_ids"] = _("Choose the API clients that will use the grant.")
    if len(purpose.strip()) < 2 or len(purpose.strip()) > 1000:
        errors["purpose"] = _("Say for what business the data is needed (2 to 1,000 characters).")
    if len(legal_basis.strip()) > 1000:
        errors["legal_basis"] = _("At most 1,000 characters.")
    days = _int_or_none(duration_days, "duration_days", errors, request, 1, get_settings().max_grant_days)
    if days is None and "duration_days" not in errors:
        errors["duration_days"] = _("Say for how many days the data is needed.")
    if not errors:
        req, errors = _attempt(request, lambda: sharing.file_request(session, AccessRequestCreate(
            entry_id=entry_id, items=items, methods=methods, client_ids=client_ids, purpose=purpose.strip(),
            legal_basis=legal_basis.strip(), duration_days=days), viewer.principal),
            {"methods": N_("Choose at least one way of using the data.")})
    if errors:
        session.rollback()
        return _request_form(request, session, viewer, entry_id, values, errors, 422)
    response = redirect(f"/access/requests/{req.id}")
    flash(response, {"pending": N_("Request filed. The providing department decides by the deadline shown."),
                     "approved": N_("Request granted at once: the entry is shared unconditionally."),
                     }.get(req.status, N_("Request refused: the entry is not shared.")),
          "success" if req.status != "refused" else "warning")
    return response


@router.get("/access/requests/{request_id}")
def request_detail(request: Request, request_id: str, viewer: Viewer = Depends(require_viewer),
                   session: Session = db):
    _staff(viewer)
    req = sharing.get_request(session, request_id, viewer.principal)
    try:
        sharing.decider_role(viewer.principal, req)
        can_decide = True
    except (Forbidden, Conflict):
        can_decide = False
    clients = {c.id: c for c in orgs.list_clients(session, req.consumer_org_id)} \
        if viewer.principal.org_id == req.consumer_org_id else {}
    return render(request, "sharing/request.html", _ctx(
        active_nav="requests" if viewer.principal.org_id == req.consumer_org_id else "inbox",
        r=sharing.request_read(req), can_decide=can_decide, clients=clients,
        provider_name=demands.org_name(session, req.provider_org_id)))


def _review_page(request: Request, session: Session, viewer: Viewer, request_id: str, *, values: dict | None = None,
                 errors: dict | None = None, status: int = 200):
    req = sharing.get_request(session, request_id, viewer.principal)
    sharing.decider_role(viewer.principal, req)  # Forbidden / Conflict as approve would answer
    floors = sharing.floor_policies(req)
    specs = {s.name: s for s in catalog.item_specs(req.entry)}
    rows = []
    for name in req.items:
        spec = specs.get(name)
        floor = floors.get(name, "clear")
        rows.append({"name": name, "label": spec.label if spec else name, "pi_kind": spec.pi_kind if spec else "none",
                     "floor": floor, "choices": [p for p in masking.POLICIES
                                                 if masking.strictness(p) >= masking.strictness(floor)]})
    if values is None:
        values = {"items": list(req.items), "methods": list(req.methods), "masking": floors,
                  "rate_limit_per_minute": "", "duration_days": str(req.duration_days), "note": "", "reason": ""}
    read = sharing.request_read(req)
    return render(request, "sharing/review.html", _ctx(
        active_nav="inbox", r=read, rows=rows, values=values, errors=errors or {},
        valid_until=utcnow() + timedelta(days=req.duration_days)), status=status,
        page_url=f"/access/requests/{req.id}/review")


@router.get("/access/requests/{request_id}/review")
def review(request: Request, request_id: str, viewer: Viewer = Depends(require_viewer), session: Session = db):
    _staff(viewer)
    return _review_page(request, session, viewer, request_id)


@router.post("/access/requests/{request_id}/approve")
def approve(request: Request, request_id: str, items: list[str] = Form([]), methods: list[str] = Form([]),
            masking_choice: list[str] = Form([], alias="masking"), rate_limit_per_minute: str = Form("", max_length=10),
            duration_days: str = Form("", max_length=10), note: str = Form("", max_length=2000),
            viewer: Viewer = Depends(form_viewer), session: Session = db):
    _staff(viewer)
    _ = translator(request)
    policies = {}
    for pair in masking_choice:  # each select posts "item=policy"
        name, _sep, policy = pair.partition("=")
        policies[name] = policy
    values = {"items": items, "methods": methods, "masking": policies, "rate_limit_per_minute": rate_limit_per_minute,
              "duration_days": duration_days, "note": note, "reason": ""}
    errors: dict[str, str] = {}
    if not items:
        errors["items"] = _("Grant at least one item, or reject the request.")
    if not methods:
        errors["methods"] = _("Grant at least one method, or reject the request.")
    if any(p not in masking.POLICIES for p in policies.values()):
        errors["masking"] = _("Choose a masking policy for each item.")
    rate = _int_or_none(rate_limit_per_minute, "rate_limit_per_minute", errors, request, 1, 1_000_000)
    days = _int_or_none(duration_days, "duration_days", errors, request, 1, 3650)
    if len(note) > 1000:
        errors["note"] = _("At most 1,000 characters.")
    if not errors:
        _approved, errors = _attempt(request, lambda: sharing.approve(session, request_id, ApproveBody(
            items=items, methods=methods, rate_limit_per_minute=rate, duration_days=days, note=note.strip() or None,
            masking={k: v for k, v in policies.items() if k in items}), viewer.principal))
    if errors:
        session.rollback()
        return _review_page(request, session, viewer, request_id, values=values, errors=errors, status=422)
    response = redirect(f"/access/requests/{request_id}")
    flash(response, N_("Request approved; the grant is in force."), "success")
    return response


@router.post("/access/requests/{request_id}/reject")
def reject(request: Request, request_id: str, reason: str = Form("", max_length=2000),
           viewer: Viewer = Depends(form_viewer), session: Session = db):
    _staff(viewer)
    _ = translator(request)
    if not 2 <= len(reason.strip()) <= 1000:
        return _review_page(request, session, viewer, request_id, status=422, values=None,
                            errors={"reason": _("Give the reason for the rejection (2 to 1,000 characters): "
                                                "the requesting department sees it.")})
    sharing.reject(session, request_id, RejectBody(reason=reason.strip()), viewer.principal)
    response = redirect(f"/access/requests/{request_id}")
    flash(response, N_("Request rejected; the requesting department sees the reason."), "success")
    return response


# ---- grants -------------------------------------------------------------------------------------

@router.get("/access/grants")
def grants(request: Request, side: str = Query("consumer", max_length=20), status: str = Query("", max_length=20),
           sort: str = Query("newest", max_length=20), page: int = Query(1, ge=1, le=MAX_PAGE),
           viewer: Viewer = Depends(require_viewer), session: Session = db):
    _staff(viewer)
    _choice(side, ("consumer", "provider"), "side")
    _choice(status, GRANT_FILTERS, "status")
    _choice(sort, GRANT_SORTS, "sort")
    now = utcnow()
    rows, total = sharing.list_grants(session, viewer.principal, side, status or None, None, PER_PAGE,
                                      (page - 1) * PER_PAGE, now=now, sort=sort)
    sides = {"consumer": N_("Held by my department"), "provider": N_("Given by my department")}
    return render(request, "sharing/grants.html", _ctx(
        active_nav="grants", rows=[sharing.grant_read(g, now) for g in rows], side=side, status=status,
        sides=_tab_links(request, "/access/grants", "side", sides, side, {}),
        tabs=_tab_links(request, "/access/grants", "status", GRANT_FILTERS, status, {"side": side, "sort": sort}),
        sort=sort, sort_options=_options(request, GRANT_SORTS), pager=Pager.build(request, page, PER_PAGE, total)))


def _grant_page(request: Request, session: Session, viewer: Viewer, grant_id: str, template: str = "sharing/grant.html",
                *, values: dict | None = None, errors: dict | None = None, status: int = 200):
    grant = sharing.get_grant(session, grant_id, viewer.principal)
    read = sharing.grant_read(grant)
    return render(request, template, _ctx(
        active_nav="grants", g=read, can_revoke=read.status != "revoked" and sharing.may_revoke(viewer.principal, grant),
        can_renew=read.status != "revoked" and sharing.may_renew(viewer.principal, grant),
        provider_name=demands.org_name(session, grant.provider_org_id),
        values=values or {"reason": "", "duration_days": "365"}, errors=errors or {},
        max_days=get_settings().max_grant_days), status=status, page_url=f"/access/grants/{grant.id}")


@router.get("/access/grants/{grant_id}")
def grant_detail(request: Request, grant_id: str, viewer: Viewer = Depends(require_viewer), session: Session = db):
    _staff(viewer)
    return _grant_page(request, session, viewer, grant_id)


@router.get("/access/grants/{grant_id}/revoke")
def grant_revoke_confirm(request: Request, grant_id: str, viewer: Viewer = Depends(require_viewer),
                         session: Session = db):
    """The confirmation step of a revocation (works without JS): what stops, and the reason field."""
    _staff(viewer)
    grant = sharing.get_grant(session, grant_id, viewer.principal)
    if not sharing.may_revoke(viewer.principal, grant):
        raise Forbidden("only the provider's approver, the consumer's administrator or the operator may revoke",
                        code="insufficient_permission")
    return _grant_page(request, session, viewer, grant_id, "sharing/grant_revoke.html")


@router.post("/access/grants/{grant_id}/revoke")
def grant_revoke(request: Request, grant_id: str, reason: str = Form("", max_length=2000),
                 viewer: Viewer = Depends(form_viewer), session: Session = db):
    _staff(viewer)
    _ = translator(request)
    if not 2 <= len(reason.strip()) <= 1000:
        return _grant_page(request, session, viewer, grant_id, "sharing/grant_revoke.html", status=422,
                           values={"reason": reason, "duration_days": "365"},
                           errors={"reason": _("Give the reason for the revocation (2 to 1,000 characters).")})
    sharing.revoke_grant(session, grant_id, RevokeBody(reason=reason.strip()), viewer.principal)
    response = redirect(f"/access/grants/{grant_id}")
    flash(response, N_("Grant revoked: its clients can no longer use the data."), "success")
    return response


@router.post("/access/grants/{grant_id}/renew")
def grant_renew(request: Request, grant_id: str, duration_days: str = Form("", max_length=10),
                viewer: Viewer = Depends(form_viewer), session: Session = db):
    _staff(viewer)
    errors: dict[str, str] = {}
    days = _int_or_none(duration_days, "duration_days", errors, request, 1, get_settings().max_grant_days)
    if days is None and not errors:
        _ = translator(request)
        errors["duration_days"] = _("Say for how many more days.")
    if errors:
        return _grant_page(request, session, viewer, grant_id, status=422,
                           values={"reason": "", "duration_days": duration_days}, errors=errors)
    sharing.renew_grant(session, grant_id, RenewBody(duration_days=days), viewer.principal)
    response = redirect(f"/access/grants/{grant_id}")
    flash(response, N_("Grant renewed."), "success")
    return response


# ---- API clients --------------------------------------------------------------------------------

def _clients_page(request: Request, session: Session, viewer: Viewer, *, values: dict | None = None,
                  errors: dict | None = None, status: int = 200):
    rows = orgs.list_clients(session, viewer.principal.org_id)
    return render(request, "sharing/clients.html", _ctx(
        active_nav="clients", rows=rows, values=values or {"name": "", "scopes": [Scope.data_read.value]},
        errors=errors or {}, scope_options=_options(request, SCOPES),
        is_admin=viewer.principal.has_role(Role.org_admin) or viewer.principal.is_platform_admin),
        status=status, page_url="/access/clients")


@router.get("/access/clients")
def clients(request: Request, viewer: Viewer = Depends(require_viewer), session: Session = db):
    _staff(viewer)
    return _clients_page(request, session, viewer)


def _secret_page(request: Request, client, secret: str, rotated: bool):
    # Shown once: never cached, never stored in clear (only its hash is kept).
    return render(request, "sharing/client_secret.html", _ctx(active_nav="clients", c=client, secret=secret,
                                                              rotated=rotated),
                  page_url="/access/clients", headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@router.post("/access/clients")
def client_create(request: Request, name: str = Form("", max_length=200), scopes: list[str] = Form([]),
                  viewer: Viewer = Depends(form_viewer), session: Session = db):
    _staff(viewer)
    _ = translator(request)
    orgs.require_org_admin_of(viewer.principal, viewer.principal.org_id)
    values = {"name": name, "scopes": scopes}
    errors: dict[str, str] = {}
    if not 1 <= len(name.strip()) <= 100:
        errors["name"] = _("Name the client (1 to 100 characters), e.g. the application that uses it.")
    if not scopes or any(s not in SCOPES for s in scopes):
        errors["scopes"] = _("Choose at least one permission.")
    if errors:
        return _clients_page(request, session, viewer, values=values, errors=errors, status=422)
    client, secret = orgs.create_client(session, ClientCreate(name=name.strip(), scopes=scopes),
                                        orgs.get_org(session, viewer.principal.org_id))
    return _secret_page(request, client, secret, rotated=False)


def _admin_client(session: Session, viewer: Viewer, client_pk: str):
    client = orgs.get_client(session, client_pk, viewer.principal)
    orgs.require_org_admin_of(viewer.principal, client.org_id)
    return client


@router.get("/access/clients/{client_pk}/{action}")
def client_confirm(request: Request, client_pk: str, action: str, viewer: Viewer = Depends(require_viewer),
                   session: Session = db):
    """Confirmation step of rotating a secret or revoking a client."""
    _staff(viewer)
    _choice(action, ("rotate", "revoke"), "action")
    client = _admin_client(session, viewer, client_pk)
    return render(request, "sharing/client_confirm.html", _ctx(active_nav="clients", c=client, action=action))


@router.post("/access/clients/{client_pk}/rotate")
def client_rotate(request: Request, client_pk: str, viewer: Viewer = Depends(form_viewer), session: Session = db):
    _staff(viewer)
    client = _admin_client(session, viewer, client_pk)
    if client.revoked_at is not None:
        raise Conflict("the client is revoked", code="client_revoked")
    secret = orgs.rotate_client_secret(session, client)
    return _secret_page(request, client, secret, rotated=True)


@router.post("/access/clients/{client_pk}/revoke")
def client_revoke(request: Request, client_pk: str, viewer: Viewer = Depends(form_viewer), session: Session = db):
    _staff(viewer)
    client = _admin_client(session, viewer, client_pk)
    if client.revoked_at is None:
        orgs.revoke_client(session, client)
    response = redirect("/access/clients")
    flash(response, N_("Client %(name)s revoked: it can no longer call the platform."), "success", name=client.name)
    return response
