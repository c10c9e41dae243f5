"""The exchange call history (who called what, when, with what outcome) and the call figures of the
home dashboard, read from the audit trail: each call's ledger leaf (`ledger_entries` rows with a method).

Who sees what is decided here, for the API and the console alike: a department sees the calls it
served (as provider) and the calls it made (as consumer); auditors and the platform operator may see
every department's calls. The subject of a call is only ever its keyed hash.

Scale: the log holds millions of calls, indexed by (provider_org_id, at) and (consumer_org_id, at)
over calls only (partial indexes: every query here says `method IS NOT NULL` so that the planner may use
them) and (entry_id, at). Every query filters on one of those columns (for a department) and on a time
window, aggregates in SQL, and counts at most `COUNT_CAP` rows, so a page costs the same at 1 million
calls as at 100.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, case, func, or_, select, union
from sqlalchemy.orm import Session, aliased

from govshare.catalog.models import CatalogEntry
from govshare.core.database import as_utc, utcnow
from govshare.core.errors import InvalidInput, problem
from govshare.core.workdays import CHINA_TZ
from govshare.ledger.models import LedgerEntry
from govshare.ledger.sequencer import CALL_METHODS
from govshare.orgs.models import Organization
from govshare.orgs.roles import Role
from govshare.orgs.service import Principal

SIDES = ("all", "provider", "consumer")
METHODS = CALL_METHODS
# Outcome filter: the call answered (ok), found nothing (not_found), or was refused (any other outcome:
# no_grant, expired, revoked, rate_limited, …).
OUTCOMES = ("ok", "not_found", "denied")
ANSWERED = ("ok", "not_found")
COUNT_CAP = 10_000  # counts stop here: "more than 10,000" is all a pager needs
EXPORT_MAX_ROWS = 1_000_000
DASHBOARD_DAYS = 30


def sees_all(principal: Principal) -> bool:
    """Auditors and the platform operator may read every department's calls."""
    return principal.kind == "user" and principal.has_role(Role.auditor, Role.platform_admin)


@dataclass(frozen=True)
class CallFilters:
    side: str = "all"  # all | provider | consumer, relative to `org_id`
    org_id: str | None = None  # whose calls; forced to the caller's department unless `sees_all`
    other_org_id: str | None = None  # the department on the other side
    entry_id: str | None = None
    method: str | None = None
    outcome: str | None = None  # ok | not_found | denied
    date_from: date | None = None  # China dates, inclusive
    date_to: date | None = None
    newest_first: bool = True


def effective_filters(principal: Principal, filters: CallFilters) -> CallFilters:
    problems = []
    if filters.side not in SIDES:
        problems.append(problem("side", "must be all, provider or consumer", filters.side))
    if filters.method and filters.method not in METHODS:
        problems.append(problem("method", "unknown method", filters.method))
    if filters.outcome and filters.outcome not in OUTCOMES:
        problems.append(problem("outcome", "must be ok, not_found or denied", filters.outcome))
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        problems.append(problem("date_to", "before the start date", str(filters.date_to)))
    if problems:
        raise InvalidInput("invalid call history filters", details=problems)
    if not sees_all(principal):
        # Never another department's calls, whatever was asked for.
        return CallFilters(**{**filters.__dict__, "org_id": principal.org_id})
    if filters.org_id is None and filters.side != "all":
        return CallFilters(**{**filters.__dict__, "side": "all"})  # provider/consumer of whom? of anyone
    return filters


def china_day_start(day: date) -> datetime:
    """00:00 China time of `day`, as an aware UTC datetime."""
    return datetime.combine(day, time(0), CHINA_TZ).astimezone(timezone.utc)


def _where(filters: CallFilters) -> list:
    c = LedgerEntry
    clauses = [c.method.is_not(None)]
    org = filters.org_id
    if org is not None:
        if filters.side == "provider":
            clauses.append(c.provider_org_id == org)
            if filters.other_org_id:
                clauses.append(c.consumer_org_id == filters.other_org_id)
        elif filters.side == "consumer":
            clauses.append(c.consumer_org_id == org)
            if filters.other_org_id:
                clauses.append(c.provider_org_id == filters.other_org_id)
        else:
            if filters.other_org_id:
                other = filters.other_org_id
                clauses.append(or_(and_(c.provider_org_id == org, c.consumer_org_id == other),
                                   and_(c.consumer_org_id == org, c.provider_org_id == other)))
            else:
                clauses.append(or_(c.provider_org_id == org, c.consumer_org_id == org))
    elif filters.other_org_id:
        other = filters.other_org_id
        clauses.append(or_(c.provider_org_id == other, c.consumer_org_id == other))
    if filters.entry_id:
        clauses.append(c.entry_id == filters.entry_id)
    if filters.method:
        clauses.append(c.method == filters.method)
    if filters.outcome == "denied":
        clauses.append(c.outcome.not_in(ANSWERED))
    elif filters.outcome:
        clauses.append(c.outcome == filters.outcome)
    if filters.date_from:
        clauses.append(c.at >= china_day_start(filters.date_from))
    if filters.date_to:
        clauses.append(c.at < china_day_start(filters.date_to + timedelta(days=1)))
    return clauses


