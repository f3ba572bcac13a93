"""Roles, what capabilities record on the timeline, and notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import User
from accounts.permissions import is_incident_admin

from ..locking import retried
from ..models import (
    EventKind,
    Incident,
    IncidentRole,
    RoleAssignment,
    Status,
    TimelineEvent,
)
from .writer import (
    MAX_NOTE,
    Conflict,
    LifecycleError,
    _assign,
    _choice,
    _narrowed_access,
    _refuse,
    _text,
    _when,
    _writing,
)

# --- Roles ---------------------------------------------------------------------------------


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
