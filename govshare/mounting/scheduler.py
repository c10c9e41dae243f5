"""Background thread that runs due database pulls (`sources.run_due_pulls`) every few seconds.

Started by the application when the environment variable `GOVSHARE_SCHEDULER` is "1" (`govshare
serve` sets it; `--no-scheduler` turns it off); off otherwise, so tests and embedded uses never start
it implicitly. Every `settings.scheduler_interval_seconds` the thread takes (or renews) the lease
`mount-scheduler` for three intervals: with several `govshare serve` processes one of them pulls, and
if it dies another takes over once the lease runs out. Cron users run `govshare mount run-due`.
The lease holder also escalates access requests past their deadline to the operator
(`sharing.service.escalate_overdue`), logs grants that expired, and runs the monitoring rules
(`ledger.monitoring.run_rules`). With `GOVSHARE_NATS_URL` set, it also relays the grants' change feeds to NATS
(`exchange.relay.relay_once`) after each pass.
"""

from __future__ import annotations

import logging
import os

from govshare.core import jobs
from govshare.core.config import get_settings
from govshare.core.database import session_scope

log = logging.getLogger("govshare.mounting.scheduler")


def enabled() -> bool:
    return os.environ.get("GOVSHARE_SCHEDULER", "0") == "1"


class MountScheduler(jobs.LeasedLoop):
    lease = "mount-scheduler"
    thread_name = "govshare-scheduler"

    def __init__(self, interval: float | None = None, holder: str = jobs.HOLDER, max_pulls: int | None = None):
        super().__init__(interval if interval is not None else get_settings().scheduler_interval_seconds, holder)
        self.max_pulls = max_pulls

    def run_pass(self) -> None:
        from govshare.mounting import sources
        kwargs = {"max_pulls": self.max_pulls} if self.max_pulls else {}
        result = {}
        try:
            result = sources.run_due_pulls(holder=self.holder, **kwargs)
            if result["pulls"]:
                log.info("scheduled pulls: %s", ", ".join(f"{p['entry_id']} {p['status']}" for p in result["pulls"]))
        except Exception:  # noqa: BLE001 - the other duties of the pass still run
            log.exception("mount scheduler pass failed")
        if result.get("lease"):
            self._escalate()
        if result.get("lease") and get_settings().nats_url:
            self._relay()

    @staticmethod
    def _escalate() -> None:
        from govshare.sharing import service as sharing
        try:
            with session_scope() as session:
                escalated = sharing.escalate_overdue(session)
                sharing.log_expired_grants(session)
            if escalated:
                log.info("escalated %d overdue access request(s) to the operator", escalated)
        except Exception:  # noqa: BLE001 - the next pass retries
            log.exception("escalation pass failed")
        from govshare.ledger import monitoring
        try:
            with session_scope() as session:
                alerts = monitoring.run_rules(session)
            if alerts:
                log.warning("monitoring: %d alert(s) raised: %s", len(alerts),
                            ", ".join(sorted({a.rule for a in alerts})))
        except Exception:  # noqa: BLE001 - the next pass retries
            log.exception("monitoring pass failed")

    @staticmethod
    def _relay() -> None:
        from govshare.exchange import relay
        try:
            counts = relay.relay_once()
            if counts["published"]:
                log.info("feed relay: %(published)d changes published for %(grants)d grants", counts)
        except Exception:  # noqa: BLE001 - NATS down or a bad page: the cursors stay, the next pass retries
            log.exception("feed relay pass failed")


def start_if_enabled() -> MountScheduler | None:
    return MountScheduler().start() if enabled() else None
