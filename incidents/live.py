"""The live incident room's broadcast: after a change commits, send its events and the
incident's new state to everyone with the incident open, through the channel layer.

Fragments are rendered once, for no one in particular (incidents/display.py): edit controls
are included and each browser drops those its person may not use and shows times in its
person's zone (static/js/incident_room.js), so hundreds of watchers cost one render.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from .display import event_data, event_fragment, incident_fragments, incident_state
from .lifecycle import Change
from .models import EventKind, Incident, TimelineEvent


def room_group(incident_id: int) -> str:
    return f"incident-{incident_id}"


def mark_access(message: dict[str, Any], incident: Incident) -> dict[str, Any]:
    """Carry the incident's access version: a socket that last verified its person's
    access at an older version re-checks before it forwards this (incidents/consumers.py).
    """
    message["access"] = incident.access_version
    return message


def event_payload(event: TimelineEvent, incident: Incident) -> dict[str, Any]:
    return {**event_data(event), "html": event_fragment(event, incident)}


def incident_payload(incident: Incident) -> dict[str, Any]:
    """The incident's state and every state-dependent part of its page (status buttons,
    severity, roles, merge card ...), which the page swaps in."""
    return {**incident_state(incident), **incident_fragments(incident)}


def events_after(incident: Incident, after: int, limit: int = 500) -> list[TimelineEvent]:
    return list(
        incident.events.filter(seq__gt=after)
        .select_related("author", "struck_by")
        .order_by("seq")[:limit]
    )


def broadcast_change(change: Change) -> None:
    """The lifecycle hook: runs after commit in whichever process made the change."""
    incident = Incident.objects.for_list().get(pk=change.incident_id)
    events = list(
        TimelineEvent.objects.filter(pk__in=change.event_ids)
        .select_related("author", "struck_by")
        .order_by("seq")
    )
    messages = [{"type": "room.event", "event": event_payload(e, incident)} for e in events]
    struck = [e.data["seq"] for e in events if e.kind == EventKind.STRIKE]
    for note in incident.events.filter(seq__in=struck).select_related("author", "struck_by"):
        messages.append({"type": "room.event_update", "event": event_payload(note, incident)})
    for message in messages:
        mark_access(message, incident)
    async_to_sync(_send_all)(room_group(incident.pk), messages, incident)


async def _send_all(group: str, messages: list[dict], incident: Incident) -> None:
    layer = get_channel_layer()
    for message in messages:
        await layer.group_send(group, message)
    # The events go out first; the incident's new state (more to render) follows.
    state = await sync_to_async(incident_payload)(incident)
    await layer.group_send(
        group, mark_access({"type": "room.incident", "incident": state}, incident)
    )
