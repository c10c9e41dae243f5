"""Background thread that runs due database pulls (`sources.run_due_pulls`) every few seconds.

Started by the application when the environment variable `GOVSHARE_SCHEDULER` is "1" (`govshare
serve` sets it; `--no-scheduler` turns it off); off otherwise, so tests and embedded uses never start
it implicitly. Every `settings.scheduler_interval_seconds` the thread takes (or renews) the lease
`mount-scheduler` for three intervals: with several `govshare serve` processes one of them pulls, and
if it dies another takes over once the lease runs out. Cron users run `govshare mount run-due`.
The lease holder also escalates access requests past their deadline to the operator
(`sharing.service.escalate_overdue`). With `GOVSHARE_NATS_URL` set, it also relays the grants' change feeds to NATS
(`exchange.relay.relay_once`) after each pass.
"""

from __future__ import annotations

import logging
import os
import threading

from govshare.core import jobs
from govshare.core.config import get_settings
from govshare.core.database import session_scope

log = logging.getLogger("govshare.mounting.scheduler")


def enabled() -> bool:
    return os.environ.get("GOVSHARE_SCHEDULER", "0") == "1"


class MountScheduler:
    def __init__(self, interval: float | None = None, holder: str = jobs.HOLDER, max_pulls: int | None = None):
        self.interval = interval if interval is not None else get_settings().scheduler_interval_seconds
        self.holder = holder
        self.max_pulls = max_pulls
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0

    def start(self) -> MountScheduler:
        self._thread = threading.Thread(target=self._run, name="govshare-mount-scheduler", daemon=True)
        self._thread.start()
        log.info("mount scheduler started (every %.0f s, holder %s)", self.interval, self.holder)
        return self

    def _run(self) -> None:
        from govshare.mounting import sources
        kwargs = {"max_pulls": self.max_pulls} if self.max_pulls else {}
        while not self._stop.is_set():
            result = {}
            try:
                result = sources.run_due_pulls(holder=self.holder, **kwargs)
                if result["pulls"]:
                    log.info("scheduled pulls: %s", ", ".join(f"{p['entry_id']} {p['status']}"
                                                              for p in result["pulls"]))
            except Exception:  # noqa: BLE001 - keep the thread alive; the next pass retries
                log.exception("mount scheduler pass failed")
            if result.get("lease"):
                self._escalate()
            if result.get("lease") and get_settings().nats_url:
                self._relay()
            self.passes += 1
            self._stop.wait(self.interval)

    @staticmethod
    def _escalate() -> None:
        from govshare.sharing import service as sharing
        try:
            with session_scope() as session:
                escalated = sharing.escalate_overdue(session)
            if escalated:
                log.info("escalated %d overdue access request(s) to the operator", escalated)
        except Exception:  # noqa: BLE001 - the next pass retries
            log.exception("escalation pass failed")

    @staticmethod
    def _relay() -> None:
        from govshare.exchange import relay
        try:
            counts = relay.relay_once()
            if counts["published"]:
                log.info("feed relay: %(published)d changes published for %(grants)d grants", counts)
        except Exception:  # noqa: BLE001 - NATS down or a bad page: the cursors stay, the next pass retries
            log.exception("feed relay pass failed")

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current pull (waits up to `timeout`) and hand the lease to another process."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            with session_scope() as session:
                jobs.release(session, "mount-scheduler", self.holder)
        except Exception:  # noqa: BLE001 - shutting down; the lease expires by itself
            log.warning("could not release the mount-scheduler lease", exc_info=True)
        log.info("mount scheduler stopped")


def start_if_enabled() -> MountScheduler | None:
    return MountScheduler().start() if enabled() else None
