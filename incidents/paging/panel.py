"""What the incident room's paging panel shows: the latest pages of the incident (who, how,
delivered or failed and why, acknowledged), the steps that reached nobody, and its policy
escalation's state. The panel's inclusion
tag and the fragment it refreshes itself from (pages.paging_status) both use this."""

from __future__ import annotations

from typing import Any

from incidents.models import EventKind, Incident

from .models import Escalation, Notification

RECENT = 20


def state(incident: Incident) -> dict[str, Any]:
    notifications = (
        Notification.objects.filter(incident=incident)
        .select_related("user", "escalation")
        .order_by("-created_at", "-pk")[:RECENT]
    )
    escalation = Escalation.objects.filter(incident=incident, policy__isnull=False).first()
    # Steps that reached nobody: a page that reaches no one is itself an alert.
    unreached = incident.events.filter(
        kind=EventKind.PAGE, data__action="unreachable", data__nobody=True
    ).order_by("-seq")[:RECENT]
    return {
        "incident": incident,
        "notifications": notifications,
        "escalation": escalation,
        "unreached": unreached,
    }
