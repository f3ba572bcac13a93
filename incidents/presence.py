"""Who is in an incident room, kept in Redis so every server process sees the same list.

One sorted set per incident: each open connection is a member "<user id>:<channel name>"
scored by when it expires. Connections refresh their entry with a heartbeat; a process
that dies without saying goodbye leaves entries that simply expire.
"""

from __future__ import annotations

import asyncio
import time
import weakref

import redis.asyncio as redis
from django.conf import settings

TTL_SECONDS = 60
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, redis.Redis] = (
    weakref.WeakKeyDictionary()
)


def _client() -> redis.Redis:
    # A client belongs to the event loop it was made in (tests run several loops).
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        # Blocking pool: when hundreds join or leave at once, wait for a connection rather
        # than fail (redis-py caps a plain pool at 100 connections).
        pool = redis.BlockingConnectionPool.from_url(
            settings.REDIS_URL, max_connections=200, timeout=10
        )
        client = _clients[loop] = redis.Redis(connection_pool=pool)
    return client


def _keys(incident_id: int) -> tuple[str, str]:
    base = f"keel:presence:{incident_id}"
    return base, f"{base}:names"


async def join(incident_id: int, user_id: int, name: str, channel_name: str) -> list[dict]:
    members, names = _keys(incident_id)
    async with _client().pipeline(transaction=True) as pipe:
        pipe.zadd(members, {f"{user_id}:{channel_name}": time.time() + TTL_SECONDS})
        pipe.hset(names, str(user_id), name)
        pipe.expire(members, TTL_SECONDS * 2)
        pipe.expire(names, TTL_SECONDS * 2)
        await pipe.execute()
    return await present(incident_id)


async def leave(incident_id: int, user_id: int, channel_name: str) -> list[dict]:
    members, _names = _keys(incident_id)
    await _client().zrem(members, f"{user_id}:{channel_name}")
    return await present(incident_id)


async def present(incident_id: int) -> list[dict]:
    """The people with at least one live connection, sorted by name."""
    members, names = _keys(incident_id)
    client = _client()
    now = time.time()
    async with client.pipeline(transaction=True) as pipe:
        pipe.zremrangebyscore(members, "-inf", now)
        pipe.zrange(members, 0, -1)
        pipe.hgetall(names)
        _removed, live, known = await pipe.execute()
    user_ids = sorted({int(member.split(b":", 1)[0]) for member in live})
    people = [
        {"id": uid, "name": known.get(str(uid).encode(), b"").decode() or f"user {uid}"}
        for uid in user_ids
    ]
    return sorted(people, key=lambda person: person["name"].lower())
