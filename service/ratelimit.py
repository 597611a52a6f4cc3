"""Per-key rate limit (``settings.rate_limit_per_minute``), answered with 429.

In-process memory for the embedded server; Redis (one counter per key and minute under
``<prefix>:<tenant>:ratelimit:``) when the API runs as several processes next to Celery workers.
When Redis is unreachable the Redis limiter falls back to the in-process one: requests keep being
served (never a 500 because the counter is down), each API process enforcing the limit on its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Protocol

from integrity.errors import IntegrityError
from integrity.settings import Settings

log = logging.getLogger(__name__)


class RateLimited(IntegrityError):
    code = "rate_limited"
    http_status = 429


class RateLimiter(Protocol):
    def hit(self, key_id: str, tenant: str = "") -> None: ...


def _limited(limit: int, retry_after: float) -> RateLimited:
    return RateLimited(
        f"请求过于频繁：每个密钥每分钟最多 {limit} 次请求，请 {max(1, int(retry_after))} 秒后重试",
        detail={"limit_per_minute": limit, "retry_after_s": max(1, int(retry_after))},
    )


class MemoryRateLimiter:
    """Sliding one-minute window per key."""

    def __init__(self, limit: int):
        self.limit = limit
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key_id: str, tenant: str = "") -> None:
        now = time.monotonic()
        with self._lock:
            q = self._hits.setdefault(key_id, deque())
            while q and now - q[0] >= 60:
                q.popleft()
            if len(q) >= self.limit:
                raise _limited(self.limit, 60 - (now - q[0]))
            q.append(now)


class RedisRateLimiter:
    """Fixed one-minute window per key in Redis, shared by every API process."""

    def __init__(self, limit: int, redis_url: str, prefix: str):
        import redis

        self.limit = limit
        self.prefix = prefix
        self.client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
        self.fallback = MemoryRateLimiter(limit)
        self._warned = -1e9

    def hit(self, key_id: str, tenant: str = "") -> None:
        import redis

        now = time.time()
        window = int(now // 60)
        key = f"{self.prefix}:{tenant or '_'}:ratelimit:{key_id}:{window}"
        try:
            pipe = self.client.pipeline()
            pipe.incr(key)
            pipe.expire(key, 120)
            count = int(pipe.execute()[0])
        except redis.RedisError as exc:
            # Redis down: each API process limits alone (documented choice, README "Outages")
            if time.monotonic() - self._warned > 60:
                self._warned = time.monotonic()
                log.warning("rate limiter: Redis unavailable (%s); in-process limit", type(exc).__name__)
            self.fallback.hit(key_id, tenant)
            return
        if count > self.limit:
            raise _limited(self.limit, 60 - (now % 60))


def make_rate_limiter(settings: Settings) -> RateLimiter:
    if settings.queue_backend == "celery":
        return RedisRateLimiter(settings.rate_limit_per_minute, settings.redis_url, settings.redis_key_prefix)
    return MemoryRateLimiter(settings.rate_limit_per_minute)
