"""Access requests, decisions within the legal deadline, grants.

Share principle (PRODUCT.md): `unconditional` entries are granted on request; `conditional` entries
wait for an approver of the provider, who has N working days; `none` is refused with the entry's
legal basis. Overdue requests go to the platform operator (escalation), who can decide them and
can also overturn a refusal (arbitration). An approver may narrow a request, never widen it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from govshare.catalog.models import CatalogEntry
from govshare.catalog.service import item_specs
from govshare.catalog.vocab import EntryStatus, ShareMethod, ShareType
from govshare.core import epochs
from govshare.core.config import get_settings
from govshare.core.database import as_utc, utcnow
from govshare.core.errors import Conflict, Forbidden, InvalidInput, NotFound, problem
from govshare.core.regions import is_within, validate_region_code
from govshare.core.security import new_id
from govshare.core.workdays import calendar
from govshare.ledger import sequencer as ledger
from govshare.ledger.models import LedgerEntry
from govshare.orgs.models import ApiClient, Organization
from govshare.orgs.roles import Role, Scope
from govshare.orgs.service import Principal
from govshare.sharing import masking
from govshare.sharing.models import AccessRequest, Grant
from govshare.sharing.schemas import (
    METHODS_OF_SHARE_METHOD, AccessRequestCreate, AccessRequestRead, ApproveBody, GrantRead, GrantStatus,
    RejectBody, RenewBody, RequestStatus, RevokeBody,
)

OPEN_STATUSES = (RequestStatus.pending.value, RequestStatus.escalated.value)


def offered_methods(entry: CatalogEntry) -> set[str]:
    out: set[str] = set()
    for method in entry.share_methods or []:
        out |= {m.value for m in METHODS_OF_SHARE_METHOD.get(ShareMethod(method), set())}
    return out


# ---- filing --------------------------------------------------------------------------------------

def _require_consumer(principal: Principal) -> None:
    if not principal.may(Scope.data_read.value, (Role.consumer.value, Role.org_admin.value)):
        raise Forbidden("filing requests needs the consumer role (or scope data:read)", code="insufficient_permission")


def _resolve_clients(session: Session, principal: Principal, org_id: str, wanted: list[str]) -> list[str]:
    """ApiClient ids of the consumer's live clients named by client_id (or id)."""
    if not wanted and principal.kind == "client":
        return [principal.id]
    if not wanted:
        raise InvalidInput("name the API clients that will use the grant",
                           details=[problem("client_ids", "at least one client is required")])
    found = {c.client_id: c for c in session.scalars(select(ApiClient).where(
        ApiClient.org_id == org_id, or_(ApiClient.client_id.in_(wanted), ApiClient.id.in_(wanted))))}
    by_any = {**found, **{c.id: c for c in found.values()}}
    problems = [problem("client_ids", "not a client of your department", w) for w in wanted if w not in by_any]
    problems += [problem("client_ids", "client revoked", w) for w in wanted
                 if w in by_any and by_any[w].revoked_at is not None]
    if problems:
        raise InvalidInput("unknown or revoked API clients", details=problems)
    return sorted({by_any[w].id for w in wanted})


def _check_items(entry: CatalogEntry, names: list[str], field: str = "items") -> None:
    known = {i.name for i in entry.items}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidInput("unknown items", details=[problem(field, "not an item of this entry", n) for n in unknown])


def _check_region(entry: CatalogEntry, region_item: str | None, region_code: str | None) -> None:
    if region_item is None:
        if region_code is not None:
            raise InvalidInput("region_code needs region_item",
                               details=[problem("region_item", "name the item holding each row's region code")])
        return
    item = next((i for i in entry.items if i.name == region_item), None)
    if item is None or item.data_type != "C":
        raise InvalidInput("region_item must be a text item of this entry",
                           details=[problem("region_item", "not a text item of this entry", region_item)])
    if region_code is not None:
        validate_region_code(region_code)


