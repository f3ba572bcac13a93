"""The one way incidents change.

Browser forms, the API, chat commands, alert webhooks and Celery tasks all call these
functions. Each one, inside a single transaction:

1. locks the incident row and checks the actor may make the change and that it is allowed;
2. changes the incident and appends its timeline events, numbering them from the row's
   `last_seq` (the row lock is what makes `seq` gapless and unique under concurrency);
3. after commit, hands a `Change` to every registered hook (live room, chat, paging), which
   queue their own work. A failing hook is logged and does not affect the others.

Each writer is one whole transaction: called outside any transaction, one that PostgreSQL
picks as a deadlock victim is redone (incidents/locking.py, which also holds the lock order
every path follows); inside a caller's transaction it runs once and the caller decides.

`actor` is the person acting, or None for the system (alerts, scheduled tasks).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Role, Team, User
from accounts.permissions import (
    can_act_for_team,
    can_edit,
    is_incident_admin,
    may_name_elsewhere,
)

from .locking import bound_lock_waits, retried
from .models import (
    EventKind,
    Incident,
    IncidentRole,
    RefCounter,
    RoleAssignment,
    Service,
    Severity,
    Status,
    TimelineEvent,
)
from .parsing import BadValue, check_time, is_storable, parse_int

log = logging.getLogger(__name__)

MAX_TITLE = 200
MAX_SUMMARY = 20000
MAX_NOTE = 10000
MAX_LABELS = 50
MAX_LABEL_LENGTH = 200

S = Status
ALLOWED_MOVES: dict[str, list[str]] = {
    S.TRIGGERED: [S.INVESTIGATING, S.IDENTIFIED, S.MONITORING, S.RESOLVED, S.DECLINED, S.MERGED],
    S.INVESTIGATING: [S.IDENTIFIED, S.MONITORING, S.RESOLVED, S.DECLINED, S.MERGED],
    # Stepping back to investigating is how a team says "the fix did not hold".
    S.IDENTIFIED: [S.INVESTIGATING, S.MONITORING, S.RESOLVED, S.DECLINED, S.MERGED],
    S.MONITORING: [S.INVESTIGATING, S.IDENTIFIED, S.RESOLVED, S.DECLINED, S.MERGED],
    S.RESOLVED: [S.INVESTIGATING],
    S.DECLINED: [S.INVESTIGATING],
    S.MERGED: [],
}


class LifecycleError(Exception):
    """A change that cannot be made as asked (answered as 400)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(LifecycleError):
    """A change the incident's current state does not allow (answered as 409)."""

    def __init__(self, message: str, *, allowed: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.allowed = list(allowed)


@dataclass(frozen=True)
class Change:
    """What one lifecycle call did to one incident, handed to the after-commit hooks."""

    incident_id: int
    ref: str
    event_ids: tuple[int, ...]
    kinds: tuple[str, ...]
    actor_id: int | None


_hooks: list[Callable[[Change], None]] = []


@dataclass(frozen=True)
class Paging:
    """What a paging capability says about an incident, asked under the incident's lock:
    whether anyone is being paged (or will be again, after a snooze), and whether an
    escalation has a step left to run. The core never imports paging: it asks the pagers
    registered here (paging registers one in AppConfig.ready)."""

    paging: bool = False
    next_step: bool = False


_pagers: list[Callable[[Incident], Paging]] = []


def register_pager(pager: Callable[[Incident], Paging]) -> None:
    if pager not in _pagers:
        _pagers.append(pager)


def paging_of(incident: Incident) -> Paging:
    found = [pager(incident) for pager in _pagers]
    return Paging(any(p.paging for p in found), any(p.next_step for p in found))


def register_hook(hook: Callable[[Change], None]) -> None:
    """Run `hook(change)` after every committed change (the live room, chat and paging
    register theirs in AppConfig.ready). Hooks should only queue work, quickly."""
    if hook not in _hooks:
        _hooks.append(hook)


def unregister_hook(hook: Callable[[Change], None]) -> None:
    if hook in _hooks:
        _hooks.remove(hook)


def _publish(changes: list[Change]) -> None:
    for change in changes:
        for hook in list(_hooks):
            try:
                hook(change)
            except Exception:
                log.exception("after-commit hook %r failed for %s", hook, change.ref)


# --- The writer: locks, numbers events, saves, publishes --------------------------------


@dataclass
class _Writer:
    actor: User | None
    # The actor holds a signed page link sent to them: the link, not a team role, is what
    # lets them act (the paged person may be on another team, or logged out).
    by_link: bool = False
    incidents: dict[int, Incident] = field(default_factory=dict)
    events: list[TimelineEvent] = field(default_factory=list)

    def lock(self, incident: Incident | int) -> Incident:
        pk = incident if isinstance(incident, int) else incident.pk
        if pk in self.incidents:
            return self.incidents[pk]
        # FOR NO KEY UPDATE: writers of one incident take turns, while rows that point at it
        # (alerts, escalations, notifications) can still be written (incidents/locking.py).
        locked = (
            Incident.objects.select_for_update(no_key=True, of=("self",))
            .select_related("team")
            .get(pk=pk)
        )
        if self.actor is not None and not self.by_link and not can_edit(self.actor, locked):
            raise PermissionDenied(f"You may not change {locked.ref}.")
        self.incidents[pk] = locked
        return locked

    def event(
        self,
        incident: Incident,
        kind: str,
        body: str = "",
        data: dict[str, Any] | None = None,
        occurred_at: datetime | None = None,
    ) -> TimelineEvent:
        incident.last_seq += 1
        now = timezone.now()
        event = TimelineEvent.objects.create(
            incident=incident,
            seq=incident.last_seq,
            kind=kind,
            body=body,
            data=data or {},
            author=self.actor,
            occurred_at=occurred_at or now,
            created_at=now,
        )
        self.events.append(event)
        return event

    def finish(self) -> None:
        changes = []
        for incident in self.incidents.values():
            mine = [e for e in self.events if e.incident_id == incident.pk]
            if not mine:
                continue
            incident.save()
            changes.append(
                Change(
                    incident_id=incident.pk,
                    ref=incident.ref,
                    event_ids=tuple(e.pk for e in mine),
                    kinds=tuple(e.kind for e in mine),
                    actor_id=self.actor.pk if self.actor else None,
                )
            )
        if changes:
            transaction.on_commit(lambda: _publish(changes), robust=True)


@contextmanager
def _writing(actor: User | None, *, by_link: bool = False) -> Iterator[_Writer]:
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            bound_lock_waits()
        writer = _Writer(actor, by_link)
        yield writer
        writer.finish()


# --- Validation helpers -----------------------------------------------------------------


def _text(value: Any, field: str, max_length: int, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise LifecycleError(f"{field} must be text.", field=field)
    if not is_storable(value):
        raise LifecycleError(f"{field} contains NUL or invalid characters.", field=field)
    value = value.strip()
    if required and not value:
        raise LifecycleError(f"{field} cannot be empty.", field=field)
    if len(value) > max_length:
        raise LifecycleError(
            f"{field} is {len(value)} characters long; the limit is {max_length}.", field=field
        )
    return value


def _choice(value: Any, choices: type, field: str) -> str:
    values = [str(c) for c in choices.values]
    if value not in values:
        raise LifecycleError(
            f"{value!r} is not a valid {field}; use one of: {', '.join(values)}.", field=field
        )
    return value


def _when(value: datetime | None, field: str, declared_at: datetime | None = None):
    """A time something happened (see parsing.check_time), or None."""
    if value is None:
        return None
    try:
        return check_time(value, field, declared_at=declared_at)
    except BadValue as exc:
        raise LifecycleError(exc.message, field=field) from None


def _labels(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise LifecycleError("labels must be an object of text keys and values.", field="labels")
    if len(value) > MAX_LABELS:
        raise LifecycleError(f"At most {MAX_LABELS} labels.", field="labels")
    for key, item in value.items():
        if not isinstance(item, str) or not key or len(key) > 100:
            raise LifecycleError("labels must map short text keys to text values.", field="labels")
        if not is_storable(key) or not is_storable(item):
            raise LifecycleError("labels cannot contain NUL or invalid characters.", field="labels")
        if len(item) > MAX_LABEL_LENGTH:
            raise LifecycleError(
                f"Label {key!r} is longer than {MAX_LABEL_LENGTH} characters.", field="labels"
            )
    return dict(value)


def _narrowed_access(incident: Incident) -> None:
    """Someone may have lost sight of the incident: its live sockets must re-check (the
    live room carries access_version in its pushes). Everyone signed in sees a public
    incident, so only a private one (or one just made private) narrows."""
    if incident.private:
        incident.access_version += 1


def _refuse(incident: Incident, what: str) -> Conflict:
    allowed = ALLOWED_MOVES[incident.status]
    moves = ", ".join(allowed) if allowed else "nothing (it is final)"
    return Conflict(
        f"{incident.ref} is {incident.status}: it cannot {what}. It can move to: {moves}.",
        allowed=allowed,
    )


def _move(w: _Writer, incident: Incident, to: str, body: str = "") -> TimelineEvent:
    """Change status, keep the derived timestamps right, and record it."""
    before = incident.status
    if to not in ALLOWED_MOVES[before]:
        raise _refuse(incident, f"move to {to}")
    now = timezone.now()
    if before == Status.TRIGGERED and to != Status.MERGED and incident.acknowledged_at is None:
        incident.acknowledged_at = now
    if to in (Status.MONITORING, Status.RESOLVED) and incident.mitigated_at is None:
        incident.mitigated_at = now
    if to in (Status.INVESTIGATING, Status.IDENTIFIED):
        # Back from monitoring or reopened: the impact is not mitigated any more.
        incident.mitigated_at = None
        incident.resolved_at = None
    if to == Status.RESOLVED:
        incident.resolved_at = now
    incident.status = to
    return w.event(incident, EventKind.STATUS, body, {"from": before, "to": to})


# --- Declaring and editing ----------------------------------------------------------------


def next_number() -> int:
    with transaction.atomic():
        counter, _ = RefCounter.objects.select_for_update().get_or_create(name="incident")
        counter.last_value += 1
        counter.save(update_fields=["last_value"])
        return counter.last_value


def team_of_services(services: Iterable[Service]) -> Team | None:
    """The team of an incident declared with services and no team: the one team its
    services belong to (services without a team do not count). Services of different teams
    leave the choice to the person declaring: a clear error asking for the team."""
    teams = {s.team_id: s.team for s in services if s.team_id is not None}
    if len(teams) > 1:
        names = ", ".join(sorted(t.name for t in teams.values()))
        raise LifecycleError(
            f"The services belong to different teams ({names}): say which team the incident "
            "belongs to (team).",
            field="team",
        )
    return next(iter(teams.values()), None)


@retried
def declare(
    actor: User | None,
    *,
    title: str,
    severity: str = Severity.SEV3,
    summary: str = "",
    team: Team | None = None,
    services: Iterable[Service] = (),
    private: bool = False,
    labels: dict[str, str] | None = None,
    impact_started_at: datetime | None = None,
    commander: User | None = None,
    data: dict[str, Any] | None = None,
) -> Incident:
    """Open a new incident. A person declaring starts it as investigating (they are on it)
    and becomes its commander unless another is named; the system starts it as triggered.
    Without a team, it belongs to the team of its services (see team_of_services)."""
    title = _text(title, "title", MAX_TITLE)
    summary = _text(summary, "summary", MAX_SUMMARY, required=False)
    severity = _choice(severity, Severity, "severity")
    labels = _labels(labels or {})
    impact_started_at = _when(impact_started_at, "impact_started_at")
    services = list(services)
    derived = team is None and services
    if team is None:
        team = team_of_services(services)
    if actor is not None and not can_act_for_team(actor, team.pk if team else None, Role.RESPONDER):
        if derived and team is not None:
            names = ", ".join(s.name for s in services)
            raise PermissionDenied(
                f"{names} {'belongs' if len(services) == 1 else 'belong'} to {team}, and only "
                "its responders may declare its incidents; give a team of yours as team."
            )
        raise PermissionDenied(
            f"Only responders of {team} may declare its incidents."
            if team
            else "Only responders may declare incidents."
        )
    if private and team is None and actor is None and commander is None:
        raise LifecycleError("A private incident needs a team or a commander.", field="private")
    now = timezone.now()
    with _writing(actor) as w:
        incident = Incident.objects.create(
            number=next_number(),
            title=title,
            summary=summary,
            severity=severity,
            status=Status.TRIGGERED if actor is None else Status.INVESTIGATING,
            private=bool(private),
            team=team,
            labels=labels,
            declared_by=actor,
            impact_started_at=impact_started_at,
            detected_at=now,
            acknowledged_at=None if actor is None else now,
        )
        if services:
            incident.services.set(services)
        w.incidents[incident.pk] = incident
        w.event(
            incident,
            EventKind.DECLARED,
            summary,
            {
                **(data or {}),
                "title": title,
                "severity": severity,
                "status": incident.status,
                "services": [s.name for s in services],
                "private": incident.private,
            },
        )
        commander = commander or actor
        if commander is not None:
            _assign(w, incident, IncidentRole.COMMANDER, commander)
    return incident


@retried
def update(
    incident: Incident,
    actor: User | None,
    *,
    title: str | None = None,
    summary: str | None = None,
    labels: dict[str, str] | None = None,
    services: Iterable[Service] | None = None,
    private: bool | None = None,
    impact_started_at: datetime | None = None,
) -> Incident:
    """Edit the incident's descriptive fields; one `edit` event lists what changed."""
    with _writing(actor) as w:
        incident = w.lock(incident)
        changed: dict[str, Any] = {}
        if title is not None:
            title = _text(title, "title", MAX_TITLE)
            if title != incident.title:
                changed["title"] = {"from": incident.title, "to": title}
                incident.title = title
        if summary is not None:
            summary = _text(summary, "summary", MAX_SUMMARY, required=False)
            if summary != incident.summary:
                changed["summary"] = {"from": incident.summary, "to": summary}
                incident.summary = summary
        if labels is not None:
            labels = _labels(labels)
            if labels != incident.labels:
                changed["labels"] = {"from": incident.labels, "to": labels}
                incident.labels = labels
        if services is not None:
            services = list(services)
            before = sorted(s.name for s in incident.services.all())
            after = sorted(s.name for s in services)
            if before != after:
                changed["services"] = {"from": before, "to": after}
                incident.services.set(services)
        if private is not None and bool(private) != incident.private:
            if actor is not None and not is_incident_admin(actor, incident):
                raise PermissionDenied("Only a team admin may change who can see an incident.")
            changed["private"] = {"from": incident.private, "to": bool(private)}
            incident.private = bool(private)
            _narrowed_access(incident)
        if impact_started_at is not None and impact_started_at != incident.impact_started_at:
            _when(impact_started_at, "impact_started_at", incident.created_at)
            changed["impact_started_at"] = {
                "from": incident.impact_started_at.isoformat()
                if incident.impact_started_at
                else None,
                "to": impact_started_at.isoformat(),
            }
            incident.impact_started_at = impact_started_at
        if changed:
            w.event(incident, EventKind.EDIT, "", {"changes": changed})
    return incident


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


# --- Roles ---------------------------------------------------------------------------------


def _assign(w: _Writer, incident: Incident, role: str, user: User) -> None:
    if not user.is_active:
        raise LifecycleError(f"{user.email} is deactivated.", field="user")
    current = list(RoleAssignment.objects.filter(incident=incident, role=role))
    if any(a.user_id == user.pk for a in current):
        return
    data: dict[str, Any] = {
        "role": role, "user": user.email, "user_name": user.name, "action": "assigned"
    }  # fmt: skip
    if role in IncidentRole.single_holder() and current:
        previous = current[0]
        data["replaced"] = previous.user.email
        data["replaced_name"] = previous.user.name
        previous.delete()
        _narrowed_access(incident)
    RoleAssignment.objects.create(incident=incident, role=role, user=user, assigned_by=w.actor)
    w.event(incident, EventKind.ROLE, "", data)


@retried
def assign_role(incident: Incident, actor: User | None, role: str, user: User) -> Incident:
    """Give `user` a role; a single-holder role (commander, comms, scribe) is handed over."""
    role = _choice(role, IncidentRole, "role")
    with _writing(actor) as w:
        incident = w.lock(incident)
        if incident.status == Status.MERGED:
            raise _refuse(incident, "take role changes")
        _assign(w, incident, role, user)
    return incident


@retried
def unassign_role(incident: Incident, actor: User | None, role: str, user: User) -> Incident:
    role = _choice(role, IncidentRole, "role")
    with _writing(actor) as w:
        incident = w.lock(incident)
        deleted, _ = RoleAssignment.objects.filter(incident=incident, role=role, user=user).delete()
        if not deleted:
            raise Conflict(f"{user.email} is not {IncidentRole(role).label} on {incident.ref}.")
        _narrowed_access(incident)
        data = {"role": role, "user": user.email, "user_name": user.name, "action": "removed"}
        w.event(incident, EventKind.ROLE, "", data)
    return incident


# --- What capabilities record ----------------------------------------------------------------


@retried
def record(
    incident: Incident,
    actor: User | None,
    kind: str,
    body: str = "",
    data: dict[str, Any] | None = None,
    *,
    occurred_at: datetime | None = None,
) -> TimelineEvent:
    """Append an event that a capability reports without changing the incident's state: an
    alert fired or resolved, a page went out or failed, a reminder, a postmortem step. State
    changes (acknowledge, resolve …) have functions of their own above."""
    if kind not in EventKind.capability_kinds():
        raise LifecycleError(
            f"{kind!r} is not an event capabilities record; use one of: "
            f"{', '.join(EventKind.capability_kinds())}.",
            field="kind",
        )
    body = _text(body, "body", MAX_NOTE, required=False)
    with _writing(actor) as w:
        incident = w.lock(incident)
        return w.event(incident, kind, body, data or {}, occurred_at=occurred_at)


# --- Notes ---------------------------------------------------------------------------------


@retried
def add_note(
    incident: Incident, actor: User | None, body: str, *, occurred_at: datetime | None = None
) -> TimelineEvent:
    """Append a note. `occurred_at` back-dates it (for things noticed earlier)."""
    body = _text(body, "body", MAX_NOTE)
    occurred_at = _when(occurred_at, "occurred_at", incident.created_at)
    with _writing(actor) as w:
        incident = w.lock(incident)
        return w.event(incident, EventKind.NOTE, body, occurred_at=occurred_at)


@retried
def strike_note(
    incident: Incident, actor: User | None, seq: int, reason: str = ""
) -> TimelineEvent:
    """Mark a note as struck through. It stays in the timeline; a `strike` event says why.
    Authors may strike their own notes; team admins anyone's."""
    reason = _text(reason, "reason", 500, required=False)
    with _writing(actor) as w:
        incident = w.lock(incident)
        note = (
            TimelineEvent.objects.select_for_update()
            .filter(incident=incident, seq=seq, kind=EventKind.NOTE)
            .first()
        )
        if note is None:
            raise LifecycleError(f"{incident.ref} has no note #{seq}.", field="seq")
        if note.struck_at is not None:
            raise Conflict(f"Note #{seq} is already struck through.")
        if (
            actor is not None
            and note.author_id != actor.pk
            and not is_incident_admin(actor, incident)
        ):
            raise PermissionDenied("Only the note's author or a team admin may strike it.")
        note.struck_at = timezone.now()
        note.struck_by = actor
        note.save(update_fields=["struck_at", "struck_by"])
        return w.event(incident, EventKind.STRIKE, reason, {"seq": seq, "reason": reason})
