"""Monitoring rules over the exchange calls (事中监控): alerts for the providing department's security
officer, each alert itself a ledger event.

Rules (thresholds in `Settings.monitor_*`):
- `off_hours`: calls outside working hours (China time) or on a non-working day (holidays and make-up
  days from the work calendar);
- `after_revocation`: calls refused because their grant was revoked (someone kept trying);
- `many_subjects`: one client looked up more distinct people within the window than allowed;
- `volume_spike`: a consumer's calls to one entry in the last hour far above its own hourly average
  of the past seven days.
A pass reads the calls logged since the previous pass (a cursor on the log's sequence numbers), so
each call is judged once; the windowed rules raise at most one alert per client or (consumer, entry) per window.
The scheduler's lease holder runs a pass with every scheduling round; `govshare monitor run` too.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govshare.core.config import get_settings
from govshare.core.database import as_utc, utcnow
from govshare.core.errors import Conflict, Forbidden, NotFound
from govshare.core.security import new_id
from govshare.core.workdays import CHINA_TZ, calendar
from govshare.ledger import sequencer
from govshare.ledger.models import LedgerEntry, MonitoringAlert, MonitoringCursor
from govshare.orgs.roles import Role
from govshare.orgs.service import Principal

RULES = ("off_hours", "after_revocation", "many_subjects", "volume_spike")
_CURSOR = "ledger"
_MAX_CALLS_PER_PASS = 200_000


def _working_hours() -> tuple[time, time]:
    start, end = get_settings().monitor_working_hours.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


def _off_hours(at: datetime, hours: tuple[time, time], days) -> bool:
    local = as_utc(at).astimezone(CHINA_TZ)
    return not days.is_working_day(local.date()) or not hours[0] <= local.time() < hours[1]


def run_rules(session: Session, now: datetime | None = None) -> list[MonitoringAlert]:
    """One pass over the calls since the last one; the alerts raised (already logged in the ledger)."""
    now = now or utcnow()
    settings = get_settings()
    cursor = session.get(MonitoringCursor, _CURSOR, with_for_update=True)
    if cursor is None:
        cursor = MonitoringCursor(name=_CURSOR, next_seq=0)
        session.add(cursor)
    c = LedgerEntry
    is_call = c.method.is_not(None)  # also lets the planner use the partial indexes over calls
    # Leaves are numbered in commit order with no gap: nothing below the cursor can still appear.
    leaves = session.execute(
        select(c.seq, c.method, c.at, c.provider_org_id, c.consumer_org_id, c.client_id, c.entry_id, c.grant_id,
               c.outcome).where(c.seq >= cursor.next_seq).order_by(c.seq).limit(_MAX_CALLS_PER_PASS)).all()
    if not leaves:
        return []
    cursor.next_seq = leaves[-1].seq + 1
    calls = [x for x in leaves if x.method is not None]
    alerts: list[MonitoringAlert] = []
    hours, days = _working_hours(), calendar()

    grouped: dict[tuple, list] = defaultdict(list)
    for call in calls:
        if call.outcome == "revoked":
            grouped[("after_revocation", call.provider_org_id, call.consumer_org_id, call.client_id, call.entry_id,
                     call.grant_id)].append(call.at)
        if _off_hours(call.at, hours, days):
            grouped[("off_hours", call.provider_org_id, call.consumer_org_id, call.client_id, call.entry_id,
                     call.grant_id)].append(call.at)
    for (rule, provider, consumer, client, entry, grant), times in grouped.items():
        detail = (f"{len(times)} call(s) outside working hours {settings.monitor_working_hours} or on a non-working day"
                  if rule == "off_hours" else f"{len(times)} call(s) refused because the grant was revoked")
        alerts.append(_raise(session, rule, provider, consumer, client, entry, grant, len(times), None, detail,
                             min(times), max(times), now))

    window = timedelta(minutes=settings.monitor_subjects_window_minutes)
    for client, provider, consumer in {(x.client_id, x.provider_org_id, x.consumer_org_id) for x in calls}:
        if _recent(session, "many_subjects", now - window, client_id=client):
            continue
        distinct = session.scalar(select(func.count(func.distinct(c.subject_hash))).where(
            c.consumer_org_id == consumer, is_call, c.client_id == client, c.at >= now - window,
            c.subject_hash.is_not(None)))
        if distinct >= settings.monitor_distinct_subjects:
            alerts.append(_raise(session, "many_subjects", provider, consumer, client, None, None, distinct,
                                 settings.monitor_distinct_subjects,
                                 f"{distinct} distinct people looked up within {window.seconds // 60} minutes",
                                 now - window, now, now))

    hour, week = timedelta(hours=1), timedelta(days=7)
    for consumer, entry, provider in {(x.consumer_org_id, x.entry_id, x.provider_org_id) for x in calls}:
        if _recent(session, "volume_spike", now - hour, consumer_org_id=consumer, entry_id=entry):
            continue
        last_hour = session.scalar(select(func.count()).where(c.consumer_org_id == consumer, is_call, c.entry_id == entry,
                                                              c.at >= now - hour))
        if last_hour < settings.monitor_volume_min_calls:
            continue
        before = session.scalar(select(func.count()).where(c.consumer_org_id == consumer, is_call, c.entry_id == entry,
                                                           c.at >= now - hour - week, c.at < now - hour))
        baseline = before / (7 * 24)
        if last_hour >= settings.monitor_volume_factor * baseline:
            alerts.append(_raise(session, "volume_spike", provider, consumer, None, entry, None, last_hour,
                                 settings.monitor_volume_factor * baseline,
                                 f"{last_hour} calls in the last hour; hourly average of the past 7 days "
                                 f"{baseline:.1f}", now - hour, now, now))
    session.flush()
    return alerts


def _recent(session: Session, rule: str, since: datetime, **match) -> bool:
    query = select(MonitoringAlert.id).where(MonitoringAlert.rule == rule, MonitoringAlert.created_at >= since)
    for column, value in match.items():
        query = query.where(getattr(MonitoringAlert, column) == value)
    return session.scalar(query.limit(1)) is not None


def _raise(session: Session, rule: str, provider: str | None, consumer: str | None, client: str | None,
           entry: str | None, grant: str | None, count: int, threshold: float | None, detail: str,
           first_at: datetime, last_at: datetime, now: datetime) -> MonitoringAlert:
    alert = MonitoringAlert(id=new_id("al"), rule=rule, provider_org_id=provider, consumer_org_id=consumer,
                            client_id=client, entry_id=entry, grant_id=grant, count=count, threshold=threshold,
                            detail=detail, first_at=first_at, last_at=last_at, created_at=now)
    session.add(alert)
    sequencer.record(session, "alert.raised", at=now, consumer_org_id=consumer, provider_org_id=provider,
                     entry_id=entry, grant_id=grant, alert=alert.id, rule=rule, client=client, count=count,
                     detail=detail)
    return alert


# ---- the security officer's view -------------------------------------------------------------------

def _require_officer(principal: Principal) -> None:
    if not (principal.kind == "user" and principal.has_role(Role.security_officer)):
        raise Forbidden("monitoring alerts are for security officers", code="security_officers_only")


def list_alerts(session: Session, principal: Principal, open_only: bool, limit: int, offset: int
                ) -> tuple[list[MonitoringAlert], int]:
    """The alerts about the officer's department's data."""
    _require_officer(principal)
    query = select(MonitoringAlert).where(MonitoringAlert.provider_org_id == principal.org_id)
    if open_only:
        query = query.where(MonitoringAlert.acknowledged_at.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(MonitoringAlert.created_at.desc(), MonitoringAlert.id)
                           .limit(limit).offset(offset)).all()
    return list(rows), total


def acknowledge(session: Session, principal: Principal, alert_id: str, note: str | None) -> MonitoringAlert:
    _require_officer(principal)
    alert = session.get(MonitoringAlert, alert_id, with_for_update=True)
    if alert is None or alert.provider_org_id != principal.org_id:
        raise NotFound("alert not found", code="alert_not_found")
    if alert.acknowledged_at is not None:
        raise Conflict("the alert is already acknowledged", code="already_acknowledged")
    alert.acknowledged_at, alert.acknowledged_by = utcnow(), principal.name or principal.id
    sequencer.record(session, "alert.acknowledged", provider_org_id=alert.provider_org_id,
                     consumer_org_id=alert.consumer_org_id, entry_id=alert.entry_id, grant_id=alert.grant_id,
                     alert=alert.id, actor=principal.id, note=note)
    session.flush()
    return alert
