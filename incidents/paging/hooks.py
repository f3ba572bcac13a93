"""The lifecycle hook: start paging when an incident is triggered (an alert) or declared
with paging, stop it when the paging is acknowledged or the incident resolved, declined or
merged, page again when a paged incident is reopened, and escalate or snooze when someone
asked to (lifecycle.escalate / lifecycle.snooze record it as a `page` event).

The Escalation row is written in the hook's own short transaction, then its task is
queued; when Redis is down the queueing fails quietly and the auditor on beat runs the
overdue escalation later. The incident's change itself never fails because of paging.

Declaring with paging: the core does not know paging exists, so the browser form and the
API pass the person's choice as `page` in the declared event's data (True, False, or absent
for the default: page for SEV1 and SEV2 when a service has a policy).
"""

from __future__ import annotations

import logging

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from incidents.lifecycle import Change
from incidents.models import EventKind, Incident, Status, TimelineEvent

from . import control, escalate
from .models import Escalation, EscalationStatus
from .tasks import queue, run_escalation, start_escalation

log = logging.getLogger(__name__)

WATCHED = {EventKind.DECLARED, EventKind.ACK, EventKind.STATUS, EventKind.PAGE}
ASKED = ("escalate", "snooze")  # the `page` events that are requests from people
CLOSED = {Status.RESOLVED, Status.DECLINED, Status.MERGED}


def page(incident: Incident) -> Escalation | None:
    policy = escalate.policy_for(incident)
    if policy is None:
        return None
    escalation = escalate.start(incident, timezone.now(), policy=policy)
    start_escalation(escalation)
    return escalation


def on_change(change: Change) -> None:
    if not WATCHED.intersection(change.kinds):
        return
    now = timezone.now()
    events = TimelineEvent.objects.filter(pk__in=change.event_ids, kind__in=WATCHED)
    events = events.select_related("author")
    incident = Incident.objects.get(pk=change.incident_id)
    for event in events.order_by("seq"):
        data = event.data or {}
        if event.kind == EventKind.DECLARED and escalate.wants_paging(event, incident):
            page(incident)
        elif event.kind == EventKind.PAGE and data.get("action") in ASKED:
            asked(incident, event, now)
        elif event.kind == EventKind.ACK:
            who = event.author.name if event.author else "the system"
            because = f"Acknowledged by {who}."
            escalate.stop(incident.pk, EscalationStatus.ACKNOWLEDGED, because, now)
        elif event.kind == EventKind.STATUS and data.get("to") in CLOSED:
            because = f"{incident.ref} is {data['to']}."
            escalate.stop(incident.pk, EscalationStatus.STOPPED, because, now)
        elif (
            event.kind == EventKind.STATUS
            and data.get("from") in (Status.RESOLVED, Status.DECLINED)
            and Escalation.objects.filter(incident=incident, policy__isnull=False).exists()
        ):
            page(incident)  # reopened: page again, as it was paged before


def asked(incident: Incident, event: TimelineEvent, now) -> None:
    """Escalate now, or snooze until the time lifecycle wrote in the event."""
    who = event.author.name if event.author else "Keel"
    data = event.data or {}
    if data["action"] == "escalate":
        for escalation in control.escalate_now(incident.pk, now):
            start_escalation(escalation)
        return
    until = parse_datetime(data.get("until") or "")
    if until is None:
        return
    because = f"Snoozed by {who} until {until:%H:%M} UTC."
    for escalation in control.snooze(incident.pk, until, because, now):
        queue(run_escalation, escalation.pk, str(escalation.token), eta=until)
