"""The exchange call history API: `GET /api/v1/exchange/calls` (a department's calls as provider and
as consumer; every department's for auditors and the operator)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from govshare.core.database import get_session
from govshare.core.pagination import Page, PageParams, page_params
from govshare.exchange import history
from govshare.orgs.auth import current_principal
from govshare.orgs.service import Principal

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"])


class CallPage(Page[history.CallRow]):
    total_capped: bool = False


@router.get("/calls", response_model=CallPage, summary="Exchange call history")
def list_calls(
    side: str = Query("all", description="all, provider (calls to my department's data) or consumer (my calls)"),
    org: str | None = Query(None, max_length=64, description="Department code (auditors and the operator only; "
                                                            "others always get their own department)"),
    other_org: str | None = Query(None, max_length=64, description="Department code on the other side"),
    entry: str | None = Query(None, max_length=64, description="Entry code or id"),
    method: str | None = Query(None, description="lookup, verify, export or feed"),
    outcome: str | None = Query(None, description="ok, not_found or denied"),
    date_from: date | None = Query(None, description="First day (China time), inclusive"),
    date_to: date | None = Query(None, description="Last day (China time), inclusive"),
    order: str = Query("desc", pattern="^(asc|desc)$"),
    page: PageParams = Depends(page_params),
    session: Session = Depends(get_session),
    principal: Principal = Depends(current_principal),
):
    """Newest first. Subjects only as keyed hashes. `total` counts at most 10,000 (then `total_capped`)."""
    filters = history.CallFilters(
        side=side, org_id=history.resolve_org(session, org, "org") if history.sees_all(principal) else None,
        other_org_id=history.resolve_org(session, other_org, "other_org"),
        entry_id=history.resolve_entry(session, entry), method=method or None, outcome=outcome or None,
        date_from=date_from, date_to=date_to, newest_first=order == "desc")
    rows, total = history.list_calls(session, principal, filters, page.limit, page.offset)
    return CallPage(items=rows, total=min(total, history.COUNT_CAP),
                    limit=page.limit, offset=page.offset, total_capped=total > history.COUNT_CAP)
