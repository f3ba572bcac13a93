"""Status, severity and paging moves: acknowledge, escalate, snooze, resolve, merge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import User
from accounts.permissions import may_name_elsewhere

from ..locking import retried
from ..models import (
    EventKind,
    Incident,
    IncidentRole,
    RoleAssignment,
    Severity,
    Status,
    TimelineEvent,
)
from ..parsing import BadValue, parse_int
from .writer import (
    ALLOWED_MOVES,
    MAX_NOTE,
    Conflict,
    LifecycleError,
    _assign,
    _choice,
    _move,
    _refuse,
    _text,
    _writing,
    paging_of,
)

# --- Status --------------------------------------------------------------------------------


@retried
def acknowledge(
    incident: Incident,
    actor: User | None,
    body: str = "",
    *,
    by_link: bool = False,
    data: dict[str, Any] | None = None,
) -> Incident:
    """Someone is on it. Stops paging (via the paging hook, which acts on the `ack` event)
    whatever the status, and moves a triggered incident to investigating. Refused (409)
    only when nothing is paging and the incident is not triggered: nothing to acknowledge.
    The person who acknowledges an incident nobody commands becomes its commander, so an
    incident that is being worked always has someone in charge. `by_link`: the actor is the
    person a page's signed link was sent to (credited as themselves, no team role needed)."""
    body = _text(body, "body", MAX_NOTE, required=False)
    with _writing(actor, by_link=by_link) as w:
        incident = w.lock(incident)
        paging = paging_of(incident).paging
        if incident.status != Status.TRIGGERED and not paging:
            raise Conflict(
                f"{incident.ref} has nothing to acknowledge: nobody is being paged for it and "
                f"it is {incident.status}.",
                allowed=ALLOWED_MOVES[incident.status],
            )
        event_data: dict[str, Any] = {**(data or {}), "paging": paging}
        if incident.status == Status.TRIGGERED:
            incident.acknowledged_at = timezone.now()
            incident.status = Status.INVESTIGATING
            event_data.update({"from": Status.TRIGGERED, "to": incident.status})
        w.event(incident, EventKind.ACK, body, event_data)
        commanded = RoleAssignment.objects.filter(
            incident=incident, role=IncidentRole.COMMANDER
        ).exists()
        if actor is not None and not commanded:
            _assign(w, incident, IncidentRole.COMMANDER, actor)
    return incident


SNOOZE_MINUTES = (1, 240)


def snooze_minutes(value: Any) -> int:
    """How long to snooze paging: a whole number of minutes, 1..240 (every entry point)."""
    low, high = SNOOZE_MINUTES
    text = "" if isinstance(value, bool) or not isinstance(value, int | str) else str(value)
    try:
        if not text.strip():
            raise BadValue(f"minutes must be a whole number from {low} to {high}.")
        return parse_int(text, "minutes", low, low, high)
    except BadValue as exc:
        raise LifecycleError(exc.message, field="minutes") from None


@retried
def escalate(
    incident: Incident,
    actor: User | None,
    *,
    by_link: bool = False,
    data: dict[str, Any] | None = None,
) -> TimelineEvent:
    """Page the next step of the incident's escalation now (the paging hook runs it when it
    sees this `page` event). Refused (409) when no escalation has a step left."""
    with _writing(actor, by_link=by_link) as w:
        incident = w.lock(incident)
        if not paging_of(incident).next_step:
            raise Conflict(
                f"{incident.ref} has no escalation with a step left to run: page someone instead.",
                allowed=ALLOWED_MOVES[incident.status],
            )
        return w.event(incident, EventKind.PAGE, "", {**(data or {}), "action": "escalate"})


@retried
def snooze(
    incident: Incident, actor: User | None, minutes: Any, *, by_link: bool = False
) -> TimelineEvent:
    """Stop paging for `minutes`, after which the current step pages again (the paging hook
    acts on this `page` event's `until`). Refused (409) when nobody is being paged."""
    minutes = snooze_minutes(minutes)
    with _writing(actor, by_link=by_link) as w:
        incident = w.lock(incident)
        if not paging_of(incident).paging:
            raise Conflict(
                f"{incident.ref} has nothing to snooze: nobody is being paged for it.",
                allowed=ALLOWED_MOVES[incident.status],
            )
        until = timezone.now() + timedelta(minutes=minutes)
        data = {"action": "snooze", "minutes": minutes, "until": until.isoformat()}
        return w.event(incident, EventKind.PAGE, "", data)


@retried
def set_status(incident: Incident, actor: User | None, status: str, body: str = "") -> Incident:
    status = _choice(status, Status, "status")
    body = _text(body, "body", MAX_NOTE, required=False)
    if status == Status.MERGED:
        raise LifecycleError(
            "To mark an incident as a duplicate, merge it into the other incident.",
            field="status",
        )
    with _writing(actor) as w:
        incident = w.lock(incident)
        _move(w, incident, status, body)
    return incident


def resolve(incident: Incident, actor: User | None, body: str = "") -> Incident:
    return set_status(incident, actor, Status.RESOLVED, body)


def decline(incident: Incident, actor: User | None, body: str = "") -> Incident:
    """A false alarm: closed without being an incident."""
    return set_status(incident, actor, Status.DECLINED, body)


@retried
def reopen(incident: Incident, actor: User | None, body: str = "") -> Incident:
    with _writing(actor) as w:
        incident = w.lock(incident)
        if incident.status not in (Status.RESOLVED, Status.DECLINED):
            raise _refuse(incident, "be reopened (only a resolved or declined incident can)")
        _move(w, incident, Status.INVESTIGATING, body)
    return incident


@retried
def set_severity(incident: Incident, actor: User | None, severity: str) -> Incident:
    severity = _choice(severity, Severity, "severity")
    with _writing(actor) as w:
        incident = w.lock(incident)
        if incident.status == Status.MERGED:
            raise _refuse(incident, "change severity")
        if severity != incident.severity:
            before = incident.severity
            incident.severity = severity
            w.event(incident, EventKind.SEVERITY, "", {"from": before, "to": severity})
    return incident


@retried
def merge(incident: Incident, actor: User | None, into: Incident) -> Incident:
    """Close `incident` as a duplicate of `into`; both timelines say so."""
    if incident.pk == into.pk:
        raise LifecycleError("An incident cannot be merged into itself.", field="into")
    with _writing(actor) as w:
        # Lock in a fixed order so two opposite merges cannot deadlock.
        first, second = sorted([incident.pk, into.pk])
        w.lock(first)
        w.lock(second)
        source, target = w.incidents[incident.pk], w.incidents[into.pk]
        if target.status == Status.MERGED:
            raise Conflict(
                f"{target.ref} was itself merged into another incident; merge into that one.",
                allowed=ALLOWED_MOVES[source.status],
            )
        # Each timeline is read by everyone who can see its incident, so it names the other
        # incident only when that one is not private (may_name_elsewhere).
        into = target.ref if may_name_elsewhere(target) else None
        _move(w, source, Status.MERGED, f"Merged into {into or 'a private incident'}.")
        source.merged_into = target
        w.event(source, EventKind.MERGE, "", {"into": into})
        named = may_name_elsewhere(source)
        w.event(
            target,
            EventKind.MERGE,
            "",
            {"from": source.ref, "title": source.title} if named else {"from": None},
        )
    return source
