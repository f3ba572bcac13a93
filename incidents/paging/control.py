"""Acknowledge, escalate now, snooze: paging's acknowledgement, separate from the incident's
status. Every entry point (room, API, chat, the page's link) calls lifecycle, which records
the move in the timeline under the incident's lock after asking `state` (registered as
lifecycle's pager); the paging hook then applies it here, to the escalation rows.

A snooze replaces each paging escalation by a new run that starts at the step that paged
last, due when the snooze ends: a new row has its own token (tasks of the old run do
nothing) and its own notifications (the unique key of a step's pages is per run), so the
same step can page the same people again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from accounts.models import Team, User
from incidents.lifecycle import Paging
from incidents.models import EventKind, Incident, TimelineEvent
from incidents.oncall.models import Schedule

from . import engine, escalate
from .models import Escalation, EscalationStatus, Notification, NotificationStatus

WAITING = [NotificationStatus.PENDING, NotificationStatus.SENDING]


def paging(incident_id: int):
    """The escalations that are paging someone: active (a step to run, maybe after a
    snooze), or past their last step with pages still waiting (a rule's "after 10 min")."""
    waiting = Notification.objects.filter(escalation=OuterRef("pk"), status__in=WAITING)
    return (
        Escalation.objects.filter(incident_id=incident_id)
        .alias(has_waiting=Exists(waiting))
        .filter(
            Q(status=EscalationStatus.ACTIVE)
            | Q(status=EscalationStatus.EXHAUSTED, has_waiting=True)
        )
    )


def state(incident: Incident) -> Paging:
    """lifecycle's pager: is anyone being paged, and is there a step left to escalate to."""
    found = paging(incident.pk)
    return Paging(found.exists(), found.filter(status=EscalationStatus.ACTIVE).exists())


def _current(escalation: Escalation, step_count: int) -> engine.Position:
    """The step that paged last (the one a snooze pages again): an active run's `step` is
    the next one to run, an exhausted run's is the one it ran last."""
    step, loop = escalation.step, escalation.loop
    if escalation.status == EscalationStatus.ACTIVE and escalation.snoozed_until is None:
        if step > 0:
            step -= 1
        elif loop > 0:
            step, loop = max(step_count - 1, 0), loop - 1
    return engine.Position(step, loop, escalation.next_due_at or escalation.started_at)


def escalate_now(incident_id: int, now: datetime) -> list[Escalation]:
    """Make every active escalation's next step due now; returns them, to be run."""
    with transaction.atomic():
        found = list(
            Escalation.objects.select_for_update(of=("self",))
            .filter(incident_id=incident_id, status=EscalationStatus.ACTIVE)
            .select_related("policy")
        )
        for escalation in found:
            if escalation.snoozed_until is not None:
                # Snoozed at its current step: escalating moves past it.
                steps = escalate.steps_of(escalation)
                repeat = escalation.policy.repeat if escalation.policy else 0
                position = engine.Position(escalation.step, escalation.loop, now)
                following = engine.after(position, [d for d, _ in steps], repeat, escalate.minute())
                if following is not None:
                    escalation.step, escalation.loop = following.step, following.loop
                escalation.snoozed_until = None
            escalation.next_due_at = now
            escalation.save()
    return found


def snooze(incident_id: int, until: datetime, because: str, now: datetime) -> list[Escalation]:
    """Stop paging until `until`, then page the current step again: each paging run is
    stopped (its waiting pages cancelled) and replaced by a run due at `until`."""
    with transaction.atomic():
        # The incident's row first, as escalate.start takes it: one lock order.
        Incident.objects.select_for_update().filter(pk=incident_id).first()
        replaced = list(
            paging(incident_id).select_for_update(of=("self",)).select_related("policy")
        )
        made = []
        for old in replaced:
            position = _current(old, len(escalate.steps_of(old)))
            made.append(
                Escalation.objects.create(
                    incident_id=incident_id, policy=old.policy,
                    manual_targets=old.manual_targets, step=position.step, loop=position.loop,
                    started_at=now, next_due_at=until, snoozed_until=until,
                )
            )  # fmt: skip
        ids = [e.pk for e in replaced]
        Escalation.objects.filter(pk__in=ids).update(
            status=EscalationStatus.STOPPED, stopped_at=now, next_due_at=None,
            stopped_because=because[:200],
        )  # fmt: skip
        Notification.objects.filter(
            escalation_id__in=ids, status=NotificationStatus.PENDING
        ).update(status=NotificationStatus.CANCELLED, detail=because[:300])
    return made


def settle(acked_before: datetime, now: datetime) -> int:
    """Stop the paging an acknowledgement should have stopped but did not, because the
    process died between the acknowledgement's commit and paging's hook: the auditor on
    beat calls this. `acked_before` leaves the hook its time. Returns how many incidents."""
    waiting = Notification.objects.filter(escalation=OuterRef("pk"), status__in=WAITING)
    acked = TimelineEvent.objects.filter(
        incident=OuterRef("incident"), kind=EventKind.ACK,
        created_at__gt=OuterRef("started_at"), created_at__lte=acked_before,
    )  # fmt: skip
    missed = (
        Escalation.objects.alias(has_waiting=Exists(waiting), acked=Exists(acked))
        .filter(
            Q(status=EscalationStatus.ACTIVE)
            | Q(status=EscalationStatus.EXHAUSTED, has_waiting=True),
            acked=True,
        )
        .values_list("incident_id", flat=True)
        .distinct()
    )
    incidents = list(missed)
    for incident_id in incidents:
        escalate.stop(incident_id, EscalationStatus.ACKNOWLEDGED, "Acknowledged.", now)
    return len(incidents)


# --- What the room shows -------------------------------------------------------------------


@dataclass(frozen=True)
class Now:
    """The paging going on now, for the room's banner and the ack page."""

    escalation: Escalation
    paged: list[str]  # who the step that paged last reached
    next_step: int | None  # 1-based, None when no step is left
    next_targets: str
    next_at: datetime | None
    snoozed_until: datetime | None


def describe(targets: list[dict]) -> str:
    names = []
    for target in targets:
        if "user" in target:
            person = User.objects.filter(pk=target["user"]).first()
            names.append(person.name if person else "someone")
        elif "schedule" in target:
            schedule = Schedule.objects.filter(pk=target["schedule"]).first()
            names.append(f"whoever is on call for {schedule.name if schedule else 'a schedule'}")
        elif "team" in target:
            team = Team.objects.filter(pk=target["team"]).first()
            names.append(f"everyone in {team.name if team else 'a team'}")
    return ", ".join(names) or "nobody"


def now_for(incident: Incident) -> Now | None:
    escalation = (
        paging(incident.pk).select_related("policy").order_by("status", "-started_at").first()
    )  # "active" before "exhausted": the run with a step left first
    if escalation is None:
        return None
    latest = escalation.notifications.order_by("-loop", "-step", "-pk").first()
    paged: list[str] = []
    if latest is not None:
        same_step = escalation.notifications.filter(loop=latest.loop, step=latest.step)
        paged = sorted({n.user.name for n in same_step.select_related("user")})
    steps = escalate.steps_of(escalation)
    active = escalation.status == EscalationStatus.ACTIVE and escalation.step < len(steps)
    return Now(
        escalation=escalation,
        paged=paged,
        next_step=escalation.step + 1 if active else None,
        next_targets=describe(steps[escalation.step][1]) if active else "",
        next_at=escalation.next_due_at if active else None,
        snoozed_until=escalation.snoozed_until,
    )
