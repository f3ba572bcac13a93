"""The first draft of a postmortem, pre-filled from the incident: its key times and the
durations between them, the people and their roles, the alerts and pages, and the timeline
(the events highlighted in the room plus every status and severity change).

Sections hold only what people (or this pre-fill) wrote: the prompts that say what belongs
in each section are shown as placeholders in the editor and never stored, so an untouched
section is empty and publishing can say so.

`prefill(incident, events, highlighted)` is a pure function of what it is given (rows
already loaded), so it can be read and tested on its own."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from incidents.models import EventKind, Incident, IncidentRole, TimelineEvent

from .models import Section

PROMPTS: dict[str, str] = {
    Section.SUMMARY: "What happened, in two or three sentences, for someone who was not there.",
    Section.IMPACT: "Who was affected, how, and for how long. Numbers where we have them.",
    Section.TIMELINE: "Key times, people, alerts and the events that mattered, in order.",
    Section.FACTORS: (
        "The conditions that made this possible or worse: systems, processes, tools, "
        "signals. Record each as a contributing factor; no one person is a cause."
    ),
    Section.WENT_WELL: "What helped: tools, habits, people working together.",
    Section.DIFFICULT: "What made the response hard: missing signals, unclear runbooks, access.",
    Section.LUCKY: "What could have made this worse, and did not, by luck rather than design.",
    Section.ACTIONS: "Anything to add about the action items, each recorded with an owner.",
    Section.LESSONS: "What we understand now that we did not before.",
}
KEY_TIMES = [
    ("Impact started", "impact_started_at"),
    ("Detected", "detected_at"),
    ("Acknowledged", "acknowledged_at"),
    ("Mitigated", "mitigated_at"),
    ("Resolved", "resolved_at"),
]


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def duration(delta: timedelta | None) -> str:
    """ "1 h 05 min", "12 min", "40 s"."""
    if delta is None:
        return "—"
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)} s"
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def key_times(incident: Incident) -> str:
    rows = ["| Moment | Time | Since the previous |", "|---|---|---|"]
    previous: datetime | None = None
    for label, name in KEY_TIMES:
        moment = getattr(incident, name)
        since = moment - previous if moment and previous else None
        rows.append(
            f"| {label} | {_when(moment)} | {duration(since) if since is not None else ''} |"
        )
        previous = moment or previous
    lines = [
        "\n".join(rows),
        "",
        f"- Time to acknowledge: {duration(incident.time_to_acknowledge)}",
        f"- Time to mitigate: {duration(incident.time_to_mitigate)}",
        f"- Time to resolve: {duration(incident.time_to_resolve)}",
    ]
    return "\n".join(lines)


def people(incident: Incident) -> str:
    lines = []
    for assignment in incident.role_list:
        label = IncidentRole(assignment.role).label
        lines.append(f"- {label}: {assignment.user.name} ({assignment.user.email})")
    return "\n".join(lines) or "- (nobody held a role)"


def _describe(event: TimelineEvent) -> str:
    data = event.data or {}
    who = event.author.name if event.author else "Keel"
    if event.kind == EventKind.STATUS:
        return f"{who}: status {data.get('from')} → {data.get('to')}"
    if event.kind == EventKind.SEVERITY:
        return f"{who}: severity {data.get('from')} → {data.get('to')}"
    if event.kind == EventKind.DECLARED:
        return f"{who} declared the incident as {data.get('severity')}"
    body = " ".join((event.body or "").split())
    if len(body) > 300:
        body = body[:300] + "…"
    return f"{who} ({event.get_kind_display().lower()}): {body}" if body else who


def timeline(events: Iterable[TimelineEvent], highlighted: set[int], url: str = "") -> str:
    """The events highlighted in the room plus every declaration, status and severity
    change, in the order they happened."""
    wanted = (EventKind.DECLARED, EventKind.STATUS, EventKind.SEVERITY)
    chosen = [e for e in events if e.pk in highlighted or e.kind in wanted]
    chosen.sort(key=lambda e: (e.occurred_at, e.seq))
    return "\n".join(
        f"- **{e.occurred_at.strftime('%H:%M')}** {_describe(e)} ([#{e.seq}]({url}#event-{e.seq}))"
        for e in chosen
    )


def signals(events: Iterable[TimelineEvent]) -> str:
    lines = [
        f"- {e.occurred_at.strftime('%H:%M')} {e.get_kind_display()}: "
        f"{' '.join((e.body or '').split())[:200] or (e.data or {}).get('summary', '')}"
        for e in events
        if e.kind in (EventKind.ALERT, EventKind.PAGE)
    ]
    return "\n".join(lines) or "- (no alerts or pages)"


def prompts(templates: dict[str, str] | None = None) -> dict[str, str]:
    """The hint of each section: the admins' prompt (SectionTemplate) where they set one."""
    custom = {key: text.strip() for key, text in (templates or {}).items() if text.strip()}
    return {key: custom.get(key, PROMPTS.get(key, "")) for key in Section.values}


def prefill(
    incident: Incident, events: list[TimelineEvent], highlighted: set[int]
) -> dict[str, str]:
    """Section texts for a new postmortem: the incident's summary and the timeline; every
    other section starts empty (its prompt is a placeholder, not text)."""
    sections = dict.fromkeys(Section.values, "")
    sections[Section.SUMMARY] = incident.summary.strip()
    sections[Section.TIMELINE] = "\n\n".join(
        [
            "### Key times",
            key_times(incident),
            "### People and roles",
            people(incident),
            "### Alerts and pages",
            signals(events),
            "### Timeline",
            timeline(events, highlighted, incident.get_absolute_url()) or "- (no events)",
        ]
    ).strip()
    return sections
