"""Button clicks (`block_actions`): Acknowledge and Resolve act through lifecycle as the
linked person; Open room is a link and needs nothing from us.

The click's `response_url` is kept for the (channel, incident) message before acting, so the
change's own delivery replaces the clicked message with the new state; refusals are told to
the clicker alone, later, through the same `response_url` from Celery.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from accounts.permissions import get_incident_for
from audit.signals import tracked_update
from incidents import lifecycle
from incidents.models import Incident

from . import blocks
from .models import RESPONSE_URL_LIFETIME, ChatChannel, ChatThread
from .replies import link_instructions, person_for, refused
from .tasks import respond

log = logging.getLogger(__name__)


class BadPayload(Exception):
    """Not a block_actions payload Keel can read (answered as 400)."""


def read(payload: Any) -> tuple[str, str, str, str, str]:
    """(user id, workspace channel id, action_id, value, response_url) of a click."""
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        raise BadPayload("Only block_actions payloads are handled here.")
    user = payload.get("user") or {}
    channel = payload.get("channel") or {}
    actions = payload.get("actions") or []
    if not isinstance(user, dict) or not isinstance(actions, list) or not actions:
        raise BadPayload("The payload has no user or no actions.")
    action = actions[0] if isinstance(actions[0], dict) else {}
    fields = (
        user.get("id"),
        channel.get("id", "") if isinstance(channel, dict) else "",
        action.get("action_id"),
        action.get("value", ""),
        payload.get("response_url", ""),
    )
    if not all(isinstance(f, str) for f in fields) or not fields[0] or not fields[2]:
        raise BadPayload("The payload's user or action is missing.")
    # PostgreSQL text cannot hold NUL (JSON may carry one escaped); nobody means one.
    return tuple(f.replace("\x00", "")[:500] for f in fields)  # type: ignore[return-value]


def handle(payload: Any) -> None:
    """Act on one click. Raises BadPayload; everything else is told to the clicker."""
    user_id, slack_channel_id, action_id, value, response_url = read(payload)
    if action_id == blocks.OPEN_ROOM:
        return
    person = person_for(user_id)
    if person is None:
        tell(response_url, link_instructions(user_id))
        return
    ref, channel_id = blocks.parse_button_value(value)
    act = {blocks.ACKNOWLEDGE: lifecycle.acknowledge, blocks.RESOLVE: lifecycle.resolve}.get(
        action_id
    )
    if act is None:
        raise BadPayload(f"Unknown action {action_id[:40]!r}.")
    try:
        incident = get_incident_for(person, ref, edit=True)
        remember(channel_id, incident, slack_channel_id, response_url)
        act(incident, person)
    except Http404:
        tell(response_url, blocks.ephemeral("No such incident (or you may not see it)."))
    except PermissionDenied as error:
        tell(response_url, refused(str(error) or "You may not do that."))
    except lifecycle.LifecycleError as error:
        tell(response_url, refused(error.message))


def remember(
    channel_id: int | None, incident: Incident, slack_channel_id: str, response_url: str
) -> None:
    """Keep the newest response_url for this channel's message about the incident, and
    learn the workspace's id for the channel (slash commands typed there then know it)."""
    channel = ChatChannel.objects.filter(pk=channel_id, team_id=incident.team_id).first()
    if channel is None or not response_url.startswith(("https://", "http://")):
        return
    ChatThread.objects.update_or_create(
        channel=channel,
        incident=incident,
        defaults={
            "response_url": response_url[:500],
            "expires_at": timezone.now() + RESPONSE_URL_LIFETIME,
            "uses": 0,
        },
    )
    if slack_channel_id and not channel.slack_channel_id:
        with tracked_update(ChatChannel, [channel.pk]):
            learned = ChatChannel.objects.filter(pk=channel.pk)
            learned.update(slack_channel_id=slack_channel_id[:40])


def tell(response_url: str, reply: dict[str, Any]) -> None:
    """Only the clicker sees it; the message stays as it was."""
    if not response_url.startswith(("https://", "http://")):
        return
    try:
        respond.delay(response_url, {**reply, "replace_original": False})
    except Exception:
        log.warning("could not queue a reply to a button click (is Redis down?)")
