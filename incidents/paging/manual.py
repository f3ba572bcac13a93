"""Paging someone by hand ("page someone" in the room, the API, `/incident page` in chat):
a one-step escalation whose targets are one person or a schedule's person on call now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from accounts.models import User
from incidents import lifecycle
from incidents.models import Incident
from incidents.oncall.models import Schedule

from . import engine, escalate
from .models import Escalation
from .tasks import start_escalation


def describe(target: dict) -> str:
    if "user" in target:
        person = User.objects.filter(pk=target["user"]).first()
        return person.name if person else "someone"
    schedule = Schedule.objects.filter(pk=target["schedule"]).first()
    return f"whoever is on call for {schedule.name}" if schedule else "a schedule"


@dataclass(frozen=True)
class Reach:
    """Whom a page to `target` reaches now, told before it goes out (the step itself runs in
    the paging worker), so whoever asked hears the truth rather than "Paging…"."""

    reached: list[tuple[User, list[str]]]  # each person and how (contact method kinds)
    unreachable: list[User]  # named, but with no contact method
    nobody: str  # why the target names no one at all ("" when it names someone)

    def told(self, ref: str) -> str:
        """In plain text: who is being paged and how, who cannot be and why."""
        if self.nobody:
            return f"Nobody was paged for {ref}: {self.nobody}. The timeline says so too."
        lines = []
        if self.reached:
            how = "; ".join(f"{p.name} ({', '.join(kinds)})" for p, kinds in self.reached)
            lines.append(f"Paging {how} for {ref}. The timeline shows each delivery.")
        if self.unreachable:
            names = ", ".join(p.name for p in self.unreachable)
            nobody = "" if self.reached else f"Nobody was paged for {ref}: "
            lines.append(f"{nobody}{names} cannot be paged: no contact method in Keel.")
        return "\n".join(lines)


def reach(target: dict, now: datetime) -> Reach:
    """The same people the first step pages (engine.people_for, as escalate.run_step does)
    and the contact methods it would use."""
    people = engine.people_for([target], now, escalate.on_call_ids, escalate.responders_of)
    found = {u.pk: u for u in User.objects.filter(pk__in=people)}
    reached, unreachable = [], []
    for pk in people:
        kinds = sorted({kind for _, kind, _ in escalate.methods_of(pk)})
        if kinds:
            reached.append((found[pk], kinds))
        else:
            unreachable.append(found[pk])
    nobody = ""
    if not people:
        schedule = Schedule.objects.filter(pk=target.get("schedule")).first()
        nobody = f"nobody is on call for {schedule.name if schedule else 'that schedule'} now"
    return Reach(reached, unreachable, nobody)


def page(incident: Incident, actor: User | None, target: dict) -> Escalation:
    """Record who asked (the timeline says so, as the person), then page."""
    lifecycle.record(
        incident, actor, "page", f"Asked to page {describe(target)}.",
        {"action": "requested", "target": target},
    )  # fmt: skip
    escalation = escalate.start(incident, timezone.now(), targets=[target])
    start_escalation(escalation)
    return escalation