def file_request(session: Session, data: AccessRequestCreate, principal: Principal,
                 now: datetime | None = None) -> AccessRequest:
    now = now or utcnow()
    _require_consumer(principal)
    entry = session.get(CatalogEntry, data.entry_id)
    if entry is None or entry.status != EntryStatus.published:
        raise NotFound("entry not found or not published", code="entry_not_found")
    if entry.provider_org_id == principal.org_id:
        raise InvalidInput("a department does not request its own data",
                           details=[problem("entry_id", "your department provides this entry")])
    items = list(dict.fromkeys(data.items))
    _check_items(entry, items)
    _check_items(entry, list(data.masking), "masking")
    methods = sorted({m.value for m in data.methods})
    missing = sorted(set(methods) - offered_methods(entry))
    if missing:
        raise InvalidInput("the entry is not shared that way", details=[
            problem("methods", f"not offered by the entry's share methods {entry.share_methods}", m) for m in missing])
    consumer = session.get(Organization, principal.org_id)
    region_code = data.region_code or (consumer.region_code if data.region_item else None)
    _check_region(entry, data.region_item, region_code)
    if data.duration_days > get_settings().max_grant_days:
        raise InvalidInput("duration too long", details=[problem(
            "duration_days", f"at most {get_settings().max_grant_days} days", data.duration_days)])
    req = AccessRequest(
        id=new_id("r"), entry_id=entry.id, consumer_org_id=principal.org_id, provider_org_id=entry.provider_org_id,
        requested_by=principal.name or principal.id, items=items, methods=methods,
        masking={k: v.value for k, v in data.masking.items() if k in items},
        client_ids=_resolve_clients(session, principal, principal.org_id, data.client_ids),
        purpose=data.purpose, legal_basis=data.legal_basis, region_item=data.region_item, region_code=region_code,
        duration_days=data.duration_days, created_at=now)
    session.add(req)
    if entry.share_type == ShareType.unconditional:
        # Granted at once, with at least the default masking of each item's personal-information kind.
        specs = {s.name: s for s in item_specs(entry)}
        policies = {name: max(req.masking.get(name, "clear"), masking.default_policy(specs[name].pi_kind),
                              key=masking.strictness) for name in items}
        _decide(session, req, "approved", "platform (unconditional share)", now, None)
        _make_grant(session, req, items, methods, policies, req.region_item, req.region_code, req.duration_days,
                    None, now)
    elif entry.share_type == ShareType.conditional:
        req.status = RequestStatus.pending.value
        req.due_at = calendar().deadline(now, get_settings().review_working_days)
    else:
        _decide(session, req, "refused", "platform (share type none)", now, entry.share_condition)
    session.flush()
    _log(session, "request.filed", req, principal, at=now, status=req.status, items=",".join(items),
         methods=",".join(methods), purpose=req.purpose, legal_basis=req.legal_basis)
    return req


def _log(session: Session, kind: str, req: AccessRequest, principal: Principal | None, **fields) -> None:
    """A governance event of an access request or its grant, sequenced with this transaction."""
    ledger.record(session, kind, consumer_org_id=req.consumer_org_id, provider_org_id=req.provider_org_id,
                  entry_id=req.entry_id, grant_id=req.grant_id, request=req.id,
                  actor=principal.id if principal else "platform", **fields)


# ---- deciding ------------------------------------------------------------------------------------

def _decide(session: Session, req: AccessRequest, status: str, by: str, now: datetime, reason: str | None) -> None:
    req.status, req.decided_by, req.decided_at, req.decision_reason = status, by, now, reason


def _policies_for(req: AccessRequest, items: list[str], entry: CatalogEntry) -> dict[str, str]:
    specs = {s.name: s for s in item_specs(entry)}
    return {n: req.masking.get(n) or masking.default_policy(specs[n].pi_kind) for n in items}


def floor_policies(req: AccessRequest) -> dict[str, str]:
    """The masking each requested item gets unless the approver tightens it (the loosest one allowed)."""
    return _policies_for(req, list(req.items), req.entry)


def _make_grant(session: Session, req: AccessRequest, items: list[str], methods: list[str], policies: dict[str, str],
                region_item: str | None, region_code: str | None, duration_days: int, rate_limit: int | None,
                now: datetime) -> Grant:
    grant = Grant(id=new_id("g"), request_id=req.id, entry_id=req.entry_id, consumer_org_id=req.consumer_org_id,
                  provider_org_id=req.provider_org_id, items=items, methods=methods, masking=policies,
                  client_ids=list(req.client_ids), purpose=req.purpose, region_item=region_item,
                  region_code=region_code, rate_limit_per_minute=rate_limit, starts_at=now,
                  expires_at=now + timedelta(days=duration_days), created_at=now)
    session.add(grant)
    req.grant_id = grant.id
    epochs.bump(session, epochs.ACCESS)
    return grant


