"""Turning Opsgenie's objects into the configuration document's parts (see opsgenie.py for
what maps how). Shapes are those of the Opsgenie OpenAPI document (github.com/opsgenie/
opsgenie-oas, definitions/*.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from itertools import combinations, pairwise
from zoneinfo import ZoneInfo

from ..client import SourceClient
from . import common
from .common import DAY, DAY_NAMES, WEEK, clock
from .common import restrictions as weekly_restrictions

UNITS = {"hourly": "hours", "daily": "days", "weekly": "weeks"}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MINUTES = {"minutes": 1, "hours": 60, "days": 24 * 60}
# Opsgenie integration types Keel has its own receiver for; the rest get the generic hook.
KINDS = {"Prometheus": "alertmanager", "Grafana": "grafana"}


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Reading(common.Reading):
    """What is known while reading one account: users by id (Opsgenie's username is the
    email), escalation names, and the notes so far."""

    def __init__(self, users: list[dict]) -> None:
        super().__init__({u["id"]: u["username"] for u in users})
        self.escalation_names: dict[str, str] = {}
        self.teams: list[dict] = []  # the document's teams, once read

    def email_of(self, recipient: dict) -> str | None:
        """The email of a user recipient (by id, or its username); None for anything else."""
        if recipient.get("type", "user") != "user":
            return None
        email = self.emails.get(recipient.get("id", "")) or recipient.get("username") or ""
        return email.strip().lower() or None


def restrictions(restriction: dict | None) -> list[dict]:
    """Opsgenie's time restriction as Keel's: a daily window for every day, or each weekly
    window (which may span days and wrap over the week's end) cut into days."""
    if not restriction:
        return []
    if restriction["type"] == "time-of-day":
        r = restriction["restriction"]
        start, end = r["startHour"] * 60 + r["startMin"], r["endHour"] * 60 + r["endMin"]
        if start == end:  # a window as long as the day: always
            return [{"days": list(DAY_NAMES), "start": "00:00", "end": "24:00"}]
        return [{"days": list(DAY_NAMES), "start": clock(start), "end": clock(end)}]
    windows = []
    for r in restriction.get("restrictions") or []:
        start = WEEKDAYS.index(r["startDay"]) * DAY + r["startHour"] * 60 + r["startMin"]
        end = WEEKDAYS.index(r["endDay"]) * DAY + r["endHour"] * 60 + r["endMin"]
        windows.append((start, end + WEEK if end <= start else end))
    return weekly_restrictions(windows)


def layer(
    rotation: dict, schedule: dict, label: str, reading: Reading, now: datetime
) -> dict | None:
    where = f"{label} rotation {rotation.get('name') or rotation['id']}"
    if rotation.get("endDate") and parse(rotation["endDate"]) <= now:
        reading.note(where, "It has ended.", "Not imported.")
        return None
    if rotation.get("endDate"):
        reading.note(
            where,
            f"It ends at {rotation['endDate']}; Keel's layers have no end date.",
            "The layer keeps rotating: remove it in Keel when the rotation should end.",
        )
    people = []
    for participant in rotation.get("participants") or []:
        email = reading.email_of(participant)
        if email:
            people.append(email)
        else:
            kind = participant.get("type")
            who = participant.get("name") or participant.get("id") or kind
            reading.note(
                where,
                f"A turn goes to {'nobody' if kind == 'none' else f'the {kind} {who}'}; "
                "Keel's turns are people.",
                "That turn is left out, so the others' turns come round sooner.",
            )
    if not people:
        reading.note(where, "Nobody in it is a person.", "Not imported.")
        return None
    zone = ZoneInfo(schedule.get("timezone") or "UTC")
    first = parse(rotation["startDate"]).astimezone(zone)
    found = {
        "name": rotation.get("name") or "",
        "participants": people,
        "shift_length": rotation.get("length") or 1,
        "shift_unit": UNITS[rotation["type"]],
        "handoff_time": first.strftime("%H:%M"),
        "start_date": first.date().isoformat(),
    }
    if rotation.get("timeRestriction"):
        found["restrictions"] = restrictions(rotation["timeRestriction"])
    return found


def rotations_overlap(data: dict) -> tuple[str, str, datetime] | None:
    """The first two rotations of a timeline (ScheduleTimeline) on call at the same time
    with different people, and from when; None when they never are."""
    rotations = data.get("finalTimeline", {}).get("rotations") or []
    first: tuple[datetime, str, str] | None = None
    for one, other in combinations(rotations, 2):
        for a in one.get("periods") or []:
            for b in other.get("periods") or []:
                if (a.get("recipient") or {}).get("id") == (b.get("recipient") or {}).get("id"):
                    continue
                start = max(parse(a["startDate"]), parse(b["startDate"]))
                overlapping = start < min(parse(a["endDate"]), parse(b["endDate"]))
                if overlapping and (first is None or start < first[0]):
                    first = (start, one["name"], other["name"])
    return (first[1], first[2], first[0]) if first else None


def minutes_of(duration: dict) -> int | None:
    """A Duration in whole minutes; None for units finer than a minute."""
    unit = duration.get("timeUnit", "minutes")
    return duration["timeAmount"] * MINUTES[unit] if unit in MINUTES else None


def escalation_target(rule: dict, team: dict, reading: Reading, where: str) -> dict | None:
    recipient = rule["recipient"]
    kind = recipient.get("type")
    notify = rule.get("notifyType", "default")
    if kind == "user":
        return {"user": email} if (email := reading.email_of(recipient)) else None
    if kind == "schedule":
        owner, name = reading.schedule_team.get(recipient.get("id", ""), (None, None))
        if owner is not team:
            reading.note(
                where,
                f"It notifies schedule {recipient.get('name')}, which is not a schedule of "
                f"team {team['name']} in Keel.",
                "That target is left out.",
            )
            return None
        if notify != "default":
            reading.note(
                where,
                f"It notifies the {notify} on-call of schedule {name}.",
                "Keel pages who is on call now.",
            )
        return {"schedule": name}
    if kind == "team":
        reading.note(
            where,
            f"It hands the alert to team {recipient.get('name')} ({notify}), which Opsgenie "
            "routes through that team's own rules.",
            "Keel pages every responder and admin of the team.",
        )
        other = recipient.get("name") or ""
        return {"team": next((t["slug"] for t in reading.teams if t["name"] == other), other)}
    reading.note(where, f"It notifies a {kind}, which Keel cannot page.", "Left out.")
    return None


def escalation_policy(escalation: dict, team: dict, reading: Reading) -> dict:
    label = f"escalation {escalation['name']} ({team['slug']})"
    rules = []
    for number, rule in enumerate(escalation.get("rules") or [], start=1):
        where = f"{label} rule {number}"
        delay = minutes_of(rule.get("delay") or {"timeAmount": 0})
        if delay is None:
            reading.note(where, "Its delay is finer than a minute.", "Keel waits whole minutes.")
            delay = 0
        if rule.get("condition") == "if-not-closed":
            reading.note(
                where,
                "It notifies until the alert is closed.",
                "Keel stops escalating once the incident is acknowledged.",
            )
        target = escalation_target(rule, team, reading, where)
        if target:
            rules.append((delay, target))
    rules.sort(key=lambda rule: rule[0])
    steps: list[tuple[int, list[dict]]] = []
    for delay, target in rules:
        if steps and steps[-1][0] == delay:
            if target not in steps[-1][1]:
                steps[-1][1].append(target)
        else:
            steps.append((delay, [target]))
    if steps and steps[0][0] > 0:
        reading.note(
            label,
            f"Its first rule waits {steps[0][0]} minutes after the alert.",
            "Keel's first step pages at once.",
        )
    repeat = escalation.get("repeat") or {}
    count = repeat.get("count") or 0
    wait = repeat.get("waitInterval") or 0
    if count > 10:
        reading.note(label, f"It repeats {count} times.", "Keel repeats at most 10 times.")
        count = 10
    if count and wait < 1:
        reading.note(label, "It repeats at once.", "Keel waits one minute before repeating.")
    if repeat.get("closeAlertAfterAll"):
        reading.note(
            label,
            "It closes the alert after the last repeat.",
            "Keel leaves the incident open.",
        )
    delays = [later - earlier for (earlier, _), (later, _) in pairwise(steps)]
    delays.append(max(wait, 1))
    return {
        "name": escalation["name"],
        "source": f"opsgenie:{escalation['id']}",
        "repeat": count,
        "steps": [
            {"delay_minutes": delay, "targets": targets}
            for delay, (_, targets) in zip(delays, steps, strict=True)
        ],
    }


def default_policy(rules: list[dict], team: dict, reading: Reading) -> str | None:
    """The policy of the team's default routing rule (where Opsgenie sends an alert no
    other rule takes); the others are noted."""
    label = f"team {team['name']} routing rules"
    for rule in rules:
        if not rule.get("isDefault"):
            reading.note(
                f"{label}: {rule.get('name')}",
                "Keel sends every alert of a service to one escalation policy.",
                "The default routing rule's escalation is used for all of them.",
            )
    default = next((r for r in rules if r.get("isDefault")), rules[-1] if rules else None)
    notify = (default or {}).get("notify") or {}
    if notify.get("type") == "escalation":
        return reading.escalation_names.get(notify.get("id", ""), notify.get("name"))
    reading.note(
        label,
        f"The default routing rule notifies {notify.get('type', 'nobody')}, not an escalation.",
        "The team's services have no escalation policy: choose one in Keel.",
    )
    return None


Fetch = Callable[..., dict]


def services_of(
    client: SourceClient, fetch: Fetch, teams: dict[str, dict], reading: Reading, now: datetime
) -> None:
    """One service per team integration, with its maintenance still to end."""
    services: dict[str, dict] = {}
    policies: dict[str, str | None] = {}
    for integration in fetch(client, "v2/integrations")["data"]:
        team = teams.get(integration.get("teamId") or "")
        label = f"integration {integration['name']}"
        if team is None:
            reading.note(
                label,
                "It belongs to no team, and every Keel service belongs to one.",
                "Not imported.",
            )
            continue
        if integration["teamId"] not in policies:
            rules = fetch(client, f"v2/teams/{integration['teamId']}/routing-rules")["data"]
            policies[integration["teamId"]] = default_policy(rules, team, reading)
        kind = KINDS.get(integration.get("type", ""), "generic")
        if kind == "generic":
            reading.note(
                label,
                f"Keel has no receiver for Opsgenie's {integration.get('type')} integration.",
                "A generic JSON integration: point the sender at its URL and key.",
            )
        name = reading.service_name(integration["name"], label, "integration")
        service = {
            "name": name,
            "source": f"opsgenie:{integration['id']}",
            "description": f"Imported from the Opsgenie {integration.get('type')} integration.",
            "escalation_policy": policies[integration["teamId"]],
            "integrations": [
                {"kind": kind, "name": integration["name"],
                 "source": f"opsgenie:{integration['id']}:integration",
                 "enabled": bool(integration.get("enabled", True))}
            ],
            "maintenance": [],
        }  # fmt: skip
        team["services"].append(service)
        services[integration["id"]] = service
    for listed in fetch(client, "v2/maintenance", {"type": "non-expired"})["data"]:
        maintenance = fetch(client, f"v2/maintenance/{listed['id']}")["data"]
        label = f"maintenance {maintenance.get('description') or maintenance['id']}"
        time = maintenance.get("time") or {}
        if maintenance.get("status") == "cancelled":
            continue
        if time.get("type") != "schedule" or not time.get("endDate"):
            reading.note(label, f"It lasts {time.get('type')}.", "Not imported: add it in Keel.")
            continue
        if parse(time["endDate"]) <= now:
            continue
        for rule in maintenance.get("rules") or []:
            entity = rule.get("entity") or {}
            if rule.get("state") == "disabled":
                continue
            if entity.get("type") != "integration" or entity.get("id") not in services:
                reading.note(
                    label,
                    f"It covers a {entity.get('type')} Keel has no service for.",
                    "That part is left out.",
                )
                continue
            services[entity["id"]]["maintenance"].append(
                {"start": time.get("startDate") or now.isoformat(), "end": time["endDate"],
                 "reason": maintenance.get("description") or ""}
            )  # fmt: skip
