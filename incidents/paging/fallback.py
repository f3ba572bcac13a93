"""A page that reaches no one is itself an alert.

A step reaches nobody when its targets name nobody (an empty schedule), when nobody named
can be paged (no contact method, an account deactivated, a person who left the policy's
team), when every page of the step failed, or when the escalation policy was deleted under
a running escalation. Each time, the timeline and the room's paging panel say so once, and
the team's admins are paged by email at their account address, as fallback notifications
(rows like any other page: retried, audited, acknowledged through their link). When the
team has no admin with an email address, the timeline says that too.

Once only: callers hold the escalation's row lock, and the timeline event recording it is
the mark that it was done for that (escalation, loop, step).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from accounts.models import Membership, Role, User
from incidents import lifecycle, mailing
from incidents.models import EventKind, TimelineEvent

from .models import ContactKind, Escalation, EscalationStatus, Notification, NotificationStatus

N = NotificationStatus


def team_of(escalation: Escalation) -> int | None:
    """The team responsible for the incident: its own, else the policy's."""
    if escalation.incident.team_id is not None:
        return escalation.incident.team_id
    return escalation.policy.team_id if escalation.policy else None


def admins_of(team_id: int | None) -> list[User]:
    if team_id is None:
        return []
    return list(
        User.objects.filter(
            memberships__team_id=team_id, memberships__role=Role.ADMIN, is_active=True
        )
        .exclude(email="")
        .order_by("email")
        .distinct()
    )


def pageable(escalation: Escalation, people: Iterable[int]) -> tuple[list[int], list[str]]:
    """(who may be paged, a sentence per person who may not): deactivated accounts never;
    for a policy's escalation, only members of the policy's team (a person who left the
    team is no longer theirs to page)."""
    people = list(people)
    users = {u.pk: u for u in User.objects.filter(pk__in=people)}
    members: set[int] = set()
    if escalation.policy is not None:
        members = set(
            Membership.objects.filter(
                team_id=escalation.policy.team_id, user_id__in=people
            ).values_list("user_id", flat=True)
        )
    kept, gone = [], []
    for pk in people:
        user = users.get(pk)
        if user is None:
            gone.append(f"person {pk} no longer exists")
        elif not user.is_active:
            gone.append(f"{user.name}'s account is deactivated")
        elif escalation.policy is not None and pk not in members:
            gone.append(f"{user.name} is no longer a member of {escalation.policy.team}")
        else:
            kept.append(pk)
    return kept, gone


def why_nobody(unreachable: list[User], gone: list[str]) -> str:
    """Why a step planned no message at all."""
    reasons = [*gone, *(f"{u.name} has no contact method" for u in unreachable)]
    if not reasons:
        return "nobody is on call (or its targets name nobody)."
    return "; ".join(reasons) + "."


def say_unreachable(
    escalation: Escalation, loop: int, step: int, unreachable: list[User], gone: list[str]
) -> None:
    """Some of the step's people cannot be paged (the others are)."""
    reasons = [*gone, *(f"{u.name} has no contact method" for u in unreachable)]
    lifecycle.record(
        escalation.incident, None, EventKind.PAGE,
        mailing.plain(f"Step {step}: {'; '.join(reasons)}.", 1900),
        {"action": "unreachable", "step": step, "loop": loop,
         "people": [u.email for u in unreachable]},
    )  # fmt: skip


def policy_gone(escalation: Escalation, loop: int, position: int, now: datetime) -> list[int]:
    """The escalation's policy was deleted (or has no steps) before step `position` (0-based)."""
    why = (
        "its escalation policy was deleted."
        if escalation.policy is None
        else "its escalation policy has no steps."
    )
    return reached_nobody(escalation, loop, position + 1, why, now)


def already_said(escalation: Escalation, loop: int, step: int) -> bool:
    return TimelineEvent.objects.filter(
        incident_id=escalation.incident_id, kind=EventKind.PAGE, data__action="unreachable",
        data__nobody=True, data__escalation=escalation.pk, data__loop=loop, data__step=step,
    ).exists()  # fmt: skip


def reached_nobody(
    escalation: Escalation, loop: int, step: int, why: str, now: datetime
) -> list[int]:
    """Say that step `step` (1-based) of loop `loop` reached nobody, because `why` (a
    sentence), and page the team's admins by email. Returns the fallback notifications to
    send. Call inside a transaction that holds the escalation's row lock."""
    if already_said(escalation, loop, step):
        return []
    admins = admins_of(team_of(escalation))
    if admins:
        then = f"Paging the team's admins by email instead: {', '.join(a.name for a in admins)}."
    else:
        then = "No admin of the team has an email address to page instead: nobody was paged."
    body = mailing.plain(f"Step {step} reached nobody: {why} {then}", 1900)
    lifecycle.record(
        escalation.incident, None, EventKind.PAGE, body,
        {"action": "unreachable", "nobody": True, "escalation": escalation.pk, "loop": loop,
         "step": step, "reason": mailing.one_line(why, 300), "admins": [a.email for a in admins]},
    )  # fmt: skip
    Notification.objects.bulk_create(
        [
            Notification(
                escalation=escalation, incident_id=escalation.incident_id, user=admin,
                contact_method=None, kind=ContactKind.EMAIL, loop=loop, step=step,
                due_at=now, fallback=True,
            )
            for admin in admins
        ],
        ignore_conflicts=True,
    )  # fmt: skip
    return list(
        Notification.objects.filter(
            escalation=escalation, loop=loop, step=step, fallback=True, status=N.PENDING
        ).values_list("pk", flat=True)
    )


def after_failure(escalation_id: int, loop: int, step: int, now: datetime) -> list[int]:
    """A page of the step failed for good: when every page of the step has now failed (none
    delivered, none still to go), the step reached nobody. The escalation's row lock makes
    two pages failing at once decide it once."""
    with transaction.atomic():
        escalation = (
            Escalation.objects.select_for_update(of=("self",))
            .select_related("incident", "policy")
            .filter(pk=escalation_id)
            .first()
        )
        if escalation is None or escalation.status not in (
            EscalationStatus.ACTIVE,
            EscalationStatus.EXHAUSTED,
        ):
            return []  # acknowledged or stopped meanwhile: somebody has it
        statuses = set(
            Notification.objects.filter(
                escalation=escalation, loop=loop, step=step, fallback=False
            ).values_list("status", flat=True)
        )
        if statuses != {N.FAILED}:
            return []
        return reached_nobody(escalation, loop, step, "every page to its people failed.", now)


def fallbacks_to_send(escalation_id: int, loop: int, step: int) -> list[int]:
    return list(
        Notification.objects.filter(
            escalation_id=escalation_id, loop=loop, step=step, fallback=True, status=N.PENDING
        ).values_list("pk", flat=True)
    )
