"""The writer every change goes through (locks, numbered events, after-commit hooks),
the errors it raises, and the checks the changes share."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from accounts.permissions import can_edit

from ..locking import bound_lock_waits
from ..models import (
    EventKind,
    Incident,
    IncidentRole,
    RoleAssignment,
    Status,
    TimelineEvent,
)
from ..parsing import BadValue, check_time, is_storable

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


# --- Roles: shared by assigning, declaring with a commander and acknowledging --------------


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
