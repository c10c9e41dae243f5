"""Supply–demand matching (供需对接): a consumer states a need, the platform suggests entries,
providers answer, the consumer closes with feedback. The open / overdue / unmet lists feed evaluation.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from govshare.ledger import sequencer as ledger
from govshare.catalog import search
from govshare.catalog.models import CatalogEntry
from govshare.catalog.vocab import EntryStatus
from govshare.core.database import as_utc, utcnow
from govshare.core.errors import Conflict, Forbidden, InvalidInput, NotFound, problem
from govshare.core.security import new_id
from govshare.core.workdays import CHINA_TZ
from govshare.orgs.models import Organization
from govshare.orgs.roles import Role
from govshare.orgs.service import Principal, get_org_by_code
from govshare.sharing.models import Demand
from govshare.sharing.schemas import DemandAnswer, DemandAnswerKind, DemandClose, DemandCreate, DemandRead

SUGGESTIONS = 5
VIEWS = ("all", "open", "overdue", "answered", "unmet", "met", "promise_overdue", "mine", "to_me", "closed")


def today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(CHINA_TZ).date()


def suggest(session: Session, data_text: str) -> list[dict]:
    hits = search.match_any(session, data_text, SUGGESTIONS)
    if not hits:
        return []
    entries = {e.id: e for e in session.scalars(select(CatalogEntry).where(
        CatalogEntry.id.in_([h.entry_id for h in hits])))}
    return [{"entry_id": h.entry_id, "code": entries[h.entry_id].code, "name": entries[h.entry_id].name,
             "provider": entries[h.entry_id].provider.name, "score": round(h.score, 3)}
            for h in hits if h.entry_id in entries]


def create_demand(session: Session, data: DemandCreate, principal: Principal, now: datetime | None = None) -> Demand:
    now = now or utcnow()
    if principal.kind != "user" or not principal.has_role(Role.consumer, Role.org_admin):
        raise Forbidden("filing a demand needs the consumer role", code="insufficient_permission")
    if data.wanted_by < today(now):
        raise InvalidInput("wanted_by is in the past", details=[problem("wanted_by", "must be today or later",
                                                                         str(data.wanted_by))])
    routed_to = None
    if data.org_code:  # the filer knows (or guesses) who holds it: the demand goes there directly
        try:
            routed_to = get_org_by_code(session, data.org_code).id
        except NotFound:
            raise InvalidInput("no such department", details=[problem("org_code", "no such department",
                                                                      data.org_code)]) from None
    demand = Demand(id=new_id("dm"), consumer_org_id=principal.org_id, created_by=principal.name or principal.id,
                    title=data.title, description=data.description, wanted_items=data.wanted_items,
                    purpose=data.purpose, legal_basis=data.legal_basis, wanted_by=data.wanted_by, status="open",
                    routed_org_id=routed_to, created_at=now)
    demand.suggestions = suggest(session, " ".join([data.title, data.wanted_items, data.description]))
    session.add(demand)
    session.flush()
    return demand


def get_demand(session: Session, demand_id: str, *, for_update: bool = False) -> Demand:
    stmt = select(Demand).where(Demand.id == demand_id)
    demand = session.scalar(stmt.with_for_update(of=Demand) if for_update else stmt)
    if demand is None:
        raise NotFound("demand not found", code="demand_not_found")
    return demand


def route_demand(session: Session, demand_id: str, org_code: str, principal: Principal) -> Demand:
    """The operator hands a demand to the department that should answer it."""
    if not principal.is_platform_admin:
        raise Forbidden("only the platform operator routes demands", code="insufficient_permission")
    demand = get_demand(session, demand_id, for_update=True)
    if demand.status == "closed":
        raise Conflict("the demand is closed", code="demand_closed")
    demand.routed_org_id = get_org_by_code(session, org_code).id
    session.flush()
    return demand


def answer_demand(session: Session, demand_id: str, data: DemandAnswer, principal: Principal,
                  now: datetime | None = None) -> Demand:
    now = now or utcnow()
    demand = get_demand(session, demand_id, for_update=True)
    operator = principal.is_platform_admin
    if not operator and not (principal.kind == "user" and principal.has_role(Role.org_admin, Role.approver)):
        raise Forbidden("answering needs an administrator or approver of a providing department",
                        code="insufficient_permission")
    if not operator and demand.routed_org_id not in (None, principal.org_id):
        raise Forbidden("the operator routed this demand to another department", code="not_routed_to_you")
    if not operator and demand.consumer_org_id == principal.org_id:
        raise Forbidden("a department does not answer its own demand", code="insufficient_permission")
    if demand.status == "closed":
        raise Conflict("the demand is closed", code="demand_closed")
    if demand.answer == DemandAnswerKind.exists and data.answer != DemandAnswerKind.exists:
        raise Conflict("the demand is already answered with an entry", code="already_answered")
    entry = None
    if data.answer == DemandAnswerKind.exists:
        entry = session.get(CatalogEntry, data.entry_id) if data.entry_id else None
        if entry is None or entry.status != EntryStatus.published:
            raise InvalidInput("link a published entry", details=[problem("entry_id", "not a published entry",
                                                                           data.entry_id)])
        if not operator and entry.provider_org_id != principal.org_id:
            raise InvalidInput("link one of your department's entries",
                               details=[problem("entry_id", "provided by another department", data.entry_id)])
    elif data.answer == DemandAnswerKind.will_publish:
        if data.promised_by is None or data.promised_by < today(now):
            raise InvalidInput("promise a date", details=[problem("promised_by", "today or later is required",
                                                                   str(data.promised_by))])
    elif not (data.note and data.note.strip()):
        raise InvalidInput("cannot_share needs its legal basis", details=[problem("note", "legal basis required")])
    demand.answer = data.answer.value
    demand.answer_entry_id = entry.id if entry else None
    demand.promised_by = data.promised_by if data.answer == DemandAnswerKind.will_publish else demand.promised_by
    demand.answer_note = data.note
    demand.answered_by_org_id = entry.provider_org_id if entry else principal.org_id
    demand.answered_at = now
    demand.status = "answered"
    session.flush()
    ledger.record(session, "demand.answered", at=now, consumer_org_id=demand.consumer_org_id,
                  provider_org_id=demand.answered_by_org_id, entry_id=demand.answer_entry_id, demand=demand.id,
                  answer=demand.answer, promised_by=demand.promised_by.isoformat() if demand.promised_by else None,
                  note=demand.answer_note, actor=principal.id)
    return demand


def close_demand(session: Session, demand_id: str, data: DemandClose, principal: Principal,
                 now: datetime | None = None) -> Demand:
    now = now or utcnow()
    demand = get_demand(session, demand_id, for_update=True)
    if principal.org_id != demand.consumer_org_id or principal.kind != "user":
        raise Forbidden("only the department that filed the demand closes it", code="insufficient_permission")
    if demand.status == "closed":
        raise Conflict("the demand is already closed", code="demand_closed")
    demand.satisfied, demand.rating, demand.feedback = data.satisfied, data.rating, data.comment
    demand.status, demand.closed_at = "closed", now
    session.flush()
    return demand


def _view_filter(view: str, principal: Principal, day: date):
    unmet = and_(Demand.status == "closed", Demand.satisfied.is_(False))
    return {
        "all": None,
        "open": Demand.status != "closed",
        "overdue": and_(Demand.status == "open", Demand.wanted_by < day),
        "answered": Demand.status == "answered",
        "unmet": unmet,
        "met": and_(Demand.status == "closed", Demand.satisfied.is_(True)),
        "closed": Demand.status == "closed",
        "promise_overdue": and_(Demand.status != "closed", Demand.answer == DemandAnswerKind.will_publish.value,
                                Demand.promised_by < day),
        "mine": Demand.consumer_org_id == principal.org_id,
        "to_me": and_(Demand.status != "closed",
                      or_(Demand.routed_org_id == principal.org_id, Demand.routed_org_id.is_(None)),
                      Demand.consumer_org_id != principal.org_id),
    }[view]


DEMAND_SORTS = ("wanted_by", "newest", "oldest")


def list_demands(session: Session, principal: Principal, view: str, limit: int, offset: int,
                 now: datetime | None = None, sort: str | None = None) -> tuple[list[Demand], int]:
    """`sort` (wanted_by | newest | oldest) overrides the view's own order."""
    if view not in VIEWS:
        raise InvalidInput(f"view must be one of {', '.join(VIEWS)}", details=[problem("view", "unknown", view)])
    if sort is not None and sort not in DEMAND_SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(DEMAND_SORTS)}", details=[problem("sort", "unknown", sort)])
    stmt = select(Demand)
    clause = _view_filter(view, principal, today(now))
    if clause is not None:
        stmt = stmt.where(clause)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    order = Demand.wanted_by if view in ("overdue", "open", "to_me") else Demand.created_at.desc()
    if sort is not None:
        order = {"wanted_by": Demand.wanted_by, "newest": Demand.created_at.desc(), "oldest": Demand.created_at}[sort]
    return list(session.scalars(stmt.order_by(order, Demand.id).limit(limit).offset(offset))), total


