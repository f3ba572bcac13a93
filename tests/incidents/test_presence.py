"""Presence in the live room is coalesced: a crowd joining or leaving costs each watcher a
few updates, not one per person, and every watcher ends up with the right list, whichever
server process their socket is on."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from channels.db import database_sync_to_async
from django.test import Client

from accounts.models import Membership, Role
from incidents import presence

from ..helpers import declare, make_user
from .test_live_room import connect_and_hello, receive_until, room

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 10


def make_people(cast, count: int) -> list:
    people = [make_user(f"person{n:02}@example.com") for n in range(count)]
    for person in people:
        Membership.objects.create(team=cast.team, user=person, role=Role.VIEWER)
    return people


def names(message: dict) -> list[str]:
    return [user["name"] for user in message["users"]]


async def presence_until(communicator, expected: list[str]) -> int:
    """Read presence updates until one lists exactly `expected`; how many it took."""
    count = 0
    while True:
        message = await receive_until(communicator, "presence")
        count += 1
        if names(message) == expected:
            return count


async def test_a_crowd_joining_costs_each_watcher_a_few_updates_not_one_per_person(
    cast, monkeypatch, sync_thread_db_closed
):
    # Long enough that the whole crowd gets in within an interval or two, even on a busy
    # machine; sent one update per join, the first to arrive would get 20.
    monkeypatch.setattr(presence, "INTERVAL_SECONDS", 2.0)
    incident = await database_sync_to_async(declare)(cast)
    people = await database_sync_to_async(make_people)(cast, 20)
    sockets = await asyncio.gather(*(room(incident, person) for person in people))
    connected = await asyncio.gather(*(s.connect(timeout=TIMEOUT) for s in sockets))
    assert all(accepted for accepted, _ in connected)
    everyone = sorted(person.name for person in people)

    updates = await asyncio.gather(*(presence_until(s, everyone) for s in sockets))

    assert max(updates) <= 3, updates
    await asyncio.gather(*(s.disconnect() for s in sockets))
    await presence.wait_for_flushes()


async def test_a_crowd_leaving_disappears_in_a_few_updates(
    cast, monkeypatch, sync_thread_db_closed
):
    monkeypatch.setattr(presence, "INTERVAL_SECONDS", 2.0)
    incident = await database_sync_to_async(declare)(cast)
    people = await database_sync_to_async(make_people)(cast, 12)
    watcher = await room(incident, cast.responder)
    await connect_and_hello(watcher)
    sockets = await asyncio.gather(*(room(incident, person) for person in people))
    await asyncio.gather(*(s.connect(timeout=TIMEOUT) for s in sockets))
    everyone = sorted([cast.responder.name, *(person.name for person in people)])
    await presence_until(watcher, everyone)

    await asyncio.gather(*(s.disconnect() for s in sockets))

    assert await presence_until(watcher, [cast.responder.name]) <= 3
    await watcher.disconnect()


async def test_someone_whose_server_died_disappears_with_the_next_heartbeat(cast, monkeypatch):
    """A server process that dies says no goodbye: its sockets' entries expire, and the
    next heartbeat in the room tells everyone."""
    incident = await database_sync_to_async(declare)(cast)
    watcher = await room(incident, cast.responder)
    await connect_and_hello(watcher)
    ghost = await database_sync_to_async(make_user)("ghost@example.com")
    monkeypatch.setattr(presence, "TTL_SECONDS", 1)
    await presence.join(incident.pk, ghost.pk, ghost.name, "a-channel-on-a-dead-server")
    monkeypatch.undo()
    await presence_until(watcher, ["Ghost", "Responder"])
    await asyncio.sleep(1.2)  # past the ghost's entry's expiry, which no heartbeat renews

    await watcher.send_json_to({"type": "ping"})

    assert await presence_until(watcher, ["Responder"]) == 1
    await watcher.disconnect()


def test_presence_converges_across_two_servers(cast, two_servers):
    """Half the crowd on each server process: one update at a time per room, whichever
    process has the change, and everyone sees the same final list as people come and go."""
    people = make_people(cast, 30)
    incident = declare(cast)
    cookies = {}
    for person in people:
        browser = Client()
        browser.force_login(person)
        cookies[person.name] = f"sessionid={browser.cookies['sessionid'].value}"
    everyone = sorted(cookies)
    stayers = everyone[::2]

    async def connect(name: str, server) -> websockets.ClientConnection:
        url = f"ws://127.0.0.1:{server.port}/ws/incidents/{incident.ref}/"
        headers = {"Cookie": cookies[name]}
        return await websockets.connect(url, origin=server.url, additional_headers=headers)

    async def updates_until(socket, expected: list[str]) -> int:
        count = 0
        while True:
            message = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))
            if message["type"] == "presence":
                count += 1
                if names(message) == expected:
                    return count

    async def scenario() -> tuple[list[int], list[int]]:
        sockets = dict(
            zip(
                everyone,
                await asyncio.gather(
                    *(connect(name, two_servers[n % 2]) for n, name in enumerate(everyone))
                ),
                strict=True,
            )
        )
        try:
            joined = await asyncio.gather(*(updates_until(s, everyone) for s in sockets.values()))
            leavers = [sockets.pop(name) for name in everyone if name not in stayers]
            await asyncio.gather(*(socket.close() for socket in leavers))
            left = await asyncio.gather(*(updates_until(s, stayers) for s in sockets.values()))
            return joined, left
        finally:
            await asyncio.gather(*(s.close() for s in sockets.values()))

    joined, left = asyncio.run(scenario())
    # One update per join would give the first 30; per leave, 15.
    assert max(joined) <= 8, joined
    assert max(left) <= 5, left
