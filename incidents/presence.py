"""Who is in an incident room, kept in Redis so every server process sees the same list.

One sorted set per incident: each open connection is a member "<user id>:<channel name>"
scored by when it expires. Connections refresh their entry with a heartbeat; a process
that dies without saying goodbye leaves entries that simply expire.

Telling the room is coalesced. Sending the whole list to everyone on every join would make
a join storm of N people cost N² frames (129,000 for 500 joins). Instead each change bumps
a per-room version, and the first change after the room was last told takes a short lock
in Redis (SET NX PX) and schedules one flush, an interval later, in its own process: the
flush reads the list as it is then and sends it once to the room. Changes made while the
lock is held, in any process, ride on that flush. The interval grows with the room (0.5 s
per 100 people), so a room costs at most about 200 presence frames a second however big it
is, and N joins cost O(N) frames.

Convergence: the flush releases the lock before it reads, so a change is either read by
that flush or schedules the next one. The version the room was last told is kept next to
the current one; if a flush is lost (its process died or was stopped, Redis blipped), the
lock expires and the next join, leave or heartbeat (every 25 s per browser) sees the
versions differ and schedules another. Nothing another process needs is kept in memory.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import weakref
from dataclasses import dataclass

import redis.asyncio as redis
from channels.layers import get_channel_layer
from django.conf import settings
from redis.commands.core import AsyncScript

from .live import room_group

log = logging.getLogger(__name__)

TTL_SECONDS = 60
INTERVAL_SECONDS = 0.5  # per started 100 people in the room
INTERVAL_PEOPLE = 100
MAX_INTERVAL_SECONDS = 5.0
# The lock outlives the longest interval, in case the flush never comes (its process
# died): changes after that schedule a flush again.
LOCK_MS = 10_000

# KEYS: members, names, state, lock. The tail of the join and leave scripts: record a
# change, and take the lock when the room has not been told the current version yet.
# Returns the number of live connections if this call must schedule the flush, else -1.
_MARK = """
if changed > 0 then redis.call('HINCRBY', KEYS[3], 'version', 1) end
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[1]) end
local state = redis.call('HMGET', KEYS[3], 'version', 'sent')
if (state[1] or '0') == (state[2] or '0') then return -1 end
if redis.call('SET', KEYS[4], '1', 'NX', 'PX', ARGV[3]) then
  return redis.call('ZCARD', KEYS[1])
end
return -1
"""
# ARGV: key ttl s, now, lock ms, member, expires at, user id, name
_JOIN = """
local changed = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
changed = changed + redis.call('ZADD', KEYS[1], ARGV[5], ARGV[4])
if redis.call('HGET', KEYS[2], ARGV[6]) ~= ARGV[7] then
  redis.call('HSET', KEYS[2], ARGV[6], ARGV[7])
  changed = changed + 1
end
"""
# ARGV: key ttl s, now, lock ms, member
_LEAVE = """
local changed = redis.call('ZREM', KEYS[1], ARGV[4])
changed = changed + redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
"""
# ARGV: now. Release the lock first: a change after this either is read below or takes
# the lock again and schedules the next flush.
_READ = """
redis.call('DEL', KEYS[4])
if redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1]) > 0 then
  redis.call('HINCRBY', KEYS[3], 'version', 1)
end
local state = redis.call('HMGET', KEYS[3], 'version', 'sent')
return {state[1] or '0', state[2] or '0', redis.call('ZRANGE', KEYS[1], 0, -1),
        redis.call('HGETALL', KEYS[2])}