def demand_read(demand: Demand, now: datetime | None = None) -> DemandRead:
    day = today(now)
    unmet = demand.status == "closed" and demand.satisfied is False
    reason = None
    if unmet:
        reason = demand.feedback or (demand.answer_note if demand.answer == DemandAnswerKind.cannot_share else None)
        reason = reason or demand.answer or "no answer"
    return DemandRead(
        id=demand.id, consumer_org_id=demand.consumer_org_id, consumer_name=demand.consumer.name,
        created_by=demand.created_by, title=demand.title, description=demand.description,
        wanted_items=demand.wanted_items, purpose=demand.purpose, legal_basis=demand.legal_basis or "",
        wanted_by=demand.wanted_by, status=demand.status,
        overdue=demand.status == "open" and demand.wanted_by < day, unmet=unmet, unmet_reason=reason,
        promise_overdue=(demand.status != "closed" and demand.answer == DemandAnswerKind.will_publish
                         and demand.promised_by is not None and demand.promised_by < day),
        routed_org_id=demand.routed_org_id, suggestions=demand.suggestions or [], answer=demand.answer,
        answer_entry_id=demand.answer_entry_id, promised_by=demand.promised_by, answer_note=demand.answer_note,
        answered_by_org_id=demand.answered_by_org_id, answered_at=as_utc(demand.answered_at),
        satisfied=demand.satisfied, rating=demand.rating, feedback=demand.feedback,
        closed_at=as_utc(demand.closed_at), created_at=as_utc(demand.created_at))


def org_name(session: Session, org_id: str | None) -> str | None:
    org = session.get(Organization, org_id) if org_id else None
    return org.name if org else None
