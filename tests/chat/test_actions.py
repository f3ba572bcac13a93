"""Button clicks (block_actions), signed as Slack signs them; the local receiver plays both
the incoming webhook and the click's response_url."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from incidents import lifecycle
from incidents.chat import blocks
from incidents.chat.models import ChatChannel, ChatThread
from incidents.models import Incident, TimelineEvent
from tests.helpers import declare

from .slack import action_body, post_signed

URL = "/slack/actions"
pytestmark = pytest.mark.usefixtures("eager", "linked")


@pytest.fixture
def click(signing_secret, receiver, django_capture_on_commit_callbacks):
    client = Client()

    def click(action_id: str, incident: Incident, channel: ChatChannel, **fields):
        value = blocks.button_value(incident.ref, channel.pk)
        body = action_body(action_id, value, f"{receiver.url}/actions/T0KEEL/7/xyz", **fields)
        with django_capture_on_commit_callbacks(execute=True):
            return post_signed(client, URL, body, signing_secret)

    return click


def posted(receiver, path: str) -> list[dict]:
    return [json.loads(r.body) for r in receiver.requests if r.path == path]


def test_acknowledge_acknowledges_as_the_person_and_updates_the_clicked_message(
    cast, channel, receiver, click
):
    incident = declare(cast, actor=None)
    response = click(blocks.ACKNOWLEDGE, incident, channel)
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.status == "investigating"
    assert TimelineEvent.objects.get(incident=incident, kind="ack").author == cast.responder
    [update] = posted(receiver, "/actions/T0KEEL/7/xyz")
    assert update["replace_original"] is True
    assert "investigating" in update["text"] and "Acknowledged by Responder" in update["text"]
    labels = [e["text"]["text"] for e in update["blocks"][2]["elements"]]
    assert labels == ["Resolve", "Open room"]  # no Acknowledge any more
    assert posted(receiver, "/services/T1/B1/xyz") == []  # updated, not posted anew


def test_later_changes_update_the_same_message(
    cast, channel, receiver, click, django_capture_on_commit_callbacks
):
    incident = declare(cast, actor=None)
    click(blocks.ACKNOWLEDGE, incident, channel)
    with django_capture_on_commit_callbacks(execute=True):
        # (a second later: the channel's one-message-per-second slot is free again)
        channel.__class__.objects.filter(pk=channel.pk).update(last_sent_at=None)
        lifecycle.set_severity(incident, cast.admin, "SEV1")
    updates = posted(receiver, "/actions/T0KEEL/7/xyz")
    assert len(updates) == 2 and "SEV1" in updates[-1]["text"]
    assert ChatThread.objects.get().uses == 2


def test_resolve_resolves(cast, channel, receiver, click):
    incident = declare(cast)
    click(blocks.RESOLVE, incident, channel)
    assert Incident.objects.get(pk=incident.pk).status == "resolved"
    [update] = posted(receiver, "/actions/T0KEEL/7/xyz")
    assert [e["text"]["text"] for e in update["blocks"][2]["elements"]] == ["Open room"]


def test_a_click_teaches_the_channel_its_workspace_id(cast, channel, click):
    click(blocks.ACKNOWLEDGE, declare(cast, actor=None), channel, channel_id="C0LEARNED")
    channel.refresh_from_db()
    assert channel.slack_channel_id == "C0LEARNED"


def test_a_refused_click_is_told_to_the_clicker_alone(cast, channel, receiver, click):
    incident = declare(cast)  # already investigating
    click(blocks.ACKNOWLEDGE, incident, channel)
    [reply] = posted(receiver, "/actions/T0KEEL/7/xyz")
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    assert "nothing to acknowledge" in reply["text"]


def test_a_viewer_may_not_resolve(cast, channel, receiver, click):
    incident = declare(cast)
    click(blocks.RESOLVE, incident, channel, user_id="UVIEWER")
    assert Incident.objects.get(pk=incident.pk).status == "investigating"
    [reply] = posted(receiver, "/actions/T0KEEL/7/xyz")
    assert "can view" in reply["text"]


def test_an_unlinked_person_is_told_how_to_link(cast, channel, receiver, click):
    incident = declare(cast, actor=None)
    click(blocks.ACKNOWLEDGE, incident, channel, user_id="USTRANGER")
    assert Incident.objects.get(pk=incident.pk).status == "triggered"
    [reply] = posted(receiver, "/actions/T0KEEL/7/xyz")
    assert "/accounts/profile/" in reply["text"] and "USTRANGER" in reply["text"]


def test_an_unknown_incident_is_told(cast, channel, receiver, signing_secret):
    body = action_body(blocks.ACKNOWLEDGE, f"INC-999:{channel.pk}", f"{receiver.url}/r")
    assert post_signed(Client(), URL, body, signing_secret).status_code == 200
    [reply] = posted(receiver, "/r")
    assert "No such incident" in reply["text"]


def test_open_room_needs_nothing(cast, channel, receiver, click):
    incident = declare(cast, actor=None)
    assert click(blocks.OPEN_ROOM, incident, channel).status_code == 200
    assert receiver.requests == [] and not ChatThread.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("payload=not-json", "not JSON"),
        ("nothing=here", "not JSON"),
        ('payload={"type":"view_submission"}', "Only block_actions"),
        ('payload={"type":"block_actions","actions":[]}', "no user or no actions"),
        ('payload={"type":"block_actions","user":{"id":5},"actions":[{}]}', "missing"),
        ("payload=[1,2]", "Only block_actions"),
    ],
)
def test_a_malformed_payload_is_a_clear_400(db, signing_secret, body, message):
    response = post_signed(Client(), URL, body, signing_secret)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_an_unknown_action_is_a_clear_400(cast, channel, signing_secret, receiver):
    body = action_body("keel_explode", f"INC-1:{channel.pk}", f"{receiver.url}/r")
    response = post_signed(Client(), URL, body, signing_secret)
    assert response.status_code == 400 and "Unknown action" in response.json()["error"]


def test_an_unsigned_click_is_refused(cast, channel, receiver, signing_secret):
    incident = declare(cast, actor=None)
    body = action_body(blocks.ACKNOWLEDGE, f"{incident.ref}:{channel.pk}", f"{receiver.url}/r")
    response = post_signed(Client(), URL, body, "wrong-secret")
    assert response.status_code == 401
    assert Incident.objects.get(pk=incident.pk).status == "triggered"
