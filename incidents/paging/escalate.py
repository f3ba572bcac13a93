"""Escalations applied to rows: start, run the due step, stop. Every function takes `now`
(tasks pass timezone.now(); tests pass any time).

Once-only: `run_step` locks the escalation row (SKIP LOCKED: a second worker holding the
same task walks away), does nothing when the token it was given is no longer the row's,
when the escalation is not active, or when the step is not yet due — so a task delivered
twice, or queued both by its countdown and by the auditor, runs the step once. The step's
Notification rows are written in the same transaction that moves the escalation on, and
their unique key (escalation, loop, step, person, method, rule delay) refuses a second
copy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from accounts.models import Membership, Role, User
from incidents.models import EventKind, Incident, Severity, Status, TimelineEvent
from incidents.oncall.services import on_call

from . import engine, fallback
from .models import (
    ContactMethod,
    Escalation,
    EscalationPolicy,
    EscalationStatus,
    Notification,
    NotificationStatus,
    ServicePaging,
)

log = logging.getLogger(__name__)


def minute() -> timedelta:
    """A paging minute: 60 s, shorter only in end-to-end tests (PAGING_MINUTE_SECONDS)."""
    return timedelta(seconds=settings.PAGING_MINUTE_SECONDS)


def policy_for(incident: Incident) -> EscalationPolicy | None:
    """The policy of the incident's first service (by name) that has one."""
    link = (
        ServicePaging.objects.filter(service__in=incident.services.all())
        .select_related("policy")
        .order_by("service__name")
        .first()
    )
    return link.policy if link else None


def wants_paging(declared: TimelineEvent, incident: Incident) -> bool:
    """Did the declaration ask for paging? The core does not know paging exists, so the
    browser form and the API pass the person's choice as `page` in the declared event's
    data (True, False, or absent for the default: an alert pages; a declared SEV1 or SEV2
    pages when a service has a policy)."""
    choice = (declared.data or {}).get("page")
    if incident.status == Status.TRIGGERED and choice is None:
        return True  # an alert
    if choice is None:
        return incident.severity in (Severity.SEV1, Severity.SEV2)
    return bool(choice)


def never_started(
    declared_after: datetime, declared_before: datetime
) -> list[tuple[Incident, EscalationPolicy]]:
    """Open incidents declared in the window that should be paging and are not: their
    change committed, but the process died before its hook wrote the escalation. Nobody
    has acknowledged them yet (an acknowledgement would have stopped the paging anyway).
    Each comes with the policy it should be paging with."""
    candidates = (
        Incident.objects.filter(
            status__in=Status.open_values(),
            created_at__gte=declared_after,
            created_at__lte=declared_before,
        )
        .exclude(escalations__policy__isnull=False)
        .exclude(events__kind=EventKind.ACK)
        .order_by("pk")
    )
    missed = []
    for incident in candidates:
        declared = incident.events.filter(kind=EventKind.DECLARED).first()
        if declared is None or not wants_paging(declared, incident):
            continue
        if (policy := policy_for(incident)) is not None:
            missed.append((incident, policy))
    return missed


def start(
    incident: Incident,
    now: datetime,
    *,
    policy: EscalationPolicy | None = None,
    targets: list[dict] | None = None,
) -> Escalation | None:
    """Start paging for `incident` with `policy` (or, by hand, `targets` in one step).
    An incident has at most one policy escalation running: starting again while one runs
    does nothing and returns None. Written in its own short transaction: this row is the
    record, whether or not Redis takes the task that runs it."""
    with transaction.atomic():
        Incident.objects.select_for_update().filter(pk=incident.pk).first()
        if (
            policy is not None
            and Escalation.objects.active().filter(incident=incident, policy__isnull=False).exists()
        ):
            return None
        return Escalation.objects.create(
            incident=incident,
            policy=policy,
            manual_targets=targets or [],
            started_at=now,
            next_due_at=now,
        )


def stop(incident_id: int, status: str, because: str, now: datetime) -> int:
    """Stop every active escalation of the incident; what was not yet sent is cancelled."""
    with transaction.atomic():
        # An exhausted escalation may still have rule-delayed pages waiting: cancel them too.
        stopped = Escalation.objects.filter(
            incident_id=incident_id,
            status__in=[EscalationStatus.ACTIVE, EscalationStatus.EXHAUSTED],
        )
        ids = list(stopped.values_list("pk", flat=True))
        stopped.update(status=status, stopped_at=now, stopped_because=because, next_due_at=None)
        Notification.objects.filter(
            escalation_id__in=ids, status=NotificationStatus.PENDING
        ).update(status=NotificationStatus.CANCELLED, detail=because[:300])
    return len(ids)


