"""Declaring an incident and editing what it says."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, Team, User
from accounts.permissions import (
    can_act_for_team,
    is_incident_admin,
)

from ..locking import retried
from ..models import (
    EventKind,
    Incident,
    IncidentRole,
    RefCounter,
    Service,
    Severity,
    Status,
)
from .writer import (
    MAX_SUMMARY,
    MAX_TITLE,
    LifecycleError,
    _assign,
    _choice,
    _labels,
    _narrowed_access,
    _text,
    _when,
    _writing,
)

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
