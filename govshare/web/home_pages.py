"""Console pages every role starts from: the department's dashboard, notifications, and the exchange call history.

The figures come from services (`catalog.figures`, `exchange.history`, `sharing.pending`) that aggregate in
SQL over indexed columns and bounded time windows; who may see which calls is decided in
`exchange.history`, the same as for the API.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from govshare.catalog.figures import catalog_figures
from govshare.core import i18n
from govshare.core.database import session_scope, utcnow
from govshare.core.errors import Forbidden, InvalidInput
from govshare.core.i18n import N_
from govshare.core.workdays import CHINA_TZ
from govshare.exchange import history
from govshare.orgs import service as orgs
from govshare.orgs.roles import Role
from govshare.sharing import pending
from govshare.web.console import (
    DISPLAY_TZ, NAV, ConsoleRoute, NavItem, Pager, Viewer, db, redirect, render, request_lang, require_viewer,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

PER_PAGE = 20
MAX_PAGE = 500  # offset paging: 500 pages of 20 = the 10,000 calls a count goes up to

NAV.extend([
    NavItem("dashboard", "/dashboard", N_("Home"), lambda v: Role.citizen not in v.roles, order=0),
    NavItem("notifications", "/notifications", N_("Notifications"), lambda v: Role.citizen not in v.roles, order=2),
    NavItem("calls", "/exchange/calls", N_("Call history"), lambda v: Role.citizen not in v.roles, order=50),
])

KIND_LABELS = {
    "to_approve": N_("Requests awaiting your approval"),
    "my_request": N_("Your department's requests waiting for a decision"),
    "demand_routed": N_("Demands routed to your department"),
    "alert": N_("Open monitoring alerts"),
    "grant_expiring": N_("Grants expiring within 30 days"),
    "arbitration": N_("Requests waiting for arbitration"),
}
KIND_LINKS = {
    "to_approve": "/access/inbox", "my_request": "/access/requests", "demand_routed": "/demands",
    "alert": "/alerts", "grant_expiring": "/access/grants", "arbitration": "/admin/arbitration",
}
METHOD_LABELS = {"lookup": N_("Key lookup"), "verify": N_("Verification"), "export": N_("Bulk export"),
                 "feed": N_("Change feed")}
OUTCOME_LABELS = {"ok": N_("Answered"), "not_found": N_("Not found"), "denied": N_("Refused")}
SIDE_LABELS = {"all": N_("All calls"), "provider": N_("Calls to our data"), "consumer": N_("Our calls")}


def _no_citizens(viewer: Viewer) -> None:
    if Role.citizen in viewer.roles:
        raise Forbidden("citizens see their own data-access record", code="insufficient_permission")


def _today() -> date:
    return utcnow().astimezone(CHINA_TZ).date()


# ---- dashboard ----------------------------------------------------------------------------------

@router.get("/dashboard")
def dashboard(request: Request, viewer: Viewer = Depends(require_viewer), session: Session = db):
    if Role.citizen in viewer.roles:
        return redirect("/me/record")
    _ = i18n.translator(request_lang(request))
    org_id = viewer.principal.org_id
    calls = history.call_figures(session, org_id)
    counts = pending.counts(session, viewer.principal)
    methods = [(m, _(METHOD_LABELS[m]), calls.by_method.get(m, {}).get("served", 0),
                calls.by_method.get(m, {}).get("consumed", 0)) for m in history.METHODS]
    chart = {
        "days": [d[5:] for d in calls.days],  # MM-DD: the year is in the table
        "series": [{"name": _("Calls served"), "data": calls.served}, {"name": _("Calls made"), "data": calls.consumed}],
        "methods": {"labels": [m[1] for m in methods],
                    "series": [{"name": _("Calls served"), "data": [m[2] for m in methods]},
                               {"name": _("Calls made"), "data": [m[3] for m in methods]}]},
    }
    return render(request, "home/dashboard.html", {
        "active_nav": "dashboard",
        "catalog": catalog_figures(session, org_id),
        "calls": calls,
        "daily": list(zip(calls.days, calls.served, calls.consumed)),
        "methods": methods,
        "pending": [(kind, KIND_LABELS[kind], n, KIND_LINKS[kind]) for kind, n in counts.items()],
        "pending_total": sum(counts.values()),
        "chart": chart,
        "days": history.DASHBOARD_DAYS,
        "date_from": calls.days[0],
    })


# ---- notifications ------------------------------------------------------------------------------

@router.get("/notifications")
def notifications(request: Request, kind: str = Query("", max_length=32), page: int = Query(1, ge=1, le=1000),
                  viewer: Viewer = Depends(require_viewer), session: Session = db):
    _no_citizens(viewer)
    if kind and kind not in pending.KINDS:
        raise InvalidInput("unknown kind", details=[{"field": "kind", "reason": "unknown value", "value": kind}])
    now = utcnow()
    counts = pending.counts(session, viewer.principal, now)
    found = [i for i in pending.items(session, viewer.principal, now) if not kind or i.kind == kind]
    pager = Pager.build(request, page, PER_PAGE, len(found))
    return render(request, "home/notifications.html", {
        "active_nav": "notifications",
        "items": found[pager.offset:pager.offset + PER_PAGE],
        "pager": pager,
        "kind": kind,
        "kinds": [(k, KIND_LABELS[k], n, KIND_LINKS[k]) for k, n in counts.items()],
        "kind_labels": KIND_LABELS,
        "now": now,
    })


# ---- exchange call history ----------------------------------------------------------------------

def _parse_date(value: str, field: str, errors: dict, _) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = _("Enter a date as YYYY-MM-DD.")
        return None


def _call_query(request: Request, session: Session, viewer: Viewer, params: dict) -> tuple[history.CallFilters,
                                                                                          dict, dict]:
    """The filters of the call history form, its values for re-display, and per-field errors."""
    _ = i18n.translator(request_lang(request))
    values = {k: (v or "").strip() for k, v in params.items()}
    if params["date_from"] is None and set(request.query_params) <= {"page"}:
        # First visit: the last 30 days (a bounded window keeps the list cheap). The form always sends its
        # fields, so a search with the start date cleared covers all time, on every page.
        values["date_from"] = (_today() - timedelta(days=history.DASHBOARD_DAYS - 1)).isoformat()
    errors: dict[str, str] = {}
    choices = {"side": history.SIDES, "method": history.METHODS, "outcome": history.OUTCOMES, "order": ("desc", "asc")}
    for field, allowed in choices.items():
        if values[field] and values[field] not in allowed:
            errors[field] = _("Choose one of the listed values.")
            values[field] = ""
    date_from = _parse_date(values["date_from"], "date_from", errors, _)
    date_to = _parse_date(values["date_to"], "date_to", errors, _)
    if date_from and date_to and date_from > date_to:
        errors["date_to"] = _("The end date is before the start date.")
    ids = {}
    lookups = [("entry", history.resolve_entry, _("No catalog entry has this code.")),
               ("other_org", lambda s, v: history.resolve_org(s, v, "other_org"), _("Unknown department.")),
               ("org", lambda s, v: history.resolve_org(s, v, "org"), _("Unknown department."))]
    for field, resolve, message in lookups:
        if field == "org" and not history.sees_all(viewer.principal):
            continue
        try:
            ids[field] = resolve(session, values[field])
        except InvalidInput:
            errors[field] = message
    filters = history.CallFilters(
        side=values["side"] or "all", org_id=ids.get("org"), other_org_id=ids.get("other_org"),
        entry_id=ids.get("entry"), method=values["method"] or None, outcome=values["outcome"] or None,
        date_from=None if "date_from" in errors else date_from, date_to=None if "date_to" in errors else date_to,
        newest_first=values["order"] != "asc")
    return filters, values, errors


def _query_params(side: str = Query("", max_length=16), org: str = Query("", max_length=64),
                  other_org: str = Query("", max_length=64), entry: str = Query("", max_length=64),
                  method: str = Query("", max_length=16), outcome: str = Query("", max_length=16),
                  date_from: str | None = Query(None, max_length=10), date_to: str = Query("", max_length=10),
                  order: str = Query("", max_length=4)) -> dict:
    return {"side": side, "org": org, "other_org": other_org, "entry": entry, "method": method,
            "outcome": outcome, "date_from": date_from, "date_to": date_to, "order": order}


@router.get("/exchange/calls")
def calls_page(request: Request, params: dict = Depends(_query_params), page: int = Query(1, ge=1, le=MAX_PAGE),
               viewer: Viewer = Depends(require_viewer), session: Session = db):
    _no_citizens(viewer)
    filters, values, errors = _call_query(request, session, viewer, params)
    rows, total = [], 0
    if not errors:
        rows, total = history.list_calls(session, viewer.principal, filters, PER_PAGE, (page - 1) * PER_PAGE)
    shown_total = min(total, history.COUNT_CAP)
    pager = Pager.build(request, page, PER_PAGE, shown_total)
    departments, _count = orgs.list_orgs(session, limit=2000)
    export_query = urlencode([(k, v) for k, v in values.items() if v])
    return render(request, "home/calls.html", {
        "active_nav": "calls",
        "rows": rows,
        "pager": pager,
        "capped": total > history.COUNT_CAP,
        "cap": history.COUNT_CAP,
        "values": values,
        "errors": errors,
        "filtered": any(v for k, v in values.items() if k not in ("side", "order")),
        "sees_all": history.sees_all(viewer.principal),
        "org_options": [(o.code, o.name) for o in departments],
        "side_options": [(s, i18n.gettext(request_lang(request), SIDE_LABELS[s])) for s in history.SIDES],
        "method_options": [(m, i18n.gettext(request_lang(request), METHOD_LABELS[m])) for m in history.METHODS],
        "outcome_options": [(o, i18n.gettext(request_lang(request), OUTCOME_LABELS[o])) for o in history.OUTCOMES],
        "method_labels": METHOD_LABELS,
        "export_url": "/exchange/calls.csv" + ("?" + export_query if export_query else ""),
        "past_last_page": page > pager.pages and shown_total > 0,
    }, status=422 if errors else 200)


CSV_COLUMNS = (N_("Time (China)"), N_("Provider"), N_("Consumer"), N_("Entry code"), N_("Entry name"), N_("Method"),
               N_("Purpose"), N_("Subject (keyed hash)"), N_("Rows"), N_("Outcome"), N_("HTTP status"),
               N_("Ledger index"))


def _cell(value) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_chunks(principal, filters: history.CallFilters, header: list[str]) -> Iterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    buf.write("\ufeff")  # a BOM, so spreadsheet programs read the Chinese text as UTF-8
    writer.writerow(header)
    # Its own read-only session: the response streams after the page's session has closed.
    with session_scope(read_only=True) as session:
        for n, row in enumerate(history.iter_calls(session, principal, filters), 1):
            writer.writerow([row.at.astimezone(DISPLAY_TZ).strftime("%Y-%m-%d %H:%M:%S"), _cell(row.provider_name),
                             _cell(row.consumer_name), _cell(row.entry_code), _cell(row.entry_name), row.method,
                             _cell(row.purpose), row.subject_hash or "", row.row_count, row.outcome, row.status_code,
                             row.seq])
            if n % 1000 == 0:
                yield buf.getvalue().encode()
                buf.seek(0)
                buf.truncate()
    yield buf.getvalue().encode()


@router.get("/exchange/calls.csv")
def calls_csv(request: Request, params: dict = Depends(_query_params), viewer: Viewer = Depends(require_viewer),
              session: Session = db):
    _no_citizens(viewer)
    filters, values, errors = _call_query(request, session, viewer, {**params, "date_from": params["date_from"] or ""})
    if errors:
        raise InvalidInput("invalid call history filters",
                           details=[{"field": k, "reason": v} for k, v in errors.items()])
    filters = history.effective_filters(viewer.principal, filters)  # refuse before the stream starts
    lang = request_lang(request)
    header = [i18n.gettext(lang, c) for c in CSV_COLUMNS]
    name = f"exchange-calls-{_today().isoformat()}.csv"
    return StreamingResponse(_csv_chunks(viewer.principal, filters, header), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"',
                                      "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
