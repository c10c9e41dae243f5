"""What is waiting for a user (the dashboard's "pending items" and the notifications page), computed
from the database on each request; nothing is stored.

Which items a user gets depends on their roles, always within their own department:
- `to_approve`: conditional requests to my department waiting for a decision (approvers);
- `my_request`: my department's requests still open (consumers, department administrators);
- `demand_routed`: open demands the operator routed to my department (administrators, approvers);
- `alert`: open monitoring alerts about my department's data (security officers);
- `grant_expiring`: grants my department holds or gave that expire within 30 days (consumers,
  approvers, administrators);
- `arbitration`: escalated or refused requests waiting for the operator (platform administrators).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from govshare.core.database import as_utc, utcnow
from govshare.ledger.models import MonitoringAlert
from govshare.orgs.models import Organization
from govshare.orgs.roles import Role
from govshare.orgs.service import Principal
from govshare.sharing.models import AccessRequest, Demand, Grant
from govshare.sharing.schemas import RequestStatus

KINDS = ("to_approve", "my_request", "demand_routed", "alert", "grant_expiring", "arbitration")
EXPIRY_WINDOW_DAYS = 30
PER_KIND = 200  # the newest of each kind on the notifications page; counts are exact
OPEN_STATUSES = (RequestStatus.pending.value, RequestStatus.escalated.value)


@dataclass(frozen=True)
class PendingItem:
    kind: str
    id: str
    title: str  # the entry's name, the demand's title, the alert's detail
    other: str | None  # the department on the other side
    at: datetime  # when it started waiting (filed, raised; a grant: when it entered the expiry window)
    due: datetime | None
    href: str
    status: str | None = None

    def overdue(self, now: datetime) -> bool:
        return self.due is not None and self.kind != "grant_expiring" and self.due < now


def kinds_for(principal: Principal) -> list[str]:
    if principal.kind != "user" or principal.has_role(Role.citizen):
        return []
    out = []
    if principal.has_role(Role.approver):
        out.append("to_approve")
    if principal.has_role(Role.consumer, Role.org_admin):
        out.append("my_request")
    if principal.has_role(Role.org_admin, Role.approver):
        out.append("demand_routed")
    if principal.has_role(Role.security_officer):
        out.append("alert")
    if principal.has_role(Role.consumer, Role.org_admin, Role.approver):
        out.append("grant_expiring")
    if principal.is_platform_admin:
        out.append("arbitration")
    return out


def _statements(principal: Principal, kind: str, now: datetime):
    """(filter statement over one model, its model, the time it is ordered by)."""
    org = principal.org_id
    if kind == "to_approve":
        return (select(AccessRequest).where(AccessRequest.provider_org_id == org,
                                            AccessRequest.status == RequestStatus.pending.value),
                AccessRequest.created_at)
    if kind == "my_request":
        return (select(AccessRequest).where(AccessRequest.consumer_org_id == org,
                                            AccessRequest.status.in_(OPEN_STATUSES)), AccessRequest.created_at)
    if kind == "demand_routed":
        return select(Demand).where(Demand.routed_org_id == org, Demand.status == "open"), Demand.created_at
    if kind == "alert":
        return (select(MonitoringAlert).where(MonitoringAlert.provider_org_id == org,
                                              MonitoringAlert.acknowledged_at.is_(None)), MonitoringAlert.created_at)
    if kind == "grant_expiring":
        return (select(Grant).where(or_(Grant.consumer_org_id == org, Grant.provider_org_id == org),
                                    Grant.revoked_at.is_(None), Grant.expires_at > now,
                                    Grant.expires_at <= now + timedelta(days=EXPIRY_WINDOW_DAYS)),
                Grant.expires_at)
    if kind == "arbitration":
        return (select(AccessRequest).where(
            AccessRequest.status.in_([RequestStatus.escalated.value, RequestStatus.refused.value]),
            AccessRequest.arbitrated.is_(False)), AccessRequest.created_at)
    raise ValueError(kind)


def counts(session: Session, principal: Principal, now: datetime | None = None) -> dict[str, int]:
    """kind -> how many are waiting, for the kinds this user gets."""
    now = now or utcnow()
    out = {}
    for kind in kinds_for(principal):
        stmt, _order = _statements(principal, kind, now)
        out[kind] = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return out


def _org_names(session: Session, ids: set[str]) -> dict[str, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(ids))).all())


def items(session: Session, principal: Principal, now: datetime | None = None, per_kind: int = PER_KIND
          ) -> list[PendingItem]:
    """The pending items of every kind this user gets, newest first (grants: soonest expiry first)."""
    now = now or utcnow()
    found: list[PendingItem] = []
    rows_by_kind = {}
    for kind in kinds_for(principal):
        stmt, order = _statements(principal, kind, now)
        rows_by_kind[kind] = list(session.scalars(stmt.order_by(order.desc()).limit(per_kind)))
    other_ids = set()
    for kind, rows in rows_by_kind.items():
        for row in rows:
            if kind == "demand_routed":
                other_ids.add(row.consumer_org_id)
            elif kind == "alert":
                other_ids.add(row.consumer_org_id)
            elif kind in ("to_approve", "arbitration", "grant_expiring", "my_request"):
                other_ids.add(row.provider_org_id if row.consumer_org_id == principal.org_id else row.consumer_org_id)
    names = _org_names(session, other_ids)
    for kind, rows in rows_by_kind.items():
        for row in rows:
            if kind in ("to_approve", "my_request", "arbitration"):
                other = row.provider_org_id if kind == "my_request" else row.consumer_org_id
                href = {"to_approve": f"/access/requests/{row.id}/review", "my_request": f"/access/requests/{row.id}",
                        "arbitration": f"/admin/arbitration/{row.id}"}[kind]
                found.append(PendingItem(kind, row.id, row.entry.name, names.get(other), as_utc(row.created_at),
                                         as_utc(row.due_at), href, row.status))
            elif kind == "demand_routed":
                found.append(PendingItem(kind, row.id, row.title, names.get(row.consumer_org_id),
                                         as_utc(row.created_at), None, f"/demands/{row.id}", row.status))
            elif kind == "alert":
                found.append(PendingItem(kind, row.id, row.detail, names.get(row.consumer_org_id),
                                         as_utc(row.created_at), None, "/alerts", row.rule))
            else:
                other = row.provider_org_id if row.consumer_org_id == principal.org_id else row.consumer_org_id
                side = "consumer" if row.consumer_org_id == principal.org_id else "provider"
                # It became a notification when it entered the expiry window.
                expires = as_utc(row.expires_at)
                found.append(PendingItem(kind, row.id, row.entry.name, names.get(other),
                                         expires - timedelta(days=EXPIRY_WINDOW_DAYS), expires, f"/access/grants?side={side}", side))
    return sorted(found, key=lambda item: item.at, reverse=True)
