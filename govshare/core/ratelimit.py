"""Fixed-window rate limits, shared by every server process through Redis when configured.

Without Redis the counters live in this process (a single-process deployment, or tests). A window
is one minute; the answer is 0 (go ahead) or the seconds until the window ends (`Retry-After`).
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache

from govshare.core.config import get_settings

WINDOW_SECONDS = 60


class LocalLimiter:
    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, now: float | None = None) -> int:
        now = time.time() if now is None else now
        window = int(now // WINDOW_SECONDS)
        with self._lock:
            if len(self._counts) > 100_000:  # drop finished windows
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
        return 0 if count <= limit else _retry_after(now, window)


class RedisLimiter:
    def __init__(self, url: str) -> None:
        import redis
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def hit(self, key: str, limit: int, now: float | None = None) -> int:
        now = time.time() if now is None else now
        window = int(now // WINDOW_SECONDS)
        name = f"govshare:rl:{key}:{window}"
        pipe = self.client.pipeline(transaction=False)
        pipe.incr(name)
        pipe.expire(name, WINDOW_SECONDS * 2)
        count = pipe.execute()[0]
        return 0 if count <= limit else _retry_after(now, window)


def _retry_after(now: float, window: int) -> int:
    return max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))


@lru_cache(maxsize=4)
def _limiter(redis_url: str | None):
    return RedisLimiter(redis_url) if redis_url else LocalLimiter()


def limiter():
    return _limiter(get_settings().redis_url)
