"""The lifecycle hook: start paging when an incident is triggered (an alert) or declared
with paging, stop it when the incident is acknowledged, resolved, declined or merged, and
page again when a paged incident is reopened.

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

from incidents.lifecycle import Change
from incidents.models import EventKind, Incident, Status, TimelineEvent

from . import escalate
from .models import Escalation, EscalationStatus
from .tasks import start_escalation

log = logging.getLogger(__name__)

WATCHED = {EventKind.DECLARED, EventKind.ACK, EventKind.STATUS}
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
    incident = Incident.objects.get(pk=change.incident_id)
    for event in events.order_by("seq"):
        data = event.data or {}
        if event.kind == EventKind.DECLARED and escalate.wants_paging(event, incident):
            page(incident)
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
