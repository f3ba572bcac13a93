"""Chat fixtures: a local receiver playing Slack, a team channel posting to it, tasks run
eagerly (the flow is in-process), and the people linked (proven) to chat user ids."""

from __future__ import annotations

import pytest

from incidents.chat.models import ChatChannel
from tests.receivers import Receiver

from .helpers import proven_link

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def receiver(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the receiver listens on 127.0.0.1
    with Receiver() as running:
        yield running


@pytest.fixture
def channel(cast, receiver) -> ChatChannel:
    return ChatChannel.objects.create(
        team=cast.team, name="#ops", webhook_url=f"{receiver.url}/services/T1/B1/xyz"
    )


@pytest.fixture
def signing_secret(settings) -> str:
    settings.SLACK_SIGNING_SECRET = SECRET
    return SECRET


@pytest.fixture
def linked(cast) -> dict[str, str]:
    """Chat user ids of the cast (the viewer, responder and admin are linked, proven)."""
    ids = {"responder": "URESPONDER", "admin": "UADMIN", "viewer": "UVIEWER"}
    for name, chat_id in ids.items():
        proven_link(getattr(cast, name), chat_id)
    return ids
