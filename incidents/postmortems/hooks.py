"""The lifecycle hook: when a SEV1 or SEV2 incident resolves, its postmortem draft exists.

It runs in the hook itself, not in a Celery task: it is one existence check and, the first
time, one insert and a timeline event, and the draft must appear even while Redis is down
(the database is the record). It never fails the change: lifecycle logs a hook's errors and
the draft can always be started by hand."""

from __future__ import annotations

from incidents.lifecycle import Change
from incidents.models import EventKind, Incident, Severity, Status

from .models import Postmortem, PostmortemStatus
from .workflow import open_postmortem

AUTOMATIC = (Severity.SEV1, Severity.SEV2)


def start_postmortem_on_resolve(change: Change) -> None:
    if EventKind.STATUS not in change.kinds:
        return
    incident = Incident.objects.filter(pk=change.incident_id).first()
    if incident is None or incident.status != Status.RESOLVED:
        return
    if incident.severity not in AUTOMATIC or Postmortem.objects.filter(incident=incident).exists():
        return
    open_postmortem(incident, None)


def postmortem_still_due(incident: Incident) -> bool:
    """Paging's postmortem-due reminder asks this (incidents/paging/reminders.py): a resolved
    incident's postmortem is due until it is published."""
    return not Postmortem.objects.filter(
        incident=incident, status=PostmortemStatus.PUBLISHED
    ).exists()
