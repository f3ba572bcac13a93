"""The live incident room's broadcast: after a change commits, send its events and the
incident's new state to everyone with the incident open, through the channel layer, from
a sender thread in the process that made the change (off the request's critical path);
and tell the pages that list incidents that it changed (incidents/feed.py).

Fragments are rendered once, for no one in particular (incidents/display.py): edit controls
are included and each browser drops those its person may not use and shows times in its
person's zone (static/js/incident_room.js), so hundreds of watchers cost one render.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from channels.layers import get_channel_layer

from . import feed
from .background import BackgroundWorker
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
    """The lifecycle hook: runs after commit in whichever process made the change. It only
    queues the broadcast for this process's sender thread, so the request that made the
    change does not wait for the fan-out. A broadcast still queued when the process dies is
    lost; browsers catch up by seq when they next say hello (the database is the record)."""
    _sender.put(change)


def flush(timeout: float = 10.0) -> bool:
    """Wait until this process has sent every change queued so far (tests use this)."""
    return _sender.flush(timeout)


def _broadcast(change: Change, following: Sequence[Change]) -> None:
    """On the sender thread: send the change's events, each as soon as it is rendered,
    then the incident's new state (more to render), unless a later change to the same
    incident is already queued behind it and will send a newer state."""
    layer, group = get_channel_layer(), room_group(change.incident_id)
    incident = Incident.objects.for_list().get(pk=change.incident_id)
    events = list(
        TimelineEvent.objects.filter(pk__in=change.event_ids)
        .select_related("author", "struck_by")
        .order_by("seq")
    )
    for event in events:
        message = mark_access(
            {"type": "room.event", "event": event_payload(event, incident)}, incident
        )
        _sender.run(partial(layer.group_send, group, message))
    struck = [e.data["seq"] for e in events if e.kind == EventKind.STRIKE]
    for note in incident.events.filter(seq__in=struck).select_related("author", "struck_by"):
        message = {"type": "room.event_update", "event": event_payload(note, incident)}
        _sender.run(partial(layer.group_send, group, mark_access(message, incident)))
    if any(later.incident_id == change.incident_id for later in following):
        return
    state = incident_payload(incident)
    message = mark_access({"type": "room.incident", "incident": state}, incident)
    _sender.run(partial(layer.group_send, group, message))
    # Then the pages that list incidents hear that this one changed, and fetch them again.
    feed.announce(incident, lambda g, m: _sender.run(partial(layer.group_send, g, m)))


# One per process: broadcasts leave in the order the changes committed in this process.
_sender = BackgroundWorker("live-room-sender", _broadcast)
