"""The live incident room's broadcast: after a change commits, send its events and the
incident's new state to everyone with the incident open, through the channel layer.

Fragments are rendered once, for no one in particular: edit controls are included and
each browser drops those its person may not use (static/js/incident_room.js), so that
hundreds of watchers cost one render, not hundreds.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.template.loader import render_to_string

from .api.serializers import IncidentSerializer, TimelineEventSerializer
from .lifecycle import Change
from .models import EventKind, Incident, IncidentRole, TimelineEvent


def room_group(incident_id: int) -> str:
    return f"incident-{incident_id}"


def mark_access(message: dict[str, Any], incident: Incident) -> dict[str, Any]:
    """Carry the incident's access version: a socket that last verified its person's
    access at an older version re-checks before it forwards this (incidents/consumers.py).
    """
    message["access"] = incident.access_version
    return message


def event_payload(event: TimelineEvent, incident: Incident) -> dict[str, Any]:
    data = TimelineEventSerializer(event).data
    data["html"] = render_to_string(
        "incidents/_event.html", {"event": event, "incident": incident, "live": True}
    )
    return data


def incident_payload(incident: Incident) -> dict[str, Any]:
    data = IncidentSerializer(incident).data
    context = {"incident": incident, "roles": role_rows(incident), "can_edit": True}
    data["head_html"] = render_to_string("incidents/_head_badges.html", context)
    data["roles_html"] = render_to_string("incidents/_roles.html", context)
    data["facts_html"] = render_to_string("incidents/_facts.html", context)
    data["summary_html"] = render_to_string("incidents/_summary.html", context)
    return data


def role_rows(incident: Incident) -> list[tuple[str, str, list]]:
    return [
        (IncidentRole(role).label, role, incident.role_holders(role))
        for role in IncidentRole.values
    ]


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