def get_request(session: Session, request_id: str, principal: Principal, *, for_update: bool = False) -> AccessRequest:
    stmt = select(AccessRequest).where(AccessRequest.id == request_id)
    req = session.scalar(stmt.with_for_update(of=AccessRequest) if for_update else stmt)
    if req is None or not (principal.org_id in (req.consumer_org_id, req.provider_org_id) or principal.is_platform_admin):
        raise NotFound("access request not found", code="request_not_found")
    return req


def _decider(principal: Principal, req: AccessRequest) -> str:
    """'provider' or 'operator' (arbitration); Forbidden otherwise."""
    if principal.kind == "user" and principal.org_id == req.provider_org_id and principal.has_role(Role.approver):
        if req.status in OPEN_STATUSES:
            return "provider"
    if principal.is_platform_admin and req.status in (RequestStatus.escalated, RequestStatus.refused):
        return "operator"
    if req.status not in (*OPEN_STATUSES, RequestStatus.refused.value):
        raise Conflict(f"the request is already {req.status}", code="already_decided")
    if principal.is_platform_admin:
        raise Forbidden("the operator decides only escalated (overdue) or refused requests",
                        code="not_escalated")
    raise Forbidden("only an approver of the providing department decides", code="not_approver")


def decider_role(principal: Principal, req: AccessRequest) -> str:
    """'provider' or 'operator' when `principal` may decide `req` now; Forbidden or Conflict otherwise
    (what approve/reject would raise), for pages that show a decision form before it is sent."""
    return _decider(principal, req)


def approve(session: Session, request_id: str, body: ApproveBody, principal: Principal,
            now: datetime | None = None) -> AccessRequest:
    now = now or utcnow()
    req = get_request(session, request_id, principal, for_update=True)
    who = _decider(principal, req)
    entry = req.entry
    items = list(dict.fromkeys(body.items)) if body.items is not None else list(req.items)
    wider = [n for n in items if n not in req.items]
    methods = sorted({m.value for m in body.methods}) if body.methods is not None else list(req.methods)
    problems = [problem("items", "not requested: an approval may only narrow", n) for n in wider]
    problems += [problem("methods", "not requested: an approval may only narrow", m)
                 for m in methods if m not in req.methods]
    if not items:
        problems.append(problem("items", "grant at least one item, or reject"))
    if not methods:
        problems.append(problem("methods", "grant at least one method, or reject"))
    duration = body.duration_days or req.duration_days
    if duration > req.duration_days:
        problems.append(problem("duration_days", f"longer than requested ({req.duration_days})", duration))
    items = [n for n in items if n in req.items]  # wider ones are reported above
    policies = _policies_for(req, items, entry)
    for name, policy in body.masking.items():
        if name not in items:
            problems.append(problem("masking", "not a granted item", name))
        elif masking.strictness(policy.value) < masking.strictness(policies[name]):
            problems.append(problem("masking", f"looser than requested ({policies[name]}): only tightening",
                                     f"{name}={policy.value}"))
        else:
            policies[name] = policy.value
    region_item = body.region_item or req.region_item
    region_code = body.region_code or (req.region_code if region_item == req.region_item else None)
    if region_item and not region_code:
        region_code = req.consumer.region_code
    if problems:
        raise InvalidInput("the approval asks for more than the request", details=problems)
    _check_region(entry, region_item, region_code)
    if req.region_code and region_code and region_item == req.region_item and not is_within(
            region_code, req.region_code):
        raise InvalidInput("region scope must stay within the requested one",
                           details=[problem("region_code", f"outside {req.region_code}", region_code)])
    _decide(session, req, RequestStatus.approved.value, principal.name or principal.id, now, body.note)
    req.arbitrated = who == "operator"
    grant = _make_grant(session, req, items, methods, policies, region_item, region_code, duration,
                        body.rate_limit_per_minute, now)
    session.flush()
    _log(session, "request.arbitrated" if req.arbitrated else "request.approved", req, principal, at=now,
         decision="approved", items=",".join(items), methods=",".join(methods),
         masking=",".join(f"{k}={v}" for k, v in sorted(policies.items())), region=region_code,
         expires=grant.expires_at.isoformat())
    return req


