"""Console pages of the ledger: the current checkpoint, checking a receipt, the proof explorer; tracing
for auditors; monitoring alerts for security officers; a citizen's own data-access record.

Same services as the API (`ledger.service`, `ledger.receipts`, `ledger.monitoring`); who may see what
is decided there, not here.
"""

from __future__ import annotations

import base64

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy.orm import Session

from govshare.core.errors import InvalidInput, NotFound
from govshare.core.i18n import N_
from govshare.ledger import merkle, monitoring, receipts
from govshare.ledger import service as ledger
from govshare.ledger.note import Checkpoint, NoteError, open_note
from govshare.orgs.roles import Role
from govshare.web.console import (
    NAV, ConsoleRoute, NavItem, Pager, Viewer, db, flash, form_viewer, redirect, render, require_viewer,
)

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PER_PAGE = 20

NAV.extend([
    NavItem("ledger", "/ledger", N_("Ledger"), lambda v: Role.citizen not in v.roles, order=60),
    NavItem("trace", "/audit/trace", N_("Tracing"), lambda v: Role.auditor in v.roles, order=70),
    NavItem("alerts", "/alerts", N_("Alerts"), lambda v: Role.security_officer in v.roles, order=75),
    NavItem("record", "/me/record", N_("My data-access record"), lambda v: Role.citizen in v.roles, order=5),
])


def _latest(session: Session) -> dict | None:
    try:
        row = ledger.latest_checkpoint(session)
    except NotFound:
        return None
    return {"size": row.size, "root": ledger.b64(row.root), "note": row.note, "created_at": row.created_at,
            "key_id": row.key_id}


@router.get("/ledger")
def ledger_page(request: Request, index: int | None = Query(None, ge=0),
                viewer: Viewer = Depends(require_viewer), session: Session = db):
    """The latest checkpoint and keys, a receipt checker, and (with `?index=`) one leaf's inclusion proof."""
    checkpoint = _latest(session)
    proof = None
    if index is not None and checkpoint is not None:
        try:
            found = ledger.inclusion(session, index)
        except InvalidInput:
            found = None
        if found is not None:
            # Against the root the checkpoint's own key signed (the key that signed it, not the newest).
            signer_key = next((k["verifier_key"] for k in ledger.public_keys(session)
                               if k["key_id"] == checkpoint["key_id"]), None)
            try:
                root = Checkpoint.parse(open_note(checkpoint["note"], signer_key)).root if signer_key else None
            except NoteError:
                root = None
            found["verified"] = root is not None and merkle.verify_inclusion(
                base64.b64decode(found["leaf_hash"]), index, found["tree_size"],
                [base64.b64decode(h) for h in found["proof"]], root)
        proof = found or {"missing": True, "index": index}
    return render(request, "ledger.html", {"active_nav": "ledger", "checkpoint": checkpoint, "proof": proof,
                                           "index": index, "keys": ledger.public_keys(session),
                                           "receipt_text": "", "receipt_result": None})


@router.post("/ledger/receipt")
def check_receipt(request: Request, receipt: str = Form("", max_length=20_000),
                  viewer: Viewer = Depends(form_viewer), session: Session = db):
    keys = [k["verifier_key"] for k in ledger.public_keys(session)]
    try:
        result = receipts.check(receipt, keys) if receipt.strip() else {"ok": False, "error": None, "empty": True}
    except (receipts.ReceiptError, NoteError) as exc:
        result = {"ok": False, "error": str(exc)}
    status = 200 if result.get("ok") else 422
    return render(request, "ledger.html", {"active_nav": "ledger", "checkpoint": _latest(session), "proof": None,
                                           "index": None, "keys": ledger.public_keys(session),
                                           "receipt_text": receipt, "receipt_result": result}, status=status)


@router.get("/audit/trace")
def trace_page(request: Request, viewer: Viewer = Depends(require_viewer), session: Session = db):
    if not viewer.principal.has_role(Role.auditor):
        ledger.trace(session, viewer.principal, "subject", "-")  # the same refusal as a search gets
    return render(request, "trace.html", {"active_nav": "trace", "by": "subject", "value": "", "result": None,
                                          "choices": ledger.TRACE_BY})


@router.post("/audit/trace")
def trace_search(request: Request, by: str = Form("subject", max_length=16), value: str = Form("", max_length=64),
                 viewer: Viewer = Depends(form_viewer), session: Session = db):
    """The search is a form post: an ID number must not end up in URLs, access logs or browser history."""
    value = value.strip()
    result = ledger.trace(session, viewer.principal, by, value, limit=200) if value else None
    if result is None and not viewer.principal.has_role(Role.auditor):
        ledger.trace(session, viewer.principal, by, "-")
    return render(request, "trace.html", {"active_nav": "trace", "by": by, "value": value, "result": result,
                                          "choices": ledger.TRACE_BY})


@router.get("/alerts")
def alerts_page(request: Request, show: str = Query("open"), page: int = Query(1, ge=1, le=10_000),
                viewer: Viewer = Depends(require_viewer), session: Session = db):
    rows, total = monitoring.list_alerts(session, viewer.principal, show != "all", PER_PAGE, (page - 1) * PER_PAGE)
    return render(request, "alerts.html", {"active_nav": "alerts", "alerts": rows, "show": show,
                                           "pager": Pager.build(request, page, PER_PAGE, total)})


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge_alert(request: Request, alert_id: str, note: str = Form("", max_length=1000),
                      viewer: Viewer = Depends(form_viewer), session: Session = db):
    monitoring.acknowledge(session, viewer.principal, alert_id, note.strip() or None)
    response = redirect("/alerts")
    flash(response, N_("Alert acknowledged."), "success")
    return response


@router.get("/me/record")
def record_page(request: Request, page: int = Query(1, ge=1, le=10_000),
                viewer: Viewer = Depends(require_viewer), session: Session = db):
    rows, total = ledger.data_access_record(session, viewer.principal, PER_PAGE, (page - 1) * PER_PAGE)
    return render(request, "record.html", {"active_nav": "record", "rows": rows,
                                           "pager": Pager.build(request, page, PER_PAGE, total)})
