"""A socket that misbehaves is closed with a documented code and one log line; replays are
limited and streamed in batches; the room goes on for everyone else."""

from __future__ import annotations

import json
import logging

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.test import Client

from incidents import consumers, lifecycle
from incidents.models import Incident
from keel.asgi import application

from ..helpers import declare

pytestmark = pytest.mark.django_db(transaction=True)
HEADERS = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
TIMEOUT = 5


@sync_to_async
def room(incident: Incident, user) -> WebsocketCommunicator:
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return WebsocketCommunicator(
        application, f"/ws/incidents/{incident.ref}/", headers=[*HEADERS, (b"cookie", cookie)]
    )


async def opened(incident: Incident, user) -> WebsocketCommunicator:
    communicator = await room(incident, user)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return communicator


async def replies_until_closed(communicator) -> tuple[list[str], int]:
    """The types of the messages sent before the socket closed, and the close code."""
    kinds = []
    while True:
        output = await communicator.receive_output(timeout=TIMEOUT)
        if output["type"] == "websocket.close":
            await communicator.disconnect()  # the browser acknowledges; the consumer ends
            return kinds, output["code"]
        kinds.append(json.loads(output["text"])["type"])


def assert_one_line_logged(caplog, code: int) -> None:
    lines = [r for r in caplog.records if r.name == "incidents.consumers"]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert f"with {code}:" in lines[0].getMessage()
    assert not any(r.exc_info for r in caplog.records), "a traceback was logged"
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)


@pytest.mark.parametrize(
    "frame",
    [
        {"bytes_data": b"\x00\xff binary"},
        {"text_data": "this is not JSON"},
        {"text_data": '{"type": "hello", "after": 1'},
        {"text_data": '{"type": "ping", "pad": "' + "x" * consumers.MAX_FRAME_CHARS + '"}'},
        {"text_data": "[" * 2000 + "]" * 2000},  # deeper than the JSON parser recurses
    ],
    ids=["binary", "not JSON", "truncated JSON", "huge", "deeply nested"],
)
async def test_a_malformed_frame_closes_the_socket_with_4400(cast, caplog, frame):
    incident = await sync_to_async(declare)(cast)
    communicator = await opened(incident, cast.viewer)
    await communicator.send_to(**frame)
    kinds, code = await replies_until_closed(communicator)
    assert code == consumers.CLOSE_MALFORMED
    assert set(kinds) <= {"presence"}
    assert_one_line_logged(caplog, code)


async def test_hello_is_limited_and_replays_one_at_a_time(cast, caplog):
    incident = await sync_to_async(declare)(cast)
    communicator = await opened(incident, cast.viewer)
    burst, _every = consumers.HELLO_LIMIT
    for _ in range(burst + 1):
        await communicator.send_json_to({"type": "hello", "after": 0})
    kinds, code = await replies_until_closed(communicator)
    assert code == consumers.CLOSE_TOO_MANY
    replays = [k for k in kinds if k != "presence"]
    # Each allowed hello got its whole replay, in turn, never interleaved with another.
    assert replays == ["event", "event", "incident"] * burst
    assert_one_line_logged(caplog, code)


async def test_a_ping_flood_is_closed_with_4429(cast, caplog):
    incident = await sync_to_async(declare)(cast)
    communicator = await opened(incident, cast.viewer)
    for _ in range(50):
        await communicator.send_json_to({"type": "ping"})
    kinds, code = await replies_until_closed(communicator)
    assert code == consumers.CLOSE_TOO_MANY
    assert set(kinds) <= {"presence"}
    assert_one_line_logged(caplog, code)


async def test_a_flood_of_bad_messages_gets_errors_then_4429(cast, caplog):
    incident = await sync_to_async(declare)(cast)
    communicator = await opened(incident, cast.viewer)
    burst, _every = consumers.FRAME_LIMIT
    for _ in range(burst + 5):
        await communicator.send_json_to({"type": "dance"})
    kinds, code = await replies_until_closed(communicator)
    assert code == consumers.CLOSE_TOO_MANY
    # A few more tokens may have dripped in while the frames were read.
    assert burst <= kinds.count("error") < burst + 5
    assert_one_line_logged(caplog, code)


@pytest.mark.parametrize("after", [-1, 2**31, 10**30, 1.5, "3", None, True])
async def test_a_hello_with_an_impossible_seq_gets_an_error(cast, after):
    incident = await sync_to_async(declare)(cast)
    communicator = await opened(incident, cast.viewer)
    await communicator.send_json_to({"type": "hello", "after": after})
    while (message := await communicator.receive_json_from(timeout=TIMEOUT))["type"] == "presence":
        pass
    assert message == {"type": "error", "detail": "after must be a seq (>= 0)."}
    await communicator.disconnect()


async def test_a_long_timeline_is_replayed_in_batches_whole_and_in_order(cast, monkeypatch):
    monkeypatch.setattr(consumers, "REPLAY_BATCH", 3)
    incident = await sync_to_async(declare)(cast)  # seq 1, 2

    @sync_to_async
    def add_notes() -> None:
        for n in range(10):  # seq 3..12
            lifecycle.add_note(incident, cast.responder, f"note {n}")

    await add_notes()
    communicator = await opened(incident, cast.viewer)
    await communicator.send_json_to({"type": "hello", "after": 1})
    seqs = []
    while (message := await communicator.receive_json_from(timeout=TIMEOUT))["type"] != "incident":
        if message["type"] == "event":
            seqs.append(message["event"]["seq"])
    assert seqs == list(range(2, 13))
    assert message["incident"]["last_seq"] == 12
    # Caught up: the next note is pushed once.
    await sync_to_async(lifecycle.add_note)(incident, cast.responder, "live")
    while (message := await communicator.receive_json_from(timeout=TIMEOUT))["type"] != "event":
        pass
    assert message["event"]["seq"] == 13
    await communicator.disconnect()


async def test_the_room_goes_on_for_others_when_a_socket_is_closed(cast):
    incident = await sync_to_async(declare)(cast)
    good = await opened(incident, cast.responder)
    await good.send_json_to({"type": "hello", "after": incident.last_seq})
    while (await good.receive_json_from(timeout=TIMEOUT))["type"] != "incident":
        pass
    bad = await opened(incident, cast.viewer)
    await bad.send_to(text_data="}{")
    _kinds, code = await replies_until_closed(bad)
    assert code == consumers.CLOSE_MALFORMED
    await sync_to_async(lifecycle.add_note)(incident, cast.responder, "still here")
    while (message := await good.receive_json_from(timeout=TIMEOUT))["type"] != "event":
        pass
    assert message["event"]["body"] == "still here"
    await good.disconnect()
