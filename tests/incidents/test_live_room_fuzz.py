"""Arbitrary frames thrown at the live room: text, binary, JSON of any shape, huge and deeply
nested. The server never crashes (no exception out of the application, no traceback in the
log); each frame gets the answer the protocol documents (a replay, nothing for a ping, an
error, or a close with a documented code); and the room keeps working for a well-behaved
client afterwards."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents import consumers, lifecycle
from keel.asgi import application

from ..helpers import declare

pytestmark = pytest.mark.django_db(transaction=True)
HEADERS = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
TIMEOUT = 5
DOCUMENTED_CLOSE_CODES = {
    consumers.CLOSE_MALFORMED,
    consumers.CLOSE_ACCESS_ENDED,
    consumers.CLOSE_TOO_MANY,
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
messages = st.fixed_dictionaries(
    {"type": st.sampled_from(["hello", "ping", "HELLO", "", "event"]) | json_values},
    optional={"after": st.integers(-5, 5) | st.integers() | json_values},
)
frames = st.one_of(
    messages.map(lambda m: {"text_data": json.dumps(m)}),
    json_values.map(lambda v: {"text_data": json.dumps(v)}),
    st.text(max_size=100).map(lambda t: {"text_data": t}),
    st.binary(max_size=100).map(lambda b: {"bytes_data": b}),
    st.integers(1, 3000).map(lambda n: {"text_data": "[" * n + "]" * n}),
    st.integers(consumers.MAX_FRAME_CHARS - 20, consumers.MAX_FRAME_CHARS + 20).map(
        lambda n: {"text_data": json.dumps({"type": "ping", "pad": "x" * n})}
    ),
)


@dataclass
class Expected:
    """What the protocol says the server answers to a run of frames on one socket."""

    answers: list[str] = field(default_factory=list)  # "error" or "replay", in order
    close: int | None = None

    @classmethod
    def for_frames(cls, sent: list[dict]) -> Expected:
        expected, hellos, pings = cls(), 0, 0
        for frame in sent:
            text = frame.get("text_data")
            if text is None or len(text) > consumers.MAX_FRAME_CHARS:
                expected.close = consumers.CLOSE_MALFORMED
                return expected
            try:
                content = json.loads(text)
            except (ValueError, RecursionError):
                expected.close = consumers.CLOSE_MALFORMED
                return expected
            kind = content.get("type") if isinstance(content, dict) else None
            if kind == "hello":
                after = content.get("after", 0)
                is_seq = isinstance(after, int) and not isinstance(after, bool)
                if not (is_seq and 0 <= after <= consumers.MAX_SEQ):
                    expected.answers.append("error")
                elif (hellos := hellos + 1) > consumers.HELLO_LIMIT[0]:
                    expected.close = consumers.CLOSE_TOO_MANY
                    return expected
                else:
                    expected.answers.append("replay")
            elif kind == "ping":
                if (pings := pings + 1) > consumers.PING_LIMIT[0]:
                    expected.close = consumers.CLOSE_TOO_MANY
                    return expected
            else:
                expected.answers.append("error")
        return expected


async def answers_of(communicator, expected: Expected) -> tuple[list[str], int | None]:
    """Read what the server sent: errors, replays (events, then the incident's state),
    and the close code if it closed. Presence may come at any time."""
    answers: list[str] = []
    while len(answers) < len(expected.answers) or expected.close is not None:
        output = await communicator.receive_output(timeout=TIMEOUT)
        if output["type"] == "websocket.close":
            return answers, output["code"]
        message = json.loads(output["text"])
        assert message["type"] in {"error", "event", "incident", "presence"}, message
        if message["type"] == "error":
            assert message["detail"]
            answers.append("error")
        elif message["type"] == "incident":
            answers.append("replay")
    return answers, None


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@settings(
    max_examples=60,
    derandomize=True,  # a fixed seed: the same frames on every run
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sent=st.lists(frames, min_size=1, max_size=6))
def test_arbitrary_frames_never_crash_the_room(fuzz_room, sent):
    incident, cookie = fuzz_room

    async def scenario() -> tuple[list[str], int | None]:
        communicator = WebsocketCommunicator(
            application,
            f"/ws/incidents/{incident.ref}/",
            headers=[*HEADERS, (b"cookie", cookie)],
        )
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        for frame in sent:  # as they come off the wire, empty frames included
            text, data = frame.get("text_data"), frame.get("bytes_data")
            await communicator.send_input(
                {"type": "websocket.receive", "text": text}
                if text is not None
                else {"type": "websocket.receive", "bytes": data}
            )
        answers = await answers_of(communicator, Expected.for_frames(sent))
        # The browser goes; the application ends cleanly (an exception would raise here).
        await communicator.disconnect(timeout=TIMEOUT)
        return answers

    expected = Expected.for_frames(sent)
    answers, close = asyncio.run(scenario())
    assert answers == expected.answers
    assert close == expected.close
    assert close is None or close in DOCUMENTED_CLOSE_CODES


@pytest.fixture
def fuzz_room(cast, caplog):
    """An incident the fuzzed sockets open (as its viewer); afterwards, the room still
    works for a well-behaved client and nothing was logged as an error."""
    incident = declare(cast)
    yield incident, session_cookie(cast.viewer)
    responder_cookie = session_cookie(cast.responder)

    async def well_behaved() -> dict:
        communicator = WebsocketCommunicator(
            application,
            f"/ws/incidents/{incident.ref}/",
            headers=[*HEADERS, (b"cookie", responder_cookie)],
        )
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        await communicator.send_json_to({"type": "hello", "after": 0})
        while (await communicator.receive_json_from(timeout=TIMEOUT))["type"] != "incident":
            pass
        await sync_to_async(lifecycle.add_note)(incident, cast.responder, "still working")
        while (message := await communicator.receive_json_from(timeout=TIMEOUT))["type"] != (
            "event"
        ):
            pass
        await communicator.disconnect()
        return message["event"]

    assert asyncio.run(well_behaved())["body"] == "still working"
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
