"""The lifecycle hook: which channels hear about a change, written down before anything is
queued.

Chosen: the hook records ChatDelivery rows in the database (one small insert), then queues
the channel's sender. If Redis is down the `.delay` fails quietly and the rows wait; the
beat task `chat.sweep` sends whatever is still pending, so nothing accepted is lost.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from incidents.lifecycle import Change
from incidents.models import EventKind, Incident, IncidentRole, Status, TimelineEvent

from .models import ChatChannel, ChatDelivery, ChatEvent, ChatThread
from .tasks import deliver_channel

log = logging.getLogger(__name__)


def chat_event(event: TimelineEvent) -> str | None:
    """The ChatEvent a timeline event is, if channels may be told about it."""
    data = event.data or {}
    if event.kind == EventKind.DECLARED:
        return ChatEvent.DECLARED
    if event.kind == EventKind.ACK:
        return ChatEvent.ACKNOWLEDGED
    if event.kind == EventKind.SEVERITY:
        return ChatEvent.SEVERITY
    if event.kind == EventKind.STATUS:
        return ChatEvent.RESOLVED if data.get("to") == Status.RESOLVED else ChatEvent.STATUS
    if event.kind == EventKind.ROLE and data.get("role") == IncidentRole.COMMANDER:
        return ChatEvent.COMMANDER if data.get("action") == "assigned" else None
    if event.kind == EventKind.REMINDER:
        return ChatEvent.REMINDER
    # postmortems records {"postmortem": "published", "summary", "url"} (workflow.publish)
    steps = ("postmortem", "status", "action", "to")
    published = "published" in (data.get(key) for key in steps)
    if event.kind == EventKind.POSTMORTEM and published:
        return ChatEvent.POSTMORTEM
    return None


def headline(event: TimelineEvent, kind: str) -> str:
    """One line saying what happened, for the message and the delivery log."""
    data = event.data or {}
    who = f" by {event.author.name}" if event.author else ""
    if kind == ChatEvent.DECLARED:
        return f"Declared{who}" if event.author else "Triggered by an alert"
    if kind == ChatEvent.ACKNOWLEDGED:
        return f"Acknowledged{who}"
    if kind == ChatEvent.SEVERITY:
        return f"Severity {data.get('from')} → {data.get('to')}{who}"
    if kind == ChatEvent.RESOLVED:
        return f"Resolved{who}"
    if kind == ChatEvent.STATUS:
        return f"Status {data.get('from')} → {data.get('to')}{who}"
    if kind == ChatEvent.COMMANDER:
        return f"Commander: {data.get('user_name') or data.get('user')}"
    if kind == ChatEvent.REMINDER:
        return f"Reminder: {event.body}"[:300] if event.body else "Reminder"
    if kind == ChatEvent.POSTMORTEM:
        return f"Postmortem published{who}"
    return "Updated"


def plan(change: Change) -> list[ChatDelivery]:
    """The deliveries a change calls for (unsaved)."""
    incident = Incident.objects.filter(pk=change.incident_id).only("pk", "team_id").first()
    if incident is None or incident.team_id is None:
        return []
    channels = list(ChatChannel.objects.active().for_incident(incident))
    if not channels:
        return []
    events = TimelineEvent.objects.filter(pk__in=change.event_ids).select_related("author")
    told = [(kind, headline(e, kind)) for e in events if (kind := chat_event(e))]
    threads = set(
        ChatThread.objects.filter(
            incident=incident, channel__in=channels, expires_at__gt=timezone.now()
        ).values_list("channel_id", flat=True)
    )
    rows = []
    for channel in channels:
        wanted = [(kind, line) for kind, line in told if kind in channel.events]
        for kind, line in wanted:
            rows.append(ChatDelivery(channel=channel, incident=incident, event=kind, headline=line))
        if not wanted and channel.pk in threads:
            # The channel shows a message about this incident that we can still edit: keep
            # it true (a note, a status the channel did not subscribe to ...).
            line = told[-1][1] if told else "Updated"
            rows.append(
                ChatDelivery(
                    channel=channel, incident=incident, event="update", headline=line,
                    update_only=True,
                )
            )  # fmt: skip
    return rows


def on_change(change: Change) -> None:
    """Record what each channel should hear, then queue the senders. Never raises into
    lifecycle (it logs), and never waits on a chat workspace."""
    rows = ChatDelivery.objects.bulk_create(plan(change))
    for channel_id in sorted({row.channel_id for row in rows}):
        queue(channel_id)


def queue(channel_id: int) -> None:
    try:
        deliver_channel.delay(channel_id)
    except Exception:
        # Redis is down: the pending rows are the record; chat.sweep sends them later.
        log.warning("could not queue chat delivery for channel %s; beat will", channel_id)
