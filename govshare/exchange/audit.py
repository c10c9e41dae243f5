"""Group commit of audit records: durable before the response, without a commit per request.

Requests hand their record to one writer thread per process and wait; the writer takes whatever
has queued up, writes it in one transaction and wakes those requests (HARD-PARTS: the database's
own log does the same). Under load, batches grow by themselves; alone, a record waits for one
commit. If the write fails, every waiting request fails: no data leaves without its record.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from concurrent.futures import Future

from sqlalchemy.engine import Engine

from govshare.core.database import get_engine, utcnow
from govshare.exchange.models import ExchangeCall

log = logging.getLogger("govshare.audit")
MAX_BATCH = 5000


class AuditWriter:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._queue: queue.SimpleQueue[tuple[dict, Future]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="govshare-audit", daemon=True)
        self._thread.start()

    def submit(self, record: dict) -> Future:
        record.setdefault("at", utcnow())
        future: Future = Future()
        self._queue.put((record, future))
        return future

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                with self.engine.begin() as conn:
                    conn.execute(ExchangeCall.__table__.insert(), [record for record, _ in batch])
            except BaseException as exc:  # noqa: BLE001 - every waiter must hear about it
                log.error("audit write of %d records failed: %s", len(batch), exc.__class__.__name__)
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for _, future in batch:
                future.set_result(None)


_writers: dict[tuple[int, str], AuditWriter] = {}
_lock = threading.Lock()


def writer() -> AuditWriter:
    """The writer of this process (a forked worker starts its own) for the current database."""
    engine = get_engine()
    key = (os.getpid(), str(engine.url))
    with _lock:
        found = _writers.get(key)
        if found is None:
            found = _writers[key] = AuditWriter(engine)
        return found


def record(**fields) -> Future:
    return writer().submit(fields)
