"""How many HTTP requests this process is serving right now.

The exchange audit writer asks before it holds a commit open for its group-commit window: when no
request but the ones already waiting for that commit is in progress, no other record can join the
batch, and waiting would only slow a client that sends one request at a time down to one request per
window (about 240 lookups/s at 4 ms, whatever the machine).
"""

from __future__ import annotations

import threading


class InFlight:
    """A count of requests in progress. Kept under a lock: tests run apps on several event loops of one
    process, and `+=` is not atomic across threads."""

    __slots__ = ("count", "_lock")

    def __init__(self):
        self.count = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            self.count += 1

    def leave(self) -> None:
        with self._lock:
            self.count -= 1


requests = InFlight()


class InFlightMiddleware:
    """Pure ASGI middleware counting HTTP requests from the app's call to its return (a streamed answer
    counts until its last chunk is sent)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        requests.enter()
        try:
            await self.app(scope, receive, send)
        finally:
            requests.leave()
