"""Paging someone by hand ("page someone" in the room, the API, `/incident page` in chat):
a one-step escalation whose targets are one person or a schedule's person on call now."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import User
from incidents import lifecycle
from incidents.models import Incident
from incidents.oncall.models import Schedule

from . import escalate
from .models import Escalation
from .tasks import start_escalation


def describe(target: dict) -> str:
    if "user" in target:
        person = User.objects.filter(pk=target["user"]).first()
        return person.name if person else "someone"
    schedule = Schedule.objects.filter(pk=target["schedule"]).first()
    return f"whoever is on call for {schedule.name}" if schedule else "a schedule"


def page(incident: Incident, actor: User | None, target: dict) -> Escalation:
    """Record who asked (the timeline says so, as the person), then page."""
    lifecycle.record(
        incident, actor, "page", f"Asked to page {describe(target)}.",
        {"action": "requested", "target": target},
    )  # fmt: skip
    escalation = escalate.start(incident, timezone.now(), targets=[target])
    start_escalation(escalation)
    return escalation
