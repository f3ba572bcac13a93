"""A per-integration rate limit in the shared cache (Redis), so every web process counts
together. It fails open: when Redis is down, alerts are still taken (the database is the
record; dropping alerts to protect a cache would be the wrong way round)."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)


def limit_per_minute() -> int:
    return getattr(settings, "ALERTS_RATE_LIMIT_PER_MINUTE", 6000)


def retry_after(bucket: str) -> int | None:
    """Count one request against `bucket` (an integration's key hash, so the hot path can
    check before loading the integration); None if it is within the limit, else seconds
    until the next minute's window opens."""
    now = time.time()
    window = int(now // 60)
    key = f"alerts:rate:{bucket[:32]}:{window}"
    try:
        count = _count(key, ttl=120)
    except Exception:  # any Redis failure: let the alert through
        log.warning("rate limit skipped for %s…: cache unavailable", bucket[:8])
        return None
    if count <= limit_per_minute():
        return None
    return max(1, int((window + 1) * 60 - now) + 1)


def _count(key: str, ttl: int) -> int:
    """Increment the window's counter, creating it with a TTL: one round trip to Redis
    (a pipeline through the cache's own client), or two through any other cache."""
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        client = cache._cache.get_client(full_key, write=True)
        pipe = client.pipeline(transaction=False)
        pipe.set(full_key, 0, ex=ttl, nx=True)
        pipe.incr(full_key)
        return pipe.execute()[1]
    cache.add(key, 0, timeout=ttl)
    return cache.incr(key)
