"""How incidents look: the one home for display helpers shared by the pages (views.py),
the live room (live.py) and the API.

- times: one format, in the viewer's zone and marked with it ("15:12 CET", with the date
  when it is not today), for the timeline, the Details panel and the list;
- the moves a person is offered from each status, in the order they are usually taken;
- role rows and the fragments of the incident page that the live room swaps in when the
  incident changes, and the plain data the room sends with them.

Fragments are rendered for no one in particular (edit controls included, marked with
data-requires; times in UTC, marked data-when) so a change costs one render however many
people watch: static/js/incident_room.js drops the controls its person may not use and
rewrites the times in its person's zone.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html

from accounts.models import User

from .forms import EditForm
from .lifecycle import ALLOWED_MOVES
from .markdown import render_markdown
from .models import Incident, IncidentRole, Severity, Status, TimelineEvent

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# An entry whose time was set more than this before it was written is marked back-dated.
BACK_DATED_AFTER = timedelta(minutes=1)


# --- Times ---------------------------------------------------------------------------------


def _local(value: datetime) -> datetime:
    try:
        return timezone.localtime(value)
    except (OverflowError, ValueError):
        # Near the ends of the calendar (year 1 seen from west of UTC) there is no local
        # time to show; UTC is still the truth.
        return value.astimezone(UTC)


def format_when(value: datetime | None, now: datetime | None = None) -> str:
    """'15:12 CET' today; 'Nov 21, 15:12 CET' this year; 'Nov 21 2025, 15:12 CET' before.
    In the current zone (the viewer's, activated by accounts.middleware)."""
    if value is None:
        return "—"
    local = _local(value)
    today = _local(now or timezone.now()).date()
    clock = f"{local:%H:%M} {local.tzname() or 'UTC'}"
    if local.date() == today:
        return clock
    year = "" if local.year == today.year else f" {local.year}"
    return f"{MONTHS[local.month - 1]} {local.day}{year}, {clock}"


def time_element(value: datetime | None) -> str:
    """A <time> for `value`, marked data-when so the live room can show it in the zone of
    whoever reads a pushed fragment."""
    if value is None:
        return "—"
    iso = value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return format_html('<time datetime="{}" data-when>{}</time>', iso, format_when(value))


def utc_key(value: datetime) -> str:
    """ISO 8601 in UTC with microseconds and a four-digit year: sorts as text in time order
    (the timeline's data-occurred, compared by the live room)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def zone_names(zone_name: str, now: datetime | None = None) -> dict[str, str]:
    """The zone's abbreviations by UTC offset ('+01:00' -> 'CET', '+02:00' -> 'CEST'), so the
    browser can mark times exactly as the server does (browsers' names differ by locale)."""
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    start = now or timezone.now()
    names: dict[str, str] = {}
    for days in range(-400, 400, 30):
        moment = (start + timedelta(days=days)).astimezone(zone)
        offset = moment.utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        key = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        names[key] = moment.tzname() or "UTC"
    return names


def is_back_dated(event: TimelineEvent) -> bool:
    return event.created_at - event.occurred_at > BACK_DATED_AFTER


# --- Status moves --------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """A button on the incident page: the action it posts to, the status it asks for (for
    the status action), its words, and whether it is the usual next step."""

    action: str
    status: str
    label: str
    hint: str
    primary: bool = False
    danger: bool = False


# The usual next step first. "Acknowledge" and "Reopen" have their own lifecycle calls.
_LABELS = {
    Status.INVESTIGATING: ("Back to investigating", "The fix did not hold"),
    Status.IDENTIFIED: ("Identified", "The cause is known"),
    Status.MONITORING: ("Mitigated", "Impact has stopped; watching it (Monitoring)"),
    Status.RESOLVED: ("Resolve", "It is over"),
    Status.DECLINED: ("Decline", "A false alarm: close it without counting it"),
}
_NEXT = {
    Status.TRIGGERED: Status.INVESTIGATING,
    Status.INVESTIGATING: Status.IDENTIFIED,
    Status.IDENTIFIED: Status.MONITORING,
    Status.MONITORING: Status.RESOLVED,
}
_ORDER = [
    Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED, Status.INVESTIGATING, Status.DECLINED,
]  # fmt: skip


def moves(status: str) -> list[Move]:
    """The buttons offered from `status`, the usual next step first, Decline last."""
    if status in (Status.RESOLVED, Status.DECLINED):
        return [Move("reopen", "", "Reopen", "It is back, or was closed too early", primary=True)]
    allowed = ALLOWED_MOVES[status]
    result: list[Move] = []
    if status == Status.TRIGGERED:
        result.append(Move("acknowledge", "", "Acknowledge", "You are on it", primary=True))
    for target in _ORDER:
        if target not in allowed or (status == Status.TRIGGERED and target == Status.INVESTIGATING):
            continue
        label, hint = _LABELS[target]
        if target == Status.IDENTIFIED and status == Status.MONITORING:
            label = "Back to identified"
        result.append(
            Move(
                "status",
                target,
                label,
                hint,
                primary=_NEXT.get(status) == target,
                danger=target == Status.DECLINED,
            )
        )
    result.sort(key=lambda move: not move.primary)  # stable: the rest keep their order
    return result


# --- Roles and fragments -------------------------------------------------------------------


def role_rows(incident: Incident) -> list[tuple[str, str, list]]:
    return [
        (IncidentRole(role).label, role, incident.role_holders(role))
        for role in IncidentRole.values
    ]


def edit_form(incident: Incident) -> EditForm:
    """The edit form as the incident is now (not as it was when the page loaded, which
    would quietly undo someone else's edit)."""
    return EditForm(
        initial={
            "title": incident.title,
            "summary": incident.summary,
            "services": incident.service_list,
        }
    )


def incident_context(incident: Incident, **extra: Any) -> dict[str, Any]:
    """What the incident's fragments need; the page adds its person's permissions."""
    return {
        "incident": incident,
        "roles": role_rows(incident),
        "moves": moves(incident.status),
        "severities": Severity.choices,
        "edit_form": edit_form(incident),
        **extra,
    }


# Fragment key in the live `incident` message -> template. Each is the content of the
# element with the same id on the page (see templates/incidents/detail.html).
FRAGMENTS = {
    "head_html": "incidents/_head_badges.html",
    "actions_html": "incidents/_actions.html",
    "severity_html": "incidents/_severity.html",
    "roles_html": "incidents/_roles.html",
    "facts_html": "incidents/_facts.html",
    "summary_html": "incidents/_summary.html",
    "merge_html": "incidents/_merge.html",
    "edit_html": "incidents/_edit.html",
}


def incident_fragments(incident: Incident) -> dict[str, str]:
    """The state-dependent parts of the page, rendered for no one in particular."""
    context = incident_context(incident, can_edit=True, live=True)
    with timezone.override(UTC):
        return {key: render_to_string(name, context) for key, name in FRAGMENTS.items()}


def event_fragment(event: TimelineEvent, incident: Incident) -> str:
    with timezone.override(UTC):
        return render_to_string(
            "incidents/_event.html", {"event": event, "incident": incident, "live": True}
        )


def _person(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "email": user.email, "name": user.name}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def event_data(event: TimelineEvent) -> dict[str, Any]:
    """An event as the live room sends it (the API's timeline shape)."""
    return {
        "seq": event.seq,
        "kind": event.kind,
        "occurred_at": _iso(event.occurred_at),
        "created_at": _iso(event.created_at),
        "author": _person(event.author),
        "body": event.body,
        "body_html": render_markdown(event.body),
        "data": event.data,
        "struck_at": _iso(event.struck_at),
        "struck_by": _person(event.struck_by),
    }


def incident_state(incident: Incident) -> dict[str, Any]:
    """The incident's state as the live room sends it: what the page's script reads."""
    return {
        "ref": incident.ref,
        "title": incident.title,
        "status": incident.status,
        "severity": incident.severity,
        "private": incident.private,
        "merged_into": incident.merged_into.ref if incident.merged_into_id else None,
        "allowed_moves": ALLOWED_MOVES[incident.status],
        "last_seq": incident.last_seq,
    }
