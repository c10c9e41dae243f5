"""Ledger endpoints: the signed checkpoint, leaves, proofs and keys (RFC 9162 / C2SP formats), tracing."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from govshare.core.database import get_session
from govshare.core.pagination import Page, PageParams, page_params
from govshare.ledger import monitoring, service
from govshare.ledger.schemas import AcknowledgeBody, AlertRead, DataAccessRead, TraceBody
from govshare.orgs.auth import current_principal
from govshare.orgs.service import Principal

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])
alerts_router = APIRouter(prefix="/api/v1/alerts", tags=["monitoring"])
me_router = APIRouter(prefix="/api/v1/me", tags=["citizen"])


@router.get("/checkpoint", response_class=PlainTextResponse,
            responses={200: {"content": {"text/plain": {}}}})
def checkpoint(session: Session = Depends(get_session)):
    """The latest signed checkpoint: a C2SP signed note (origin, tree size, base64 root; Ed25519 signature)."""
    return PlainTextResponse(service.latest_checkpoint(session).note, headers={"Cache-Control": "no-cache"})


@router.get("/public-key")
def public_key(session: Session = Depends(get_session)):
    """The keys checkpoints and receipts are signed with (`<name>+<key id>+<base64 key>`), current first."""
    keys = service.public_keys(session)
    return {"current": next((k["verifier_key"] for k in keys if k["current"]), None), "keys": keys}


@router.get("/entries/{index}")
def entry(index: int, session: Session = Depends(get_session), principal: Principal = Depends(current_principal)):
    """Leaf `index`: its canonical JSON and leaf hash. Auditors, and departments party to the event."""
    return service.entry(session, principal, index)


@router.get("/proof/inclusion")
def inclusion(index: int = Query(..., ge=0), tree_size: int | None = Query(None, ge=1,
                                                                           description="Default: the latest"),
              session: Session = Depends(get_session)):
    """Audit path of leaf `index` in the tree of `tree_size` leaves (RFC 9162 §2.1.3), with the root
    and, when one was signed at that size, the checkpoint."""
    return service.inclusion(session, index, tree_size)


@router.get("/proof/consistency")
def consistency(first: int = Query(..., ge=1), second: int | None = Query(None, ge=1,
                                                                          description="Default: the latest"),
                session: Session = Depends(get_session)):
    """Proof that the tree of `second` leaves extends the tree of `first` (RFC 9162 §2.1.4)."""
    return service.consistency(session, first, second)


@router.post("/trace")
def trace(body: TraceBody, session: Session = Depends(get_session),
          principal: Principal = Depends(current_principal)):
    """Every logged event for one subject, consumer, entry or grant, newest first (by time, then index),
    with inclusion proofs. Auditors only. POST: the ID number stays out of URLs and access logs."""
    return service.trace(session, principal, body.by, body.value, body.limit, body.before)


@alerts_router.get("", response_model=Page[AlertRead])
def list_alerts(open_only: bool = Query(True, alias="open", description="Only alerts not yet acknowledged"),
                page: PageParams = Depends(page_params), session: Session = Depends(get_session),
                principal: Principal = Depends(current_principal)):
    """Monitoring alerts about the caller's department's data, newest first. Security officers only."""
    rows, total = monitoring.list_alerts(session, principal, open_only, page.limit, page.offset)
    return Page(items=[AlertRead.model_validate(r) for r in rows], total=total, limit=page.limit,
                offset=page.offset)


@alerts_router.post("/{alert_id}/acknowledge", response_model=AlertRead)
def acknowledge_alert(alert_id: str, body: AcknowledgeBody, session: Session = Depends(get_session),
                      principal: Principal = Depends(current_principal)):
    return AlertRead.model_validate(monitoring.acknowledge(session, principal, alert_id, body.note))


@me_router.get("/data-access", response_model=Page[DataAccessRead])
def my_data_access(page: PageParams = Depends(page_params), session: Session = Depends(get_session),
                   principal: Principal = Depends(current_principal)):
    """A citizen's record: every department that looked up or verified their data, when, in which entry,
    for which purpose (数据使用记录). Citizens only, about themselves only."""
    rows, total = service.data_access_record(session, principal, page.limit, page.offset)
    return Page(items=rows, total=total, limit=page.limit, offset=page.offset)
