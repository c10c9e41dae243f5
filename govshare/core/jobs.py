"""Run-once background jobs across many server processes, by a lease row in the database."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import String, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from govshare.core.database import Base, utcnow
from govshare.core.threads import start_daemon

HOLDER = f"{socket.gethostname()}:{os.getpid()}"
_log = logging.getLogger("govshare.jobs")


class JobLease(Base):
    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column()


def try_acquire(session: Session, name: str, seconds: float, holder: str = HOLDER) -> bool:
    """Take or renew the lease; True when this holder has it until now + seconds.

    The conditional UPDATE is atomic on both stores, so two processes never both win.
    """
    now = utcnow()
    until = now + timedelta(seconds=seconds)
    row = session.get(JobLease, name)
    if row is None:
        try:
            with session.begin_nested():
                session.add(JobLease(name=name, holder=holder, expires_at=until))
            return True
        except IntegrityError:
            session.expire_all()
    result = session.execute(
        update(JobLease).where(JobLease.name == name)
        .where((JobLease.holder == holder) | (JobLease.expires_at < now))
        .values(holder=holder, expires_at=until)
        # No in-Python evaluation of the WHERE clause: SQLite hands back naive datetimes.
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(session: Session, name: str, holder: str = HOLDER) -> None:
    session.execute(delete(JobLease).where(JobLease.name == name, JobLease.holder == holder))


class LeasedLoop:
    """A daemon thread that calls `run_pass()` every `interval` seconds; on `stop()` it hands its lease
    (named `lease`, taken by the pass itself) to another process. Subclasses: the mount scheduler, the
    ledger integrator."""

    lease = ""
    thread_name = "govshare-loop"

    def __init__(self, interval: float, holder: str = HOLDER):
        import threading
        self.interval = interval
        self.holder = holder
        self._stop = threading.Event()
        self._thread = None
        self.passes = 0

    def run_pass(self) -> None:
        raise NotImplementedError

    def start(self):
        self._thread = start_daemon(self._run, self.thread_name)
        _log.info("%s started (every %.1f s, holder %s)", self.thread_name, self.interval, self.holder)
        return self

    def _run(self) -> None:
        import time
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.run_pass()
            except Exception:  # noqa: BLE001 - keep the thread alive; the next pass retries
                _log.exception("%s pass failed", self.thread_name)
            self.passes += 1
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current pass (waits up to `timeout`) and release the lease."""
        from govshare.core.database import session_scope
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            with session_scope() as session:
                release(session, self.lease, self.holder)
        except Exception:  # noqa: BLE001 - shutting down; the lease expires by itself
            _log.warning("could not release the %s lease", self.lease, exc_info=True)
        _log.info("%s stopped", self.thread_name)
