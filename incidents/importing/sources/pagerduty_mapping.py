"""Turning PagerDuty's objects into the configuration document's parts (see pagerduty.py
for what maps how). Shapes are those of PagerDuty's REST API v2 (PagerDuty/api-schema,
reference/REST/openapiv3.json: Schedule, ScheduleLayer, Restriction, EscalationPolicy,
EscalationRule, Service, Integration, MaintenanceWindow)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from .common import DAY, WEEK, Reading, restrictions

HOUR_SECONDS = 3600
DAY_SECONDS = 24 * HOUR_SECONDS
WEEK_SECONDS = 7 * DAY_SECONDS
# A team member's role in PagerDuty (observer, responder, manager) as Keel's team role.
ROLES = {"manager": "admin", "responder": "responder", "observer": "viewer"}
# Integration types Keel has its own receiver for: PagerDuty's Events API v2 (Keel answers
# it at /v2/enqueue, so a sender only changes its routing key). The rest get generic JSON.
KINDS = {"events_api_v2_inbound_integration": "pagerduty"}


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def minutes_of_day(value: str) -> int:
    """PagerDuty's "HH:mm:ss" start_time_of_day, in minutes."""
    hours, minutes, *_ = value.split(":")
    return int(hours) * 60 + int(minutes)


def turn(seconds: int, where: str, reading: Reading) -> tuple[int, str]:
    """rotation_turn_length_seconds as Keel's (shift_length, shift_unit)."""
    if seconds % WEEK_SECONDS == 0:
        return seconds // WEEK_SECONDS, "weeks"
    if seconds % DAY_SECONDS == 0:
        return seconds // DAY_SECONDS, "days"
    hours = max(1, round(seconds / HOUR_SECONDS))
    if seconds % HOUR_SECONDS:
        reading.note(
            where,
            f"Each turn is {seconds} seconds; Keel's turns are whole hours, days or weeks.",
            f"Turns of {hours} hour(s).",
        )
    return hours, "hours"


def windows(layer: dict) -> list[tuple[int, int]] | None:
    """The layer's restrictions as weekly windows (minutes from Monday 00:00), or None when
    it has none. A daily restriction is on every day; a weekly one starts on its
    start_day_of_week (1 = Monday, as PagerDuty counts) and may run past the week's end."""
    found: list[tuple[int, int]] = []
    for restriction in layer.get("restrictions") or []:
        at = minutes_of_day(restriction["start_time_of_day"])
        length = restriction["duration_seconds"] // 60
        if restriction["type"] == "daily_restriction":
            found += [(d * DAY + at, d * DAY + at + min(length, DAY)) for d in range(7)]
        else:
            start = ((restriction.get("start_day_of_week") or 1) - 1) * DAY + at
            found.append((start, start + min(length, WEEK)))
    return found or None


def layer(data: dict, zone_name: str, label: str, reading: Reading, now: datetime):
    """A schedule layer as a Keel layer; None (noted) when it cannot be one."""
    where = f"{label} layer {data.get('name') or data.get('id')}"
    if data.get("end") and parse(data["end"]) <= now:
        reading.note(where, "It has ended.", "Not imported.")
        return None
    if data.get("end"):
        reading.note(
            where,
            f"It ends at {data['end']}; Keel's layers have no end date.",
            "The layer keeps rotating: remove it in Keel when it should end.",
        )
    people = []
    for entry in data.get("users") or []:
        email = reading.email((entry.get("user") or {}).get("id"))
        if email is None:
            reading.note(where, "One of its people is not a user PagerDuty listed.", "Left out.")
        else:
            people.append(email)
    if not people:
        reading.note(where, "Nobody in it is a person Keel knows.", "Not imported.")
        return None
    zone = ZoneInfo(zone_name)
    anchor = parse(data["rotation_virtual_start"]).astimezone(zone)
    if data.get("start") and parse(data["start"]) > max(anchor, now):
        reading.note(
            where,
            f"It starts at {data['start']}, after its rotation's virtual start.",
            "Keel's layer is on call from the virtual start.",
        )
    length, unit = turn(data["rotation_turn_length_seconds"], where, reading)
    found = {
        "name": data.get("name") or "",
        "participants": people,
        "shift_length": length,
        "shift_unit": unit,
        "handoff_time": anchor.strftime("%H:%M"),
        "start_date": anchor.date().isoformat(),
    }
    if (weekly := windows(data)) is not None:
        found["restrictions"] = restrictions(weekly)
    return found


def escalation_policy(data: dict, team: dict, reading: Reading) -> dict:
    """An escalation policy: each rule a step (its delay is the wait after it, as Keel's
    step delay is); num_loops -> repeat."""
    label = f"escalation policy {data['name']} ({team['slug']})"
    steps = []
    for index, rule in enumerate(data.get("escalation_rules") or [], start=1):
        targets = []
        for target in rule.get("targets") or []:
            kind = target.get("type", "").removesuffix("_reference")
            if kind == "user" and (email := reading.email(target.get("id"))):
                targets.append({"user": email})
            elif kind == "schedule" and target.get("id") in reading.schedule_team:
                owner, name = reading.schedule_team[target["id"]]
                if owner is team:
                    targets.append({"schedule": name})
                else:
                    reading.note(
                        f"{label} rule {index}",
                        f"It pages schedule {name} of team {owner['name']}; a Keel policy "
                        "pages its own team's schedules.",
                        "That target is left out: page that team's policy instead.",
                    )
            else:
                reading.note(
                    f"{label} rule {index}",
                    f"It pages a {kind or 'target'} Keel cannot match.",
                    "That target is left out.",
                )
        delay = rule.get("escalation_delay_in_minutes") or 0
        if delay < 1:
            reading.note(
                f"{label} rule {index}",
                f"It escalates after {delay} minutes; Keel waits at least a minute.",
                "Its step waits 1 minute.",
            )
        if targets:
            steps.append({"delay_minutes": max(delay, 1), "targets": targets})
    if data.get("on_call_handoff_notifications") == "always":
        reading.note(
            label,
            "It notifies people at every on-call hand-off.",
            "Keel does not; people see their shifts in their calendar feed.",
        )
    return {
        "name": data["name"],
        "source": f"pagerduty:{data['id']}",
        "repeat": data.get("num_loops") or 0,
        "steps": steps,
    }