@dataclass(frozen=True)
class CallRow:
    seq: int  # the call's leaf in the ledger
    at: datetime
    provider_org_id: str | None
    provider_name: str | None
    consumer_org_id: str
    consumer_name: str | None
    entry_id: str
    entry_code: str | None
    entry_name: str | None
    method: str
    purpose: str | None
    subject_hash: str | None
    row_count: int
    outcome: str
    status_code: int


def _select_rows(filters: CallFilters):
    provider = aliased(Organization)
    consumer = aliased(Organization)
    c = LedgerEntry
    order = [c.at.desc(), c.seq.desc()] if filters.newest_first else [c.at, c.seq]
    return (select(c.seq, c.at, c.provider_org_id, provider.name, c.consumer_org_id, consumer.name, c.entry_id,
                   CatalogEntry.code, CatalogEntry.name, c.method, c.purpose, c.subject_hash, c.row_count,
                   c.outcome, c.status_code)
            .outerjoin(provider, provider.id == c.provider_org_id)
            .outerjoin(consumer, consumer.id == c.consumer_org_id)
            .outerjoin(CatalogEntry, CatalogEntry.id == c.entry_id)
            .where(*_where(filters)).order_by(*order))


def _row(values) -> CallRow:
    row = CallRow(*values)
    return CallRow(**{**row.__dict__, "at": as_utc(row.at)})


def _branches(filters: CallFilters) -> list[CallFilters]:
    """A department's calls on both sides are read as two ordered scans, one per index, rather than
    one OR that SQLite and PostgreSQL can only answer by sorting every match."""
    if filters.org_id is not None and filters.side == "all":
        return [replace(filters, side="provider"), replace(filters, side="consumer")]
    return [filters]


def count_calls(session: Session, principal: Principal, filters: CallFilters, cap: int = COUNT_CAP) -> int:
    """How many calls match, counting at most `cap` + 1 per side (a pager only needs "more than cap")."""
    filters = effective_filters(principal, filters)
    total = 0
    for branch in _branches(filters):
        limited = select(LedgerEntry.seq).where(*_where(branch)).limit(cap + 1).subquery()
        total += session.scalar(select(func.count()).select_from(limited)) or 0
    return total


def _page_ids(filters: CallFilters, limit: int, offset: int):
    c = LedgerEntry
    order = [c.at.desc(), c.seq.desc()] if filters.newest_first else [c.at, c.seq]
    branches = _branches(filters)
    if len(branches) == 1:
        return select(c.seq).where(*_where(filters)).order_by(*order).limit(limit).offset(offset)
    parts = [select(c.seq, c.at).where(*_where(b)).order_by(*order).limit(limit + offset).subquery()
             for b in branches]
    both = union(*(select(p.c.seq, p.c.at) for p in parts)).subquery()
    both_order = [both.c.at.desc(), both.c.seq.desc()] if filters.newest_first else [both.c.at, both.c.seq]
    return select(both.c.seq).order_by(*both_order).limit(limit).offset(offset)


def list_calls(session: Session, principal: Principal, filters: CallFilters, limit: int, offset: int
               ) -> tuple[list[CallRow], int]:
    """One page of calls (newest first unless asked otherwise) and the capped count."""
    filters = effective_filters(principal, filters)
    total = count_calls(session, principal, filters)
    c = LedgerEntry
    order = [c.at.desc(), c.seq.desc()] if filters.newest_first else [c.at, c.seq]
    # The page's numbers first (over the indexes, no joins), then names for those rows only.
    seqs = [row[0] for row in session.execute(_page_ids(filters, limit, offset)).all()]
    if not seqs:
        return [], total
    rows = session.execute(_select_rows(CallFilters()).where(c.seq.in_(seqs)).order_by(None).order_by(*order)).all()
    return [_row(r) for r in rows], total


def iter_calls(session: Session, principal: Principal, filters: CallFilters, max_rows: int = EXPORT_MAX_ROWS,
               chunk: int = 2000) -> Iterator[CallRow]:
    """Every matching call, in order, streamed from the database in chunks (for CSV export)."""
    filters = effective_filters(principal, filters)
    result = session.execute(_select_rows(filters).limit(max_rows).execution_options(yield_per=chunk))
    for values in result:
        yield _row(values)