"""
# ARGV: the version sent. Never move back (two flushes may finish out of order).
_SENT = """
if tonumber(redis.call('HGET', KEYS[3], 'sent') or '0') < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[3], 'sent', ARGV[1])
end
"""


@dataclass
class _Redis:
    client: redis.Redis
    join: AsyncScript
    leave: AsyncScript
    read: AsyncScript
    sent: AsyncScript


_redis: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Redis] = weakref.WeakKeyDictionary()
_flushes: set[asyncio.Task] = set()  # scheduled flushes, kept from the garbage collector


def _connection() -> _Redis:
    # A client belongs to the event loop it was made in (tests run several loops).
    loop = asyncio.get_running_loop()
    found = _redis.get(loop)
    if found is None:
        # Blocking pool: when hundreds join or leave at once, wait for a connection rather
        # than fail (redis-py caps a plain pool at 100 connections).
        pool = redis.BlockingConnectionPool.from_url(
            settings.REDIS_URL, max_connections=200, timeout=10
        )
        client = redis.Redis(connection_pool=pool)
        found = _redis[loop] = _Redis(
            client,
            client.register_script(_JOIN + _MARK),
            client.register_script(_LEAVE + _MARK),
            client.register_script(_READ),
            client.register_script(_SENT),
        )
    return found


def _keys(incident_id: int) -> list[str]:
    base = f"keel:presence:{incident_id}"
    return [base, f"{base}:names", f"{base}:state", f"{base}:lock"]


def interval(count: int) -> float:
    """Seconds between two presence updates in a room of `count` connections."""
    steps = math.ceil(max(count, 1) / INTERVAL_PEOPLE)
    return min(steps * INTERVAL_SECONDS, MAX_INTERVAL_SECONDS)


def _common_args() -> list:
    return [TTL_SECONDS * 2, time.time(), LOCK_MS]


async def join(incident_id: int, user_id: int, name: str, channel_name: str) -> None:
    """List (or keep listing: the heartbeat calls this too) one connection."""
    member = f"{user_id}:{channel_name}"
    args = [*_common_args(), member, time.time() + TTL_SECONDS, str(user_id), name]
    count = await _connection().join(keys=_keys(incident_id), args=args)
    _schedule_flush(incident_id, count)


async def leave(incident_id: int, user_id: int, channel_name: str) -> None:
    args = [*_common_args(), f"{user_id}:{channel_name}"]
    count = await _connection().leave(keys=_keys(incident_id), args=args)
    _schedule_flush(incident_id, count)


def _schedule_flush(incident_id: int, count: int) -> None:
    if count < 0:  # the room is up to date, or a flush is already on its way
        return
    task = asyncio.get_running_loop().create_task(_flush(incident_id, interval(count)))
    _flushes.add(task)
    task.add_done_callback(_flushes.discard)


async def _flush(incident_id: int, delay: float) -> None:
    """After `delay`, send the room its list as it is then. A failure is logged, not raised:
    the lock expires and the next change or heartbeat schedules another flush."""
    await asyncio.sleep(delay)
    try:
        connection = _connection()
        keys = _keys(incident_id)
        version, sent, live, known = await connection.read(keys=keys, args=[time.time()])
        if version == sent:  # another process's flush already told the room
            return
        people = _people(live, known)
        await get_channel_layer().group_send(
            room_group(incident_id), {"type": "room.presence", "users": people}
        )
        await connection.sent(keys=keys, args=[int(version)])
    except Exception as error:  # Redis or the channel layer; never a traceback per room
        log.warning("presence flush for incident %s failed: %r", incident_id, error)


async def present(incident_id: int) -> list[dict]:
    """The people with at least one live connection, sorted by name."""
    members, names, _state, _lock = _keys(incident_id)
    async with _connection().client.pipeline(transaction=True) as pipe:
        pipe.zrangebyscore(members, time.time(), "+inf")
        pipe.hgetall(names)
        live, known = await pipe.execute()
    return _people(live, known)


def _people(live: list[bytes], known: list[bytes] | dict[bytes, bytes]) -> list[dict]:
    if isinstance(known, list):  # HGETALL from a script: a flat list of field, value
        known = dict(zip(known[::2], known[1::2], strict=True))
    user_ids = sorted({int(member.split(b":", 1)[0]) for member in live})
    people = [
        {"id": uid, "name": known.get(str(uid).encode(), b"").decode() or f"user {uid}"}
        for uid in user_ids
    ]
    return sorted(people, key=lambda person: person["name"].lower())


async def wait_for_flushes() -> None:
    """Until the flushes scheduled in this process so far have run (for tests)."""
    while pending := [task for task in _flushes if task.get_loop() is asyncio.get_running_loop()]:
        await asyncio.gather(*pending, return_exceptions=True)
