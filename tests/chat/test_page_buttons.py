"""A Slack page (paging's message to a person's Slack incoming webhook): its title is escaped
as Slack requires, and a click on its buttons, signed as Slack signs it, is understood by
the interactivity endpoint (it once answered 400: the buttons had no action_id)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from incidents.chat import blocks
from incidents.models import Service
from incidents.paging import senders
from incidents.paging.models import ContactKind, ContactMethod, Escalation
from tests.helpers import declare
from tests.paging.helpers import make_policy

from .slack import action_body, post_signed

TITLE = "<!channel> Disk & CPU <https://evil.example|Acknowledge here>"
pytestmark = pytest.mark.usefixtures("eager", "linked")


@pytest.fixture
def slack_page(cast, receiver, transactional_db):
    """The incident, and the page Keel posted to the responder's Slack webhook."""
    service = Service.objects.create(name="checkout")
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=service)
    ContactMethod.objects.create(
        user=cast.responder, kind=ContactKind.SLACK, address=f"{receiver.url}/services/T9/B9/p"
    )
    incident = declare(cast, actor=None, services=[service], title=TITLE)
    [posted] = [json.loads(r.body) for r in receiver.requests if r.path == "/services/T9/B9/p"]
    return incident, posted


def buttons(page: dict) -> dict[str, dict]:
    return {b["text"]["text"]: b for b in page["blocks"][1]["elements"]}


def click(button: dict, secret: str, user_id: str, response_url: str):
    body = action_body(button["action_id"], button["value"], response_url, user_id=user_id)
    return post_signed(Client(), "/slack/actions", body, secret)


def test_the_page_escapes_the_title_as_slack_requires(slack_page):
    _incident, page = slack_page
    shown = page["text"] + page["blocks"][0]["text"]["text"]
    assert "<!channel>" not in shown and "<https://evil.example" not in shown
    assert (
        "&lt;!channel&gt; Disk &amp; CPU &lt;https://evil.example|Acknowledge here&gt;"
        in (page["text"])
    )


def test_the_page_buttons_carry_action_ids_the_endpoint_knows():
    assert senders.SLACK_OPEN_ROOM == blocks.OPEN_ROOM
    assert senders.SLACK_ACKNOWLEDGE == blocks.ACKNOWLEDGE


def test_clicking_open_the_room_answers_200_and_changes_nothing(
    cast, slack_page, signing_secret, receiver
):
    incident, page = slack_page
    response = click(buttons(page)["Open the room"], signing_secret, "URESPONDER",
                     f"{receiver.url}/actions/1")  # fmt: skip
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_clicking_acknowledge_acknowledges_as_the_linked_person_and_stops_paging(
    cast, slack_page, signing_secret, receiver
):
    incident, page = slack_page
    button = buttons(page)["Acknowledge"]
    assert button["url"].startswith("http") and "/page/ack/" in button["url"]  # still a link
    response = click(button, signing_secret, "URESPONDER", f"{receiver.url}/actions/2")
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.status == "investigating"
    assert incident.events.get(kind="ack").author == cast.responder
    assert Escalation.objects.get(incident=incident).status == "acknowledged"


def test_an_unlinked_member_clicking_acknowledge_is_told_how_to_link(
    slack_page, signing_secret, receiver
):
    incident, page = slack_page
    response = click(buttons(page)["Acknowledge"], signing_secret, "USTRANGER",
                     f"{receiver.url}/actions/3")  # fmt: skip
    assert response.status_code == 200
    [told] = [json.loads(r.body) for r in receiver.requests if r.path == "/actions/3"]
    assert "link" in json.dumps(told).lower()
    incident.refresh_from_db()
    assert incident.status == "triggered"  # the ack link in the page still works for them
