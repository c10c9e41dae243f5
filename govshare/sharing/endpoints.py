from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from govshare.core.database import get_session
from govshare.core.pagination import Page, PageParams, page_params
from govshare.orgs.auth import current_principal
from govshare.orgs.service import Principal
from govshare.sharing import demands, service
from govshare.sharing.schemas import (
    AccessRequestCreate, AccessRequestRead, ApproveBody, DemandAnswer, DemandClose, DemandCreate, DemandRead,
    DemandRoute, GrantRead, GrantStatus, RejectBody, RenewBody, RevokeBody,
)

router = APIRouter(prefix="/api/v1", tags=["sharing"])


# ---- demands -------------------------------------------------------------------------------------

@router.post("/demands", response_model=DemandRead, status_code=201)
def create_demand(data: DemandCreate, session: Session = Depends(get_session),
                  principal: Principal = Depends(current_principal)):
    """State a need; the response carries the best-matching catalog entries as `suggestions`."""
    return demands.demand_read(demands.create_demand(session, data, principal))


@router.get("/demands", response_model=Page[DemandRead])
def list_demands(view: str = Query("open", description="all, open, overdue, answered, unmet, met, "
                                                       "promise_overdue, mine, to_me"),
                 page: PageParams = Depends(page_params), session: Session = Depends(get_session),
                 principal: Principal = Depends(current_principal)):
    rows, total = demands.list_demands(session, principal, view, page.limit, page.offset)
    return Page(items=[demands.demand_read(d) for d in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/demands/{demand_id}", response_model=DemandRead)
def get_demand(demand_id: str, session: Session = Depends(get_session),
               principal: Principal = Depends(current_principal)):
    return demands.demand_read(demands.get_demand(session, demand_id))


@router.post("/demands/{demand_id}/route", response_model=DemandRead)
def route_demand(demand_id: str, data: DemandRoute, session: Session = Depends(get_session),
                 principal: Principal = Depends(current_principal)):
    return demands.demand_read(demands.route_demand(session, demand_id, data.org_code, principal))


@router.post("/demands/{demand_id}/answer", response_model=DemandRead)
def answer_demand(demand_id: str, data: DemandAnswer, session: Session = Depends(get_session),
                  principal: Principal = Depends(current_principal)):
    return demands.demand_read(demands.answer_demand(session, demand_id, data, principal))


@router.post("/demands/{demand_id}/close", response_model=DemandRead)
def close_demand(demand_id: str, data: DemandClose, session: Session = Depends(get_session),
                 principal: Principal = Depends(current_principal)):
    return demands.demand_read(demands.close_demand(session, demand_id, data, principal))


# ---- access requests -----------------------------------------------------------------------------

@router.post("/access-requests", response_model=AccessRequestRead, status_code=201)
def file_request(data: AccessRequestCreate, session: Session = Depends(get_session),
                 principal: Principal = Depends(current_principal)):
    """Unconditional entries are granted at once; conditional ones wait for the provider's approver."""
    return service.request_read(service.file_request(session, data, principal))


@router.get("/access-requests", response_model=Page[AccessRequestRead])
def list_requests(view: str = Query("mine", description="mine, inbox (to decide, by deadline), arbitration"),
                  status: str | None = Query(None, description="pending, approved, rejected, refused, escalated, "
                                                               "open, overdue"),
                  page: PageParams = Depends(page_params), session: Session = Depends(get_session),
                  principal: Principal = Depends(current_principal)):
    rows, total = service.list_requests(session, principal, view, status, page.limit, page.offset)
    return Page(items=[service.request_read(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/access-requests/{request_id}", response_model=AccessRequestRead)
def get_request(request_id: str, session: Session = Depends(get_session),
                principal: Principal = Depends(current_principal)):
    return service.request_read(service.get_request(session, request_id, principal))


@router.post("/access-requests/{request_id}/approve", response_model=AccessRequestRead)
def approve(request_id: str, data: ApproveBody, session: Session = Depends(get_session),
            principal: Principal = Depends(current_principal)):
    """May narrow items, methods, duration or region, or tighten masking; never widen."""
    return service.request_read(service.approve(session, request_id, data, principal))


@router.post("/access-requests/{request_id}/reject", response_model=AccessRequestRead)
def reject(request_id: str, data: RejectBody, session: Session = Depends(get_session),
           principal: Principal = Depends(current_principal)):
    return service.request_read(service.reject(session, request_id, data, principal))


# ---- grants --------------------------------------------------------------------------------------

@router.get("/grants", response_model=Page[GrantRead])
def list_grants(side: str = Query("consumer", description="consumer (held) or provider (given)"),
                status: GrantStatus | None = None, entry_id: str | None = None,
                page: PageParams = Depends(page_params), session: Session = Depends(get_session),
                principal: Principal = Depends(current_principal)):
    rows, total = service.list_grants(session, principal, side, status.value if status else None, entry_id,
                                      page.limit, page.offset)
    return Page(items=[service.grant_read(g) for g in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/grants/{grant_id}", response_model=GrantRead)
def get_grant(grant_id: str, session: Session = Depends(get_session),
              principal: Principal = Depends(current_principal)):
    return service.grant_read(service.get_grant(session, grant_id, principal))


@router.post("/grants/{grant_id}/revoke", response_model=GrantRead)
def revoke_grant(grant_id: str, data: RevokeBody, session: Session = Depends(get_session),
                 principal: Principal = Depends(current_principal)):
    """Effective at once, in every server process."""
    return service.grant_read(service.revoke_grant(session, grant_id, data, principal))


@router.post("/grants/{grant_id}/renew", response_model=GrantRead)
def renew_grant(grant_id: str, data: RenewBody, session: Session = Depends(get_session),
                principal: Principal = Depends(current_principal)):
    return service.grant_read(service.renew_grant(session, grant_id, data, principal))
