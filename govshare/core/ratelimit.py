"""Fixed-window rate limits, shared by every server process through Redis when configured.

Without Redis the counters live in this process (a single-process deployment, or tests). A window
is one minute unless the caller says otherwise; `hit` answers 0 (go ahead) or the seconds until the
window ends (`Retry-After`). `count` reads a counter without adding to it and `clear` ends it early:
failed sign-ins are counted only when they fail, and forgotten when the right password comes.
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from functools import lru_cache

from govshare.core.config import get_settings
from govshare.core.errors import Unavailable

WINDOW_SECONDS = 60
UNREACHABLE_RETRY_SECONDS = 5
log = logging.getLogger("govshare.ratelimit")


class LocalLimiter:
    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, now: float | None = None, window_seconds: int = WINDOW_SECONDS) -> int:
        now, window = _window(now, window_seconds)
        with self._lock:
            if len(self._counts) > 100_000:  # drop finished windows
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
        return 0 if count <= limit else _retry_after(now, window, window_seconds)

    def count(self, key: str, now: float | None = None, window_seconds: int = WINDOW_SECONDS) -> tuple[int, int]:
        """(hits in the current window, seconds until it ends)."""
        now, window = _window(now, window_seconds)
        with self._lock:
            return self._counts.get((key, window), 0), _retry_after(now, window, window_seconds)

    def clear(self, key: str, now: float | None = None, window_seconds: int = WINDOW_SECONDS) -> None:
        _, window = _window(now, window_seconds)
        with self._lock:
            self._counts.pop((key, window), None)


class RedisLimiter:
    """Counters in Redis. When Redis cannot be reached, a limit cannot be checked: the call is refused
    (503 `service_unavailable`, Retry-After) rather than let through unlimited, and the error is
    logged without the URL (it may hold Redis's password)."""

    def __init__(self, url: str) -> None:
        import redis
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._errors = redis.RedisError
        self._logged_at = 0.0

    @contextmanager
    def _reached(self):
        try:
            yield
        except self._errors as exc:
            now = time.monotonic()
            if now - self._logged_at > 60:  # once a minute, not once per refused request
                self._logged_at = now
                log.error("rate limits: Redis unreachable (%s); refusing the calls it limits",
                          exc.__class__.__name__)
            raise Unavailable("rate limits cannot be checked just now (their store is unreachable); "
                              "try again shortly", headers={"Retry-After": str(UNREACHABLE_RETRY_SECONDS)},
                              details={"retry_after": UNREACHABLE_RETRY_SECONDS}) from None

    def hit(self, key: str, limit: int, now: float | None = None, window_seconds: int = WINDOW_SECONDS) -> int:
        now, window = _window(now, window_seconds)
        name = _name(key, window, window_seconds)
        with self._reached():
            pipe = self.client.pipeline(transaction=False)
            pipe.incr(name)
            pipe.expire(name, window_seconds * 2)
            count = pipe.execute()[0]
        return 0 if count <= limit else _retry_after(now, window, window_seconds)

    def count(self, key: str, now: float | None = None, window_seconds: int = WINDOW_SECONDS) -> tuple[int, int]:
        now, window = _window(now, window_seconds)
        with self._reached():
            hits = int(self.client.get(_name(key, window, window_seconds)) or 0)
        return hits, _retry_after(now, window, window_seconds)

    def clear(self, key: str, now: float | None = None, window_seconds: int = WINDOW_SECONDS) -> None:
        _, window = _window(now, window_seconds)
        with self._reached():
            self.client.delete(_name(key, window, window_seconds))


def _window(now: float | None, window_seconds: int) -> tuple[float, int]:
    """The time (now unless given) and the number of the window it falls in."""
    now = time.time() if now is None else now
    return now, int(now // window_seconds)


def _name(key: str, window: int, window_seconds: int) -> str:
    # The one-minute windows keep their names (a rolling upgrade shares them); others say their length.
    suffix = "" if window_seconds == WINDOW_SECONDS else f":{window_seconds}s"
    return f"govshare:rl:{key}:{window}{suffix}"


def client_address(request) -> str:
    """The address a request came from, as limits count it. Behind a reverse proxy uvicorn puts the
    client's address here from X-Forwarded-For if it trusts the proxy (127.0.0.1 and ::1, else the
    addresses in FORWARDED_ALLOW_IPS); otherwise every client would count as the proxy."""
    return request.client.host if request.client else "unknown"


def _retry_after(now: float, window: int, window_seconds: int = WINDOW_SECONDS) -> int:
    return max(1, int((window + 1) * window_seconds - now + 0.999))


def retry_minutes(retry_after: int) -> int:
    """A Retry-After in whole minutes, rounded up (what a person is told to wait)."""
    return -(-retry_after // 60)


@lru_cache(maxsize=4)
def _limiter(redis_url: str | None):
    return RedisLimiter(redis_url) if redis_url else LocalLimiter()


def limiter():
    return _limiter(get_settings().redis_url)
