"""Reminders that keep an incident moving, sent by beat (`paging.remind`, every minute).

Each reminder is a Reminder row with a unique key (incident, kind, what it is about) written
in the same transaction as its timeline event: when two beat ticks overlap, the second
insert waits for the first and is refused, so each reminder is sent once. The timeline
event (kind `reminder`, recorded through lifecycle) shows in the room, and chat channels
that subscribe to reminders post it.

- status update: an open incident with no note or status change for its severity's
  interval (the team's own, set on the reminders page or the API, else
  PAGING_REMINDER_MINUTES: SEV1 20, SEV2 30, SEV3 60, SEV4 none), once per quiet spell
  (keyed by the last update's seq), addressed to the commander;
- no commander: an open SEV1/SEV2 nobody commands, once per commander-less spell;
- postmortem due: a resolved SEV1/SEV2, PAGING_POSTMORTEM_REMINDER_HOURS after resolution,
  once per resolution, while a check registered by the postmortems app
  (`register_postmortem_check(incident -> bool)`, "is its postmortem still unpublished?")
  says so. Without a registered check, no postmortem reminders are sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max

from incidents import lifecycle
from incidents.models import (
    EventKind,
    Incident,
    IncidentRole,
    Severity,
    Status,
    TimelineEvent,
)

from . import intervals
from .escalate import minute
from .models import Reminder, ReminderKind

log = logging.getLogger(__name__)

UPDATES = [EventKind.DECLARED, EventKind.NOTE, EventKind.STATUS, EventKind.ACK]
_postmortem_checks: list[Callable[[Incident], bool]] = []


def register_postmortem_check(check: Callable[[Incident], bool]) -> None:
    """The postmortems app registers "is this incident's postmortem still due?" here."""
    if check not in _postmortem_checks:
        _postmortem_checks.append(check)


def unregister_postmortem_check(check: Callable[[Incident], bool]) -> None:
    if check in _postmortem_checks:
        _postmortem_checks.remove(check)


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
    teams, defaults = intervals.by_team(), intervals.defaults()
    for incident in Incident.objects.open().filter(merged_into__isnull=True):
        interval = teams.get(incident.team_id, defaults).get(incident.severity)
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
    return sent + postmortems_due(now)


def postmortems_due(now: datetime) -> int:
    if not _postmortem_checks:
        return 0
    sent = 0
    after = timedelta(hours=settings.PAGING_POSTMORTEM_REMINDER_HOURS)
    resolved = Incident.objects.filter(
        status=Status.RESOLVED,
        severity__in=[Severity.SEV1, Severity.SEV2],
        resolved_at__lte=now - after,
        resolved_at__gte=now - after - timedelta(days=7),  # not forever
    )
    for incident in resolved:
        if any(check(incident) for check in _postmortem_checks):
            body = f"{incident.ref} was resolved {after.total_seconds() / 3600:.0f} hours ago: "
            body += "its postmortem is due."
            about = f"resolved-{incident.resolved_at.isoformat()}"
            sent += send_once(incident, ReminderKind.POSTMORTEM, about, body, {})
    return sent
