"""Reminders that keep an incident moving, sent by beat (`paging.remind`, every minute).

Each reminder is a Reminder row with a unique key (incident, kind, what it is about) written
in the same transaction as its timeline event: when two beat ticks overlap, the second
insert waits for the first and is refused, so each reminder is sent once. The timeline
event (kind `reminder`, recorded through lifecycle) shows in the room, and chat channels
that subscribe to reminders post it.

- status update: an open incident with no note or status change for its severity's
  interval (PAGING_REMINDER_MINUTES: SEV1 20, SEV2 30, SEV3 60, SEV4 none), once per quiet
  spell (keyed by the last update's seq), addressed to the commander;
- no commander: an open SEV1/SEV2 nobody commands, once per commander-less spell.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max

from incidents import lifecycle
from incidents.models import (
    EventKind,
    Incident,
    IncidentRole,
    Severity,
    TimelineEvent,
)

from .escalate import minute
from .models import Reminder, ReminderKind

log = logging.getLogger(__name__)

UPDATES = [EventKind.DECLARED, EventKind.NOTE, EventKind.STATUS, EventKind.ACK]


def send_once(incident: Incident, kind: str, about: str, body: str, data: dict) -> bool:
    try:
        with transaction.atomic():
            Reminder.objects.create(incident=incident, kind=kind, about=about)
            lifecycle.record(incident, None, "reminder", body, {"reminder": kind, **data})
    except IntegrityError:
        return False  # another tick sent it
    return True


def send_due(now: datetime) -> int:
    sent = 0
    intervals = settings.PAGING_REMINDER_MINUTES
    for incident in Incident.objects.open().filter(merged_into__isnull=True):
        interval = intervals.get(incident.severity)
        commander = incident.role_holders(IncidentRole.COMMANDER)
        if interval:
            last = (
                TimelineEvent.objects.filter(incident=incident, kind__in=UPDATES)
                .order_by("-seq")
                .values("seq", "created_at")
                .first()
            )
            if last and now - last["created_at"] >= interval * minute():
                who = commander[0].name if commander else "the commander"
                body = (
                    f"No update for {interval} minutes: {who}, please post a status update "
                    f"({incident.severity})."
                )
                data = {"to": commander[0].email if commander else None, "after_seq": last["seq"]}
                about = str(last["seq"])
                sent += send_once(incident, ReminderKind.STATUS_UPDATE, about, body, data)
        if not commander and incident.severity in (Severity.SEV1, Severity.SEV2):
            roles = TimelineEvent.objects.filter(incident=incident, kind=EventKind.ROLE)
            about = f"role-{roles.aggregate(Max('seq'))['seq__max'] or 0}"
            body = f"{incident.ref} is {incident.severity} and nobody commands it: take command."
            sent += send_once(incident, ReminderKind.NO_COMMANDER, about, body, {})
    return sent