def resolve_entry(session: Session, value: str | None) -> str | None:
    """An entry filter given as an entry code (as people know it) or an entry id."""
    value = (value or "").strip()
    if not value:
        return None
    found = session.scalar(select(CatalogEntry.id).where(or_(CatalogEntry.code == value, CatalogEntry.id == value)))
    if found is None:
        raise InvalidInput("unknown entry", details=[problem("entry", "no catalog entry has this code", value)])
    return found


def resolve_org(session: Session, value: str | None, field: str) -> str | None:
    """A department filter given as its code, short name or id."""
    value = (value or "").strip()
    if not value:
        return None
    found = session.scalar(select(Organization.id).where(or_(
        Organization.code == value.upper(), Organization.short_name == value, Organization.id == value)))
    if found is None:
        raise InvalidInput("unknown department", details=[problem(field, "no department has this code", value)])
    return found


# ---- dashboard figures ----------------------------------------------------------------------------

@dataclass
class CallFigures:
    days: list[str]  # ISO dates, oldest first
    served: list[int]  # calls to my department's data per day (as provider)
    consumed: list[int]  # calls my department made per day (as consumer)
    served_denied: int
    consumed_denied: int
    by_method: dict[str, dict[str, int]]  # method -> {"served": n, "consumed": n}
    top_consumers: list[tuple[str, str, int]]  # (org id, name, calls) of my data
    # Method, refusal and consumer figures read each call's row; past this many calls per side in the
    # window they are computed over the latest `sample` calls only (and the page says so).
    sample: int = 0
    sampled: bool = False

    @property
    def served_total(self) -> int:
        return sum(self.served)

    @property
    def consumed_total(self) -> int:
        return sum(self.consumed)


DETAIL_SAMPLE = 5_000


def _per_day(session: Session, column, org_id: str, bounds: list[datetime]) -> list[int]:
    """Calls per day, as one statement of per-day range counts: each is read off the (org, at) index
    alone, without touching the table, so a busy department's month costs milliseconds."""
    c = LedgerEntry
    counts = [select(func.count()).select_from(c).where(column == org_id, c.method.is_not(None), c.at >= lo,
                                                        c.at < hi).scalar_subquery()
              for lo, hi in zip(bounds, bounds[1:])]
    return [int(n or 0) for n in session.execute(select(*counts)).one()]


def call_figures(session: Session, org_id: str, days: int = DASHBOARD_DAYS, now: datetime | None = None,
                 top: int = 5, sample: int = DETAIL_SAMPLE) -> CallFigures:
    """Calls served and consumed by one department per China day over the last `days` days (exact, from
    the (provider_org_id, at) and (consumer_org_id, at) indexes), and by method, refused and top consumers
    over the same window, or over the latest `sample` calls per side when there are more."""
    today = (now or utcnow()).astimezone(CHINA_TZ).date()
    first = today - timedelta(days=days - 1)
    since = china_day_start(first)
    day_list = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    bounds = [china_day_start(first + timedelta(days=i)) for i in range(days + 1)]
    by_method: dict[str, dict[str, int]] = {m: {"served": 0, "consumed": 0} for m in METHODS}
    denied = {"served": 0, "consumed": 0}
    series = {}
    sampled = False
    c = LedgerEntry
    refused = case((c.outcome.in_(ANSWERED), 0), else_=1)
    by_consumer: dict[str, int] = {}
    for side, column in (("served", c.provider_org_id), ("consumed", c.consumer_org_id)):
        series[side] = _per_day(session, column, org_id, bounds)
        if not sum(series[side]):
            continue
        sampled = sampled or sum(series[side]) > sample
        # The latest calls of the window, walked backwards on the index; then their rows.
        latest = (select(c.seq).where(column == org_id, c.method.is_not(None), c.at >= since)
                  .order_by(c.at.desc()).limit(sample).subquery())
        keys = [c.method, *([c.consumer_org_id] if side == "served" else [])]
        rows = session.execute(select(*keys, func.count(), func.sum(refused))
                               .where(c.seq.in_(select(latest.c.seq))).group_by(*keys)).all()
        for method, *rest in rows:
            consumer, n, n_denied = rest if side == "served" else (None, *rest)
            by_method.setdefault(method, {"served": 0, "consumed": 0})[side] += n
            denied[side] += int(n_denied or 0)
            if side == "served":
                by_consumer[consumer] = by_consumer.get(consumer, 0) + n
    top_ids = sorted(by_consumer, key=lambda k: (-by_consumer[k], k))[:top]
    names = dict(session.execute(select(Organization.id, Organization.name)
                                 .where(Organization.id.in_(top_ids))).all()) if top_ids else {}
    return CallFigures(days=day_list, served=series["served"], consumed=series["consumed"],
                       served_denied=denied["served"], consumed_denied=denied["consumed"], by_method=by_method,
                       top_consumers=[(i, names.get(i, i), by_consumer[i]) for i in top_ids],
                       sample=sample, sampled=sampled)