def steps_of(escalation: Escalation) -> list[tuple[int, list[dict]]]:
    """(delay_minutes, targets) per step."""
    if escalation.policy is None:
        return [(0, escalation.manual_targets)] if escalation.manual_targets else []
    return [(s.delay_minutes, s.targets) for s in escalation.policy.steps.order_by("position")]


def responders_of(team_id: int) -> list[int]:
    members = Membership.objects.filter(
        team_id=team_id, role__in=[Role.RESPONDER, Role.ADMIN], user__is_active=True
    )
    return list(members.order_by("user__email").values_list("user_id", flat=True))


def on_call_ids(schedule_id: int, at: datetime) -> list[int]:
    return [user.pk for user in on_call(schedule_id, at)]


def methods_of(user_id: int) -> list[tuple[int, str, list[int]]]:
    # A phone number is paged only once verified, and not after it replied STOP.
    methods = ContactMethod.objects.filter(user_id=user_id).pageable().prefetch_related("rules")
    return [(m.pk, m.kind, [r.delay_minutes for r in m.rules.all()]) for m in methods]


@dataclass(frozen=True)
class StepRun:
    """What running a step did: the notifications to send, and when to look again."""

    notifications: list[int]
    next_due_at: datetime | None


NOTHING = StepRun([], None)


def run_step(escalation_id: int, token: str, now: datetime) -> StepRun:
    with transaction.atomic():
        escalation = (
            Escalation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=escalation_id, token=token)
            .select_related("incident", "policy")
            .first()
        )
        if escalation is None or escalation.status != EscalationStatus.ACTIVE:
            return NOTHING  # another worker has it, or it was replaced or stopped
        incident = escalation.incident
        if incident.status not in Status.open_values():
            escalation.status = EscalationStatus.STOPPED
            escalation.stopped_at, escalation.next_due_at = now, None
            escalation.stopped_because = f"{incident.ref} is {incident.status}."
            escalation.save()
            return NOTHING
        if escalation.next_due_at is None or escalation.next_due_at > now:
            return StepRun([], escalation.next_due_at)  # not yet: a duplicate or early task
        # Due: a snooze is over (the room stops saying so, and escalating now moves on from
        # the step that runs here, not from the one before it).
        escalation.snoozed_until = None
        steps = steps_of(escalation)
        repeat = escalation.policy.repeat if escalation.policy else 0
        current = engine.Position(escalation.step, escalation.loop, escalation.next_due_at)
        position = engine.resume(current, len(steps), repeat)
        if position is None:
            # The policy was deleted, or edited to fewer steps than this run had reached.
            escalation.status = EscalationStatus.EXHAUSTED
            escalation.next_due_at = None
            escalation.stopped_because = (
                "Every step ran without an acknowledgement."
                if steps
                else "Its escalation policy was deleted."
            )
            escalation.save()
            if not steps:  # nobody is paged any more: a page that reaches no one is an alert
                admins = fallback.policy_gone(escalation, current.loop, current.step, now)
                return StepRun(admins, None)
            return NOTHING
        created = _page_step(escalation, position, steps, now)
        following = engine.after(position, [d for d, _ in steps], repeat, minute(), now)
        if following is None:
            escalation.status = EscalationStatus.EXHAUSTED
            escalation.next_due_at = None
            escalation.stopped_because = "Every step ran without an acknowledgement."
        else:
            escalation.step, escalation.loop = following.step, following.loop
            escalation.next_due_at = following.due_at
        escalation.save()
        return StepRun(created, escalation.next_due_at)


def _page_step(
    escalation: Escalation,
    position: engine.Position,
    steps: list[tuple[int, list[dict]]],
    now: datetime,
) -> list[int]:
    targets = steps[position.step][1]
    people = engine.people_for(targets, now, on_call_ids, responders_of)
    people, gone = fallback.pageable(escalation, people)
    planned = [
        p for user in people for p in engine.messages_for(user, methods_of(user), now, minute())
    ]
    number = position.step + 1
    rows = Notification.objects.bulk_create(
        [
            Notification(
                escalation=escalation, incident=escalation.incident, user_id=p.user,
                contact_method_id=p.method, kind=p.kind, loop=position.loop, step=number,
                due_at=p.due_at, after_minutes=p.after_minutes,
            )
            for p in planned
        ],
        ignore_conflicts=True,
    )  # fmt: skip
    names = {u.pk: u for u in User.objects.filter(pk__in=people)}
    unreachable = [names[p] for p in people if not any(q.user == p for q in planned)]
    if not planned:
        why = fallback.why_nobody(unreachable, gone)
        fallback.reached_nobody(escalation, position.loop, number, why, now)
    elif unreachable or gone:
        fallback.say_unreachable(escalation, position.loop, number, unreachable, gone)
    # bulk_create with ignore_conflicts gives no ids: read back this step's rows.
    del rows
    return list(
        Notification.objects.filter(
            escalation=escalation, loop=position.loop, step=number
        ).values_list("pk", flat=True)
    )
