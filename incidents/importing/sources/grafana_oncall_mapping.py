"""Turning Grafana OnCall's objects into the configuration document's parts (see
grafana_oncall.py for what maps how). Shapes are those of OnCall's public API
(grafana/oncall docs/sources/oncall-api-reference/*.md and
engine/apps/public_api/serializers/*.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from .common import DAY, WEEK, Reading, restrictions

ICAL_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
# frequency -> (Keel's unit, minutes in one)
UNITS = {"hourly": ("hours", 60), "daily": ("days", DAY), "weekly": ("weeks", WEEK)}
# OnCall's organisation roles (public API users `role`: admin, editor, viewer, none) as a
# team role in Keel.
ROLES = {"admin": "admin", "editor": "responder", "viewer": "viewer", "none": "viewer"}
# Integration types Keel has its own receiver for; the rest get the generic hook.
KINDS = {"alertmanager": "alertmanager", "grafana": "grafana", "grafana_alerting": "grafana"}
# OnCall repeats a chain at most this many times ("Repeat escalation from the beginning
# (5 times max)" in its escalation step list).
ONCALL_REPEATS = 5


def local(value: str, zone: ZoneInfo) -> datetime:
    """OnCall's naive "yyyy-MM-ddTHH:mm:ss" in the shift's zone, as an aware datetime."""
    return datetime.fromisoformat(value).replace(tzinfo=zone)


def override_end(shift: dict, zone: ZoneInfo) -> datetime:
    """An override lasts `duration` seconds of real time (OnCall keeps its start as an
    instant and the duration as a timedelta), also across a clock change."""
    start = local(shift["start"], zone).astimezone(UTC)
    return (start + timedelta(seconds=shift.get("duration") or 0)).astimezone(zone)


def participants(shift: dict, reading: Reading, where: str) -> list[str]:
    """The people in turn: the first of each rolling_users group, from
    start_rotation_from_user_index on (recurrent events: their users, as one group)."""
    groups = shift.get("rolling_users") or [shift.get("users") or []]
    if shift["type"] == "rolling_users":
        first = (shift.get("start_rotation_from_user_index") or 0) % max(len(groups), 1)
        groups = groups[first:] + groups[:first]
    people = []
    for group in groups:
        emails = [e for user_id in group if (e := reading.email(user_id))]
        if len(emails) > 1:
            reading.note(
                where,
                f"{', '.join(emails)} are on call together in one turn; Keel has one person "
                "on call at a time in a schedule.",
                f"{emails[0]} takes that turn.",
            )
        if emails:
            people.append(emails[0])
    return people


def windows_of(shift: dict, start: datetime, period: int, where: str, reading: Reading):
    """The shift's on-call windows within a week (minutes from Monday 00:00), or None when
    it covers its whole period (no restriction)."""
    duration = (shift.get("duration") or 0) // 60
    by_day = shift.get("by_day") or []
    at = start.weekday() * DAY + start.hour * 60 + start.minute
    if shift["frequency"] == "weekly" and by_day:
        days = sorted(ICAL_DAYS.index(d) for d in by_day)
        return [(d * DAY + at % DAY, d * DAY + at % DAY + duration) for d in days]
    if shift["frequency"] == "daily" and (by_day or duration < DAY):
        days = sorted(ICAL_DAYS.index(d) for d in by_day) if by_day else range(7)
        if period > DAY:
            reading.note(
                where,
                f"It is on call {duration} minutes every {period // DAY} days.",
                "Keel's restriction repeats every day it names: the layer is on call those "
                "hours every day.",
            )
        return [(d * DAY + at % DAY, d * DAY + at % DAY + min(duration, DAY)) for d in days]
    if duration >= period:
        return None
    if shift["frequency"] == "weekly" and period == WEEK:
        return [(at, at + duration)]
    reading.note(
        where,
        f"Each turn is on call only {duration} minutes of its {period} minutes.",
        "Keel's layer is on call for the whole turn.",
    )
    return None


def layer(shift: dict, zone_name: str, label: str, reading: Reading, now: datetime):
    """A rolling_users or recurrent_event shift as a Keel layer; None (noted) when it
    cannot be one."""
    where = f"{label} rotation {shift.get('name') or shift['id']}"
    zone = ZoneInfo(shift.get("time_zone") or zone_name)
    if shift.get("until") and local(shift["until"], zone) <= now:
        reading.note(where, "It has ended.", "Not imported.")
        return None
    if shift.get("until"):
        reading.note(
            where,
            f"It ends at {shift['until']}; Keel's layers have no end date.",
            "The layer keeps rotating: remove it in Keel when the rotation should end.",
        )
    if shift["type"] == "recurrent_event":
        reading.note(
            where,
            "A recurrent event puts the same people on call each time.",
            "Imported as a layer with its hours, whose one turn never hands over.",
        )
    people = participants(shift, reading, where)
    if not people:
        reading.note(where, "Nobody in it is a person Keel knows.", "Not imported.")
        return None
    if shift.get("time_zone") and shift["time_zone"] != zone_name:
        reading.note(
            where,
            f"Its times are in {shift['time_zone']}, the schedule's in {zone_name}.",
            "Imported in the schedule's time zone at the same instant it starts.",
        )
    start = local(shift["start"], zone).astimezone(ZoneInfo(zone_name))
    begins = local(shift.get("rotation_start") or shift["start"], zone)
    if begins > max(start, now):
        reading.note(
            where,
            f"Its rotation starts at {shift['rotation_start']}, after its first turn.",
            "Keel's layer is on call from its first turn.",
        )
    interval = shift.get("interval") or 1
    if shift["frequency"] == "monthly":
        reading.note(
            where,
            f"It hands over every {interval} month(s); Keel's turns are hours, days or weeks.",
            f"Imported as turns of {4 * interval} weeks.",
        )
        unit, length, period = "weeks", 4 * interval, 4 * interval * WEEK
    else:
        unit, minutes = UNITS[shift["frequency"]]
        length, period = interval, interval * minutes
    if shift.get("by_day") and shift.get("week_start", "MO") != ICAL_DAYS[start.weekday()]:
        reading.note(
            where,
            f"Its week starts on {shift.get('week_start')} but its first turn on "
            f"{ICAL_DAYS[start.weekday()]}.",
            "Keel hands over on the first turn's day.",
        )
    found = {
        "name": shift.get("name") or "",
        "participants": people,
        "shift_length": length,
        "shift_unit": unit,
        "handoff_time": start.strftime("%H:%M"),
        "start_date": start.date().isoformat(),
    }
    windows = windows_of(shift, start, period, where, reading)
    if windows is not None:
        found["restrictions"] = restrictions(windows)
    return found


def override(shift: dict, zone_name: str, label: str, reading: Reading) -> dict | None:
    """An override (or a single event) as a Keel override, in instants with offsets."""
    where = f"{label} override {shift.get('name') or shift['id']}"
    zone = ZoneInfo(shift.get("time_zone") or zone_name)
    start = local(shift["start"], zone)
    end = override_end(shift, zone)
    users = shift.get("users") or [u for group in shift.get("rolling_users") or [] for u in group]
    emails = [e for user_id in users if (e := reading.email(user_id))]
    if not emails:
        reading.note(where, "It gives the time to nobody Keel knows.", "Left out.")
        return None
    if len(emails) > 1:
        reading.note(
            where,
            f"It puts {', '.join(emails)} on call together.",
            f"{emails[0]} takes it.",
        )
    return {"user": emails[0], "start": start.isoformat(), "end": end.isoformat()}


def escalation_target(step: dict, team: dict, reading: Reading, where: str) -> list[dict]:
    kind = step["type"]
    if kind in ("notify_persons", "notify_person_next_each_time"):
        ids = step.get("persons_to_notify") or step.get("persons_to_notify_next_each_time") or []
        if kind == "notify_person_next_each_time":
            reading.note(
                where,
                "It notifies the next of its people each time it runs.",
                "Keel pages all of them each time.",
            )
        return [{"user": e} for user_id in ids if (e := reading.email(user_id))]
    if kind == "notify_on_call_from_schedule":
        owner, name = reading.schedule_team.get(
            step.get("notify_on_call_from_schedule") or "", (None, None)
        )
        if owner is not team:
            reading.note(
                where,
                "It notifies a schedule that is not one of this team's schedules in Keel.",
                "That target is left out.",
            )
            return []
        return [{"schedule": name}]
    if kind == "notify_team_members":
        slug = reading.team_slugs.get(step.get("team_to_notify") or "")
        if slug is None:
            reading.note(where, "It notifies a team Keel did not import.", "Left out.")
            return []
        return [{"team": slug}]
    reading.note(where, f"A {kind} step has no match in Keel's policies.", "Left out.")
    return []


def escalation_policy(chain: dict, steps: list[dict], team: dict, reading: Reading) -> dict:
    """An escalation chain's steps (by position) as a Keel policy: the notify steps
    between two waits are one Keel step, and the waits after it are its delay."""
    label = f"escalation chain {chain['name']} ({team['slug']})"
    found: list[dict] = []
    waited, repeats = 0, 0
    for step in sorted(steps, key=lambda s: s.get("position", 0)):
        where = f"{label} step {step.get('position', 0) + 1}"
        if step["type"] == "wait":
            waited += (step.get("duration") or 0) // 60
            continue
        if step["type"] == "repeat_escalation":
            repeats = ONCALL_REPEATS
            break  # OnCall starts again from the top here; later steps never run
        targets = escalation_target(step, team, reading, where)
        if not targets:
            continue
        if not found and waited:
            reading.note(
                label,
                f"It waits {waited} minutes before notifying anyone.",
                "Keel's first step pages at once.",
            )
        elif found and not waited:
            found[-1]["targets"].extend(t for t in targets if t not in found[-1]["targets"])
            continue
        elif found:
            found[-1]["delay_minutes"] = waited
        found.append({"delay_minutes": 0, "targets": targets})
        waited = 0
    if found:
        found[-1]["delay_minutes"] = max(waited, 1)
    if repeats:
        reading.note(
            label,
            f"It repeats from the beginning (OnCall does so up to {ONCALL_REPEATS} times), "
            f"{'right after the last step' if not waited else f'{waited} minutes after it'}.",
            f"Keel repeats it {ONCALL_REPEATS} times, waiting {max(waited, 1)} minute(s) "
            "after the last step.",
        )
    return {
        "name": chain["name"],
        "source": f"grafana-oncall:{chain['id']}",
        "repeat": repeats,
        "steps": found,
    }
