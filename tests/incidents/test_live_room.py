"""The incident room's WebSocket, through the project's real ASGI application (origin
check, session auth, routing) and the Redis channel layer."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.test import Client

from incidents import lifecycle, live, presence
from incidents.consumers import IncidentRoomConsumer
from incidents.models import Incident
from keel.asgi import application

from ..helpers import declare

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://localhost")
HOST = (b"host", b"localhost")
TIMEOUT = 5


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@sync_to_async
def room(incident: Incident | str, user=None, origin=ORIGIN) -> WebsocketCommunicator:
    headers = [HOST, origin]
    if user is not None:
        headers.append((b"cookie", session_cookie(user)))
    ref = incident if isinstance(incident, str) else incident.ref
    return WebsocketCommunicator(application, f"/ws/incidents/{ref}/", headers=headers)


async def receive_until(communicator, kind: str) -> dict:
    while True:
        message = await communicator.receive_json_from(timeout=TIMEOUT)
        if message["type"] == kind:
            return message


async def connect_and_hello(communicator, after: int = 0) -> list[dict]:
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    await communicator.send_json_to({"type": "hello", "after": after})
    events = []
    while True:
        message = await communicator.receive_json_from(timeout=TIMEOUT)
        if message["type"] == "event":
            events.append(message["event"])
        if message["type"] == "incident":
            return events


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
async def test_people_who_may_not_see_the_incident_are_refused_before_accept(cast, who):
    incident = await sync_to_async(declare)(cast, private=True)
    communicator = await room(incident, cast.by_name(who))
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert not connected


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",  # another host
        "http://localhost:1234",  # another port on this host: another program
        "https://localhost",  # another scheme
        "http://localhost.evil.example",
        "null",
    ],
)
async def test_a_foreign_origin_is_refused(cast, origin):
    incident = await sync_to_async(declare)(cast)
    communicator = await room(incident, cast.responder, origin=(b"origin", origin.encode()))
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert not connected


async def test_a_socket_without_origin_is_refused(cast):
    incident = await sync_to_async(declare)(cast)
    communicator = WebsocketCommunicator(
        application, f"/ws/incidents/{incident.ref}/", headers=[HOST]
    )
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert not connected


@pytest.mark.parametrize(
    ("host", "origin", "scheme"),
    [
        ("localhost", "http://localhost", "ws"),
        ("localhost:8000", "http://localhost:8000", "ws"),
        ("127.0.0.1:8443", "https://127.0.0.1:8443", "wss"),
    ],
)
async def test_the_sites_own_origin_is_accepted(cast, host, origin, scheme):
    incident = await sync_to_async(declare)(cast)
    cookie = await sync_to_async(session_cookie)(cast.responder)
    communicator = WebsocketCommunicator(
        application,
        f"/ws/incidents/{incident.ref}/",
        headers=[(b"host", host.encode()), (b"origin", origin.encode()), (b"cookie", cookie)],
    )
    communicator.scope["scheme"] = scheme
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    await communicator.disconnect()


@pytest.mark.parametrize(
    ("host", "origin", "scheme"),
    [
        ("localhost:8000", "http://localhost:8001", "ws"),  # the port differs
        ("localhost:8000", "http://localhost", "ws"),
        ("localhost", "https://localhost", "ws"),  # plain ws from an https page's origin
        ("localhost", "http://localhost", "wss"),  # an http page on a wss socket
        ("evil.example", "http://evil.example", "ws"),  # a Host not in ALLOWED_HOSTS
    ],
)
async def test_an_origin_that_differs_in_scheme_host_or_port_is_refused(cast, host, origin, scheme):
    incident = await sync_to_async(declare)(cast)
    cookie = await sync_to_async(session_cookie)(cast.responder)
    communicator = WebsocketCommunicator(
        application,
        f"/ws/incidents/{incident.ref}/",
        headers=[(b"host", host.encode()), (b"origin", origin.encode()), (b"cookie", cookie)],
    )
    communicator.scope["scheme"] = scheme
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert not connected


async def test_csrf_trusted_origins_are_accepted(cast, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://keel.example.com", "https://*.ops.example"]
    incident = await sync_to_async(declare)(cast)
    for origin, expected in [
        ("https://keel.example.com", True),
        ("https://status.ops.example", True),
        ("http://status.ops.example", False),
        ("https://keel.example.com:444", False),
    ]:
        communicator = await room(incident, cast.responder, origin=(b"origin", origin.encode()))
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected is expected, origin
        if connected:
            await communicator.disconnect()


async def test_an_unknown_incident_is_refused(cast):
    communicator = await room("INC-404", cast.responder)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert not connected


async def test_hello_replays_exactly_the_missing_events_in_order(cast):
    incident = await sync_to_async(declare)(cast)  # seq 1, 2
    for n in range(4):  # seq 3..6
        await sync_to_async(lifecycle.add_note)(incident, cast.responder, f"note {n}")
    communicator = await room(incident, cast.viewer)
    events = await connect_and_hello(communicator, after=3)
    assert [e["seq"] for e in events] == [4, 5, 6]
    assert [e["body"] for e in events] == ["note 1", "note 2", "note 3"]
    assert 'id="event-4"' in events[0]["html"] and "note 1" in events[0]["html"]
    await communicator.disconnect()


async def test_a_change_is_pushed_with_the_new_state(cast):
    incident = await sync_to_async(declare)(cast)
    communicator = await room(incident, cast.viewer)
    await connect_and_hello(communicator, after=incident.last_seq)
    await sync_to_async(lifecycle.add_note)(incident, cast.responder, "Rolled back")
    event = (await receive_until(communicator, "event"))["event"]
    assert (event["seq"], event["kind"], event["body"]) == (3, "note", "Rolled back")
    # The broadcast renders the state when it gets to it: let it, before the next change.
    assert await sync_to_async(live.flush)()
    await sync_to_async(lifecycle.set_severity)(incident, cast.responder, "SEV1")
    state = (await receive_until(communicator, "incident"))["incident"]
    assert (state["severity"], state["last_seq"]) == ("SEV2", 3), "the state after the note"
    state = (await receive_until(communicator, "incident"))["incident"]
    assert (state["severity"], state["last_seq"]) == ("SEV1", 4)
    assert "sev-SEV1" in state["head_html"]
    await communicator.disconnect()


async def test_a_struck_note_is_replaced_live(cast):
    incident = await sync_to_async(declare)(cast)
    note = await sync_to_async(lifecycle.add_note)(incident, cast.responder, "It is DNS")
    communicator = await room(incident, cast.viewer)
    await connect_and_hello(communicator, after=note.seq)
    await sync_to_async(lifecycle.strike_note)(incident, cast.responder, note.seq)
    update = (await receive_until(communicator, "event_update"))["event"]
    assert update["seq"] == note.seq and "event-struck" in update["html"]
    await communicator.disconnect()


async def test_events_are_not_sent_before_hello_nor_twice_after_it(cast):
    incident = await sync_to_async(declare)(cast)
    communicator = await room(incident, cast.viewer)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    await sync_to_async(lifecycle.add_note)(incident, cast.responder, "before hello")
    await asyncio.sleep(0.3)
    await communicator.send_json_to({"type": "hello", "after": 0})
    seqs = []
    while True:
        message = await communicator.receive_json_from(timeout=TIMEOUT)
        if message["type"] == "event":
            seqs.append(message["event"]["seq"])
        if message["type"] == "incident":
            break
    await sync_to_async(lifecycle.add_note)(incident, cast.responder, "after hello")
    seqs.append((await receive_until(communicator, "event"))["event"]["seq"])
    assert seqs == [1, 2, 3, 4]
    await communicator.disconnect()


async def test_presence_lists_who_joins_and_leaves(cast):
    incident = await sync_to_async(declare)(cast)
    first = await room(incident, cast.responder)
    await connect_and_hello(first)
    second = await room(incident, cast.viewer)
    connected, _ = await second.connect(timeout=TIMEOUT)
    assert connected
    joined = await receive_until(first, "presence")
    while [u["name"] for u in joined["users"]] != ["Responder", "Viewer"]:
        joined = await receive_until(first, "presence")
    await second.disconnect()
    left = await receive_until(first, "presence")
    assert [u["name"] for u in left["users"]] == ["Responder"]
    await first.disconnect()


@pytest.mark.parametrize("message", [{"type": "hello", "after": "x"}, {"type": "dance"}, [1]])
async def test_bad_messages_get_an_error_not_a_crash(cast, message):
    incident = await sync_to_async(declare)(cast)
    communicator = await room(incident, cast.viewer)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    await communicator.send_json_to(message)
    reply = await receive_until(communicator, "error")
    assert reply["detail"]
    await communicator.disconnect()


async def test_a_quiet_room_keeps_its_sockets(cast):
    """Nothing happens for longer than Redis clients time out by default (5 s); the next
    change still arrives."""
    incident = await sync_to_async(declare)(cast)
    communicator = await room(incident, cast.viewer)
    await connect_and_hello(communicator, after=incident.last_seq)
    await asyncio.sleep(6.5)
    await sync_to_async(lifecycle.add_note)(incident, cast.responder, "Still here?")
    event = (await receive_until(communicator, "event"))["event"]
    assert event["body"] == "Still here?"
    await communicator.disconnect()


async def test_a_socket_that_fails_mid_send_still_leaves_the_room(cast, monkeypatch):
    """The browser vanished while the server was writing to it: the consumer ends without
    disconnect(), and must still leave the group and the presence list."""
    incident = await sync_to_async(declare)(cast)
    watcher = await room(incident, cast.responder)
    await connect_and_hello(watcher)
    leaver = await room(incident, cast.viewer)
    await connect_and_hello(leaver, after=incident.last_seq)
    assert [p["name"] for p in await presence.present(incident.pk)] == ["Responder", "Viewer"]

    original = IncidentRoomConsumer.room_event

    async def browser_gone(self, message):
        if self.scope["user"].email == "viewer@example.com":
            raise ConnectionResetError("the browser went away")
        await original(self, message)

    monkeypatch.setattr(IncidentRoomConsumer, "room_event", browser_gone)
    await sync_to_async(lifecycle.add_note)(incident, cast.responder, "Anyone there?")
    with pytest.raises(ConnectionResetError):
        await leaver.wait(timeout=TIMEOUT)
    users = (await receive_until(watcher, "presence"))["users"]
    assert [u["name"] for u in users] == ["Responder"]
    assert [p["name"] for p in await presence.present(incident.pk)] == ["Responder"]
    await watcher.disconnect()
