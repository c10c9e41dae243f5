"""Group commit of audit records: durable before the response, without a commit per request.

Requests hand their record to one writer thread per process and wait; the writer takes whatever
has queued up, writes it in one transaction and wakes those requests (HARD-PARTS: the database's
own log does the same). Under load, batches grow by themselves; alone, a record waits for one
commit. If the write fails, every waiting request fails: no data leaves without its record.

A record submitted from an event loop gets an asyncio future, and the writer wakes each loop once
per batch (one `call_soon_threadsafe` for all its waiters, not one per request); other callers
get a `concurrent.futures.Future`.
"""

from __future__ import annotations

import asyncio
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

    def submit(self, record: dict) -> Future | asyncio.Future:
        record.setdefault("at", utcnow())
        try:
            future: Future | asyncio.Future = asyncio.get_running_loop().create_future()
        except RuntimeError:  # not on an event loop
            future = Future()
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
                _settle([future for _, future in batch], exc)
                continue
            _settle([future for _, future in batch], None)


def _settle(futures: list, error: BaseException | None) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future]] = {}
    for future in futures:
        if isinstance(future, asyncio.Future):
            by_loop.setdefault(future.get_loop(), []).append(future)
        elif error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
    for loop, waiting in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_on_loop, waiting, error)
        except RuntimeError:  # the loop has closed: nobody is waiting any more
            pass


def _settle_on_loop(futures: list[asyncio.Future], error: BaseException | None) -> None:
    for future in futures:
        if not future.done():
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)


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


def record(**fields) -> Future | asyncio.Future:
    return writer().submit(fields)
