from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Query
from sqlalchemy.orm import Session

from govshare.catalog import service
from govshare.catalog.schemas import EntryCreate, EntryRead, EntrySummary, EntryUpdate, VersionRead
from govshare.catalog.vocab import Category, EntryStatus, OpenType, ShareType
from govshare.core.database import get_session
from govshare.core.pagination import Page, PageParams, page_params
from govshare.orgs.auth import current_principal
from govshare.orgs.service import Principal

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])


@router.get("/entries", response_model=Page[EntrySummary])
def search_entries(
    q: str | None = Query(None, max_length=200, description="Chinese or mixed search text, e.g. 婚姻登记"),
    provider: str | None = Query(None, description="Provider credit code or short name"),
    category: Category | None = None,
    class_code: str | None = Query(None, pattern=r"^\d{1,8}$", description="Classification code prefix"),
    share_type: ShareType | None = None,
    open_type: OpenType | None = None,
    mounted: bool | None = None,
    status: EntryStatus | None = Query(None, description="Default: published"),
    page: PageParams = Depends(page_params),
    session: Session = Depends(get_session),
    principal: Principal = Depends(current_principal),
):
    filters = service.SearchFilters(
        q=q, provider=provider, category=category.value if category else None, class_code=class_code,
        share_type=share_type.value if share_type else None, open_type=open_type.value if open_type else None,
        mounted=mounted, status=status.value if status else None)
    items, total = service.search_entries(session, filters, principal, page.limit, page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("/entries", response_model=EntryRead, status_code=201)
def create_entry(data: EntryCreate, session: Session = Depends(get_session),
                 principal: Principal = Depends(current_principal)):
    return service.entry_read(service.create_entry(session, data, principal))


@router.get("/entries/{entry_id}", response_model=EntryRead)
def get_entry(entry_id: str, session: Session = Depends(get_session),
              principal: Principal = Depends(current_principal)):
    return service.entry_read(service.get_entry(session, entry_id, principal))


@router.patch("/entries/{entry_id}", response_model=EntryRead)
def update_entry(entry_id: str, data: EntryUpdate, session: Session = Depends(get_session),
                 principal: Principal = Depends(current_principal)):
    return service.entry_read(service.update_entry(session, entry_id, data, principal))


@router.post("/entries/{entry_id}/publish", response_model=EntryRead)
def publish_entry(entry_id: str, session: Session = Depends(get_session),
                  principal: Principal = Depends(current_principal)):
    return service.entry_read(service.publish_entry(session, entry_id, principal))


@router.post("/entries/{entry_id}/withdraw", response_model=EntryRead)
def withdraw_entry(entry_id: str, reason: str = Body(..., embed=True, min_length=1, max_length=500),
                   session: Session = Depends(get_session), principal: Principal = Depends(current_principal)):
    return service.entry_read(service.withdraw_entry(session, entry_id, principal, reason))


@router.get("/entries/{entry_id}/versions", response_model=list[VersionRead])
def list_versions(entry_id: str, session: Session = Depends(get_session),
                  principal: Principal = Depends(current_principal)):
    return service.list_versions(session, entry_id, principal)