def reject(session: Session, request_id: str, body: RejectBody, principal: Principal,
           now: datetime | None = None) -> AccessRequest:
    now = now or utcnow()
    req = get_request(session, request_id, principal, for_update=True)
    who = _decider(principal, req)
    _decide(session, req, RequestStatus.rejected.value, principal.name or principal.id, now, body.reason)
    req.arbitrated = who == "operator"  # for a refused request: the operator upholds the refusal
    session.flush()
    _log(session, "request.arbitrated" if req.arbitrated else "request.rejected", req, principal, at=now,
         decision="rejected", reason=body.reason)
    return req


def escalate_overdue(session: Session, now: datetime | None = None) -> int:
    """Hand every pending request past its deadline to the platform operator; returns how many."""
    now = now or utcnow()
    overdue = list(session.scalars(select(AccessRequest).where(
        AccessRequest.status == RequestStatus.pending.value, AccessRequest.due_at < now).with_for_update(of=AccessRequest)))
    for req in overdue:
        req.status, req.escalated_at = RequestStatus.escalated.value, now
        _log(session, "request.escalated", req, None, at=now, due=as_utc(req.due_at).isoformat())
    session.flush()
    return len(overdue)


def log_expired_grants(session: Session, now: datetime | None = None) -> int:
    """Log `grant.expired` for every grant that ran out since its last expiry was logged (a grant renewed
    after expiring is logged again when it runs out again); returns how many."""
    now = now or utcnow()
    logged = select(LedgerEntry.seq).where(LedgerEntry.grant_id == Grant.id, LedgerEntry.method.is_(None),
                                           LedgerEntry.kind == "grant.expired", LedgerEntry.at >= Grant.expires_at)
    expired = list(session.scalars(select(Grant).where(Grant.expires_at < now, Grant.revoked_at.is_(None),
                                                       ~logged.exists())))
    for grant in expired:
        _log_grant(session, "grant.expired", grant, None, at=now, expires=as_utc(grant.expires_at).isoformat())
    return len(expired)


REQUEST_SORTS = ("deadline", "newest", "oldest")


