"""Fixed-window counters: in the process, or shared by every process through Redis."""

from __future__ import annotations

import uuid

import pytest

from govshare.core import ratelimit
from tests.conftest import require_service

NOW = 1_800_000_030.0  # 30 s into a minute and into a 15-minute window (1_800_000_000 is a multiple of 900)


def test_local_counters_hit_read_and_clear_within_their_window():
    limiter = ratelimit.LocalLimiter()
    assert [limiter.hit("m", 2, NOW) for _ in range(3)] == [0, 0, 30]  # a minute by default
    assert limiter.hit("m", 2, NOW + 30) == 0  # the next minute
    assert limiter.count("k", NOW, window_seconds=900) == (0, 870)
    assert [limiter.hit("k", 2, NOW, window_seconds=900) for _ in range(3)] == [0, 0, 870]
    assert limiter.count("k", NOW + 60, window_seconds=900) == (3, 810)
    assert limiter.count("k", NOW + 900, window_seconds=900)[0] == 0  # the next window
    limiter.clear("k", NOW, window_seconds=900)
    assert limiter.count("k", NOW, window_seconds=900)[0] == 0


def test_redis_counters_are_shared_across_processes():
    require_service("Redis", "127.0.0.1", 6379)
    url = "redis://127.0.0.1:6379/0"
    key = "test:" + uuid.uuid4().hex
    one, two = ratelimit.RedisLimiter(url), ratelimit.RedisLimiter(url)  # two workers' limiters
    assert [one.hit(key, 3, NOW), two.hit(key, 3, NOW), one.hit(key, 3, NOW)] == [0, 0, 0]
    assert two.hit(key, 3, NOW) == 30  # the window ends at the next full minute
    assert one.hit(key, 3, NOW + 60) == 0  # a new window
    assert [one.hit(key, 2, NOW, window_seconds=900), two.hit(key, 2, NOW, window_seconds=900)] == [0, 0]
    assert two.count(key, NOW, window_seconds=900) == (2, 870)  # not the minute's counter: another one
    assert one.count(key, NOW, window_seconds=60) == (4, 30)
    one.clear(key, NOW, window_seconds=900)
    assert two.count(key, NOW, window_seconds=900) == (0, 870)


def test_an_unreachable_redis_refuses_instead_of_letting_calls_through(caplog):
    from govshare.core.errors import Unavailable
    from tests.conftest import free_port

    url = f"redis://:s3cret-pass@127.0.0.1:{free_port()}/0"  # nothing listens there
    limiter = ratelimit.RedisLimiter(url)
    for ask in (lambda: limiter.hit("k", 5, NOW), lambda: limiter.count("k", NOW), lambda: limiter.clear("k", NOW)):
        with caplog.at_level("ERROR", logger="govshare.ratelimit"), pytest.raises(Unavailable) as refused:
            ask()
        assert refused.value.status_code == 503 and refused.value.code == "service_unavailable"
        assert refused.value.headers == {"Retry-After": "5"} and refused.value.details == {"retry_after": 5}
    lines = [r.getMessage() for r in caplog.records if r.name == "govshare.ratelimit"]
    assert len(lines) == 1 and "Redis unreachable" in lines[0]  # once, not once per refusal
    assert "s3cret-pass" not in caplog.text and "127.0.0.1" not in caplog.text