def list_requests(session: Session, principal: Principal, view: str, status: str | None, limit: int, offset: int,
                  now: datetime | None = None, sort: str | None = None) -> tuple[list[AccessRequest], int]:
    """view: `mine` (my department's requests), `inbox` (to my department, by deadline), `arbitration`.
    `sort` (deadline | newest | oldest) overrides the view's own order; ties go by id so pages are stable."""
    stmt = select(AccessRequest)
    if view == "mine":
        stmt = stmt.where(AccessRequest.consumer_org_id == principal.org_id)
        order = [AccessRequest.created_at.desc()]
    elif view == "inbox":
        stmt = stmt.where(AccessRequest.provider_org_id == principal.org_id)
        order = [AccessRequest.due_at.is_(None), AccessRequest.due_at, AccessRequest.created_at]
    elif view == "arbitration":
        if not principal.is_platform_admin:
            raise Forbidden("the arbitration queue is the platform operator's", code="insufficient_permission")
        stmt = stmt.where(AccessRequest.status.in_([RequestStatus.escalated.value, RequestStatus.refused.value]),
                          AccessRequest.arbitrated.is_(False))
        order = [AccessRequest.created_at]
    else:
        raise InvalidInput("view must be mine, inbox or arbitration", details=[problem("view", "unknown", view)])
    if status == "overdue":
        stmt = stmt.where(AccessRequest.status.in_(OPEN_STATUSES), AccessRequest.due_at < (now or utcnow()))
    elif status == "open":
        stmt = stmt.where(AccessRequest.status.in_(OPEN_STATUSES))
    elif status:
        stmt = stmt.where(AccessRequest.status == status)
    if sort is not None:
        if sort not in REQUEST_SORTS:
            raise InvalidInput("sort must be deadline, newest or oldest", details=[problem("sort", "unknown", sort)])
        # NULLS LAST rather than "due_at IS NULL" first: the due_at index then gives the order.
        order = {"deadline": [AccessRequest.due_at.asc().nulls_last(), AccessRequest.created_at],
                 "newest": [AccessRequest.created_at.desc()], "oldest": [AccessRequest.created_at]}[sort]
        order.append(AccessRequest.id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = list(session.scalars(stmt.order_by(*order).limit(limit).offset(offset)))
    return rows, total


def request_read(req: AccessRequest, now: datetime | None = None) -> AccessRequestRead:
    now = now or utcnow()
    due = as_utc(req.due_at)
    return AccessRequestRead(
        id=req.id, entry_id=req.entry_id, entry_code=req.entry.code, entry_name=req.entry.name,
        consumer_org_id=req.consumer_org_id, consumer_name=req.consumer.name, provider_org_id=req.provider_org_id,
        requested_by=req.requested_by, items=req.items, methods=req.methods, masking=req.masking,
        client_ids=req.client_ids, purpose=req.purpose, legal_basis=req.legal_basis, region_item=req.region_item,
        region_code=req.region_code, duration_days=req.duration_days, status=req.status,
        overdue=req.status in OPEN_STATUSES and due is not None and due < now, due_at=due,
        escalated_at=as_utc(req.escalated_at), decided_by=req.decided_by, decided_at=as_utc(req.decided_at),
        decision_reason=req.decision_reason, arbitrated=req.arbitrated, grant_id=req.grant_id,
        created_at=as_utc(req.created_at))


# ---- grants ----------------------------------------------------------------------------------------

def grant_status(grant: Grant, now: datetime | None = None) -> str:
    if grant.revoked_at is not None:
        return GrantStatus.revoked.value
    if as_utc(grant.expires_at) <= (now or utcnow()):
        return GrantStatus.expired.value
    return GrantStatus.active.value


def grant_read(grant: Grant, now: datetime | None = None) -> GrantRead:
    return GrantRead(
        id=grant.id, request_id=grant.request_id, entry_id=grant.entry_id, entry_code=grant.entry.code,
        entry_name=grant.entry.name, consumer_org_id=grant.consumer_org_id, consumer_name=grant.consumer.name,
        provider_org_id=grant.provider_org_id, items=grant.items, methods=grant.methods, masking=grant.masking,
        client_ids=grant.client_ids, purpose=grant.purpose, region_item=grant.region_item,
        region_code=grant.region_code, rate_limit_per_minute=grant.rate_limit_per_minute,
        status=grant_status(grant, now), starts_at=as_utc(grant.starts_at), expires_at=as_utc(grant.expires_at),
        revoked_at=as_utc(grant.revoked_at), revoke_reason=grant.revoke_reason, renewed_at=as_utc(grant.renewed_at))


def get_grant(session: Session, grant_id: str, principal: Principal, *, for_update: bool = False) -> Grant:
    stmt = select(Grant).where(Grant.id == grant_id)
    grant = session.scalar(stmt.with_for_update(of=Grant) if for_update else stmt)
    if grant is None or not (principal.org_id in (grant.consumer_org_id, grant.provider_org_id)
                             or principal.is_platform_admin):
        raise NotFound("grant not found", code="grant_not_found")
    return grant


GRANT_SORTS = ("newest", "expires")


def list_grants(session: Session, principal: Principal, side: str, status: str | None, entry_id: str | None,
                limit: int, offset: int, now: datetime | None = None,
                sort: str | None = None) -> tuple[list[Grant], int]:
    """side: `consumer` (grants my department holds) or `provider` (grants my department gave).
    sort: `newest` (the default) or `expires` (the soonest expiry first)."""
    now = now or utcnow()
    column = {"consumer": Grant.consumer_org_id, "provider": Grant.provider_org_id}.get(side)
    if column is None:
        raise InvalidInput("side must be consumer or provider", details=[problem("side", "unknown", side)])
    stmt = select(Grant).where(column == principal.org_id)
    if entry_id:
        stmt = stmt.where(Grant.entry_id == entry_id)
    if status == GrantStatus.active:
        stmt = stmt.where(Grant.revoked_at.is_(None), Grant.expires_at > now)
    elif status == GrantStatus.expired:
        stmt = stmt.where(Grant.revoked_at.is_(None), Grant.expires_at <= now)
    elif status == GrantStatus.revoked:
        stmt = stmt.where(Grant.revoked_at.is_not(None))
    if sort not in (None, *GRANT_SORTS):
        raise InvalidInput("sort must be newest or expires", details=[problem("sort", "unknown", sort)])
    order = [Grant.expires_at, Grant.id] if sort == "expires" else [Grant.created_at.desc()]
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    return list(session.scalars(stmt.order_by(*order).limit(limit).offset(offset))), total


def _may_manage(principal: Principal, grant: Grant) -> bool:
    if principal.is_platform_admin:
        return True
    if principal.kind != "user":
        return False
    provider_side = principal.org_id == grant.provider_org_id and principal.has_role(Role.approver, Role.org_admin)
    return provider_side


def may_renew(principal: Principal, grant: Grant) -> bool:
    """Whether `renew_grant` would let `principal` renew `grant` (its state aside)."""
    return _may_manage(principal, grant)


def may_revoke(principal: Principal, grant: Grant) -> bool:
    """Whether `revoke_grant` would let `principal` revoke `grant` (its state aside)."""
    consumer_gives_up = (principal.kind == "user" and principal.org_id == grant.consumer_org_id
                         and principal.has_role(Role.org_admin))
    return _may_manage(principal, grant) or consumer_gives_up


def revoke_grant(session: Session, grant_id: str, body: RevokeBody, principal: Principal,
                 now: datetime | None = None) -> Grant:
    """Effective at once in every server process (the grants epoch changes with this commit)."""
    now = now or utcnow()
    grant = get_grant(session, grant_id, principal, for_update=True)
    consumer_gives_up = (principal.kind == "user" and principal.org_id == grant.consumer_org_id
                         and principal.has_role(Role.org_admin))
    if not (_may_manage(principal, grant) or consumer_gives_up):
        raise Forbidden("only the provider's approver, the consumer's administrator or the operator may revoke",
                        code="insufficient_permission")
    if grant.revoked_at is not None:
        raise Conflict("the grant is already revoked", code="already_revoked")
    grant.revoked_at, grant.revoked_by, grant.revoke_reason = now, principal.name or principal.id, body.reason
    epochs.bump(session, epochs.ACCESS)
    session.flush()
    _log_grant(session, "grant.revoked", grant, principal, at=now, reason=body.reason)
    return grant


def _log_grant(session: Session, kind: str, grant: Grant, principal: Principal | None, **fields) -> None:
    ledger.record(session, kind, consumer_org_id=grant.consumer_org_id, provider_org_id=grant.provider_org_id,
                  entry_id=grant.entry_id, grant_id=grant.id, request=grant.request_id,
                  actor=principal.id if principal else "platform", **fields)


def renew_grant(session: Session, grant_id: str, body: RenewBody, principal: Principal,
                now: datetime | None = None) -> Grant:
    now = now or utcnow()
    grant = get_grant(session, grant_id, principal, for_update=True)
    if not _may_manage(principal, grant):
        raise Forbidden("only the provider's approver or the operator may renew", code="insufficient_permission")
    if grant.revoked_at is not None:
        raise Conflict("a revoked grant cannot be renewed; file a new request", code="already_revoked")
    if body.duration_days > get_settings().max_grant_days:
        raise InvalidInput("duration too long", details=[problem(
            "duration_days", f"at most {get_settings().max_grant_days} days", body.duration_days)])
    grant.expires_at = max(as_utc(grant.expires_at), now) + timedelta(days=body.duration_days)
    grant.renewed_at = now
    epochs.bump(session, epochs.ACCESS)
    session.flush()
    _log_grant(session, "grant.renewed", grant, principal, at=now, expires=as_utc(grant.expires_at).isoformat())
    return grant


def entry_consumers(session: Session, entry_id: str, principal: Principal, limit: int = 20,
                    now: datetime | None = None) -> tuple[list[tuple[str, str, int]], int]:
    """Who uses an entry: (org id, name, active grants) of the departments holding active grants on it,
    most grants first, and how many such departments there are. For the provider and the operator."""
    entry = session.get(CatalogEntry, entry_id)
    if entry is None or not (principal.is_platform_admin or principal.org_id == entry.provider_org_id):
        raise Forbidden("only the providing department may see who uses its entry", code="not_provider")
    now = now or utcnow()
    active = (Grant.entry_id == entry.id, Grant.revoked_at.is_(None), Grant.expires_at > now)
    total = session.scalar(select(func.count(func.distinct(Grant.consumer_org_id))).where(*active)) or 0
    grants = func.count(Grant.id)
    rows = session.execute(
        select(Organization.id, Organization.name, grants).join(Organization, Organization.id == Grant.consumer_org_id)
        .where(*active).group_by(Organization.id, Organization.name).order_by(grants.desc(), Organization.name)
        .limit(limit)).all()
    return [(r[0], r[1], r[2]) for r in rows], total
