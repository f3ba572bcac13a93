"""The fake PagerDuty's own final schedule, written from PagerDuty's documented semantics
and not from Keel's rotation code (that independence is the proof of an import).

From PagerDuty's REST API v2 reference (PagerDuty/api-schema, reference/REST/
openapiv3.json, ScheduleLayer) and its schedule guides:
- a layer's turn k begins at rotation_virtual_start + k x rotation_turn_length_seconds and
  belongs to users[k mod n]; turns of whole days (and weeks) hand over at the same wall
  clock time in the schedule's time zone on both sides of a clock change, as PagerDuty's
  daily and weekly rotations do;
- a layer counts from its `start` until its `end` (none: for ever);
- restrictions limit when the layer is on call: a daily_restriction every day from
  start_time_of_day for duration_seconds, a weekly_restriction from start_day_of_week
  (1 = Monday ... 7 = Sunday) at start_time_of_day for duration_seconds; outside them
  the layer has nobody and the layers below show through;
- higher layers override lower ones; GET /schedules/{id} lists the top layer first
  (PagerDuty's public-support-scripts "Schedule Layer Reorganizer": "GET requests for
  schedules show schedule layers in reverse order to PUT and POST requests");
- overrides are above every layer;
- final_schedule.rendered_schedule_entries: one entry a stretch of one person.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

DAY_SECONDS = 86400


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def handoffs(layer: dict, zone: ZoneInfo, until: datetime) -> list[tuple[datetime, str]]:
    """(instant, user id) of every turn from the virtual start until `until`."""
    anchor = parse(layer["rotation_virtual_start"]).astimezone(zone)
    length = layer["rotation_turn_length_seconds"]
    users = [u["user"]["id"] for u in layer["users"]]
    turns, k = [], 0
    while True:
        if length % DAY_SECONDS == 0:  # wall clock: calendar days in the zone
            wall = anchor.replace(tzinfo=None) + timedelta(days=k * length // DAY_SECONDS)
            at = wall.replace(tzinfo=zone).astimezone(UTC)
        else:
            at = anchor.astimezone(UTC) + timedelta(seconds=k * length)
        if at >= until:
            return turns
        turns.append((at, users[k % len(users)]))
        k += 1


def windows(layer: dict, zone: ZoneInfo, since: datetime, until: datetime):
    """The restriction windows (UTC) overlapping [since, until), or None: no restriction."""
    if not layer.get("restrictions"):
        return None
    found = []
    day = since.astimezone(zone).date() - timedelta(days=8)
    while day <= until.astimezone(zone).date():
        for r in layer["restrictions"]:
            if r["type"] == "weekly_restriction" and day.isoweekday() != r["start_day_of_week"]:
                continue
            hours, minutes, seconds = (int(p) for p in r["start_time_of_day"].split(":"))
            wall = datetime(day.year, day.month, day.day, hours, minutes, seconds)
            start = wall.replace(tzinfo=zone).astimezone(UTC)
            end = (wall + timedelta(seconds=r["duration_seconds"])).replace(tzinfo=zone)
            found.append((start, end.astimezone(UTC)))
        day += timedelta(days=1)
    return found


def final_schedule(
    schedule: dict, overrides: list[dict], since: datetime, until: datetime
) -> list[dict]:
    """rendered_schedule_entries for [since, until), times in UTC."""
    zone = ZoneInfo(schedule["time_zone"])
    layers = []
    for layer in reversed(schedule["schedule_layers"]):  # bottom first
        start = parse(layer["start"])
        end = parse(layer["end"]) if layer.get("end") else until
        layers.append(
            (start, end, handoffs(layer, zone, until), windows(layer, zone, since, until))
        )
    cuts = {since, until}
    for start, end, turns, allowed in layers:
        cuts |= {start, end} | {at for at, _ in turns}
        cuts |= {t for window in allowed or [] for t in window}
    for override in overrides:
        cuts |= {parse(override["start"]), parse(override["end"])}
    points = sorted({t.astimezone(UTC) for t in cuts if since <= t <= until})

    def who(at: datetime) -> str | None:
        for override in reversed(overrides):
            if parse(override["start"]) <= at < parse(override["end"]):
                return override["user"]["id"]
        for start, end, turns, allowed in reversed(layers):  # top first
            if not start <= at < end:
                continue
            if allowed is not None and not any(a <= at < b for a, b in allowed):
                continue
            current = [user for begins, user in turns if begins <= at]
            if current:
                return current[-1]
        return None

    entries: list[dict] = []
    for begin, finish in pairwise(points):
        if begin == finish or (user := who(begin)) is None:
            continue
        if entries and entries[-1]["user"]["id"] == user and entries[-1]["_end"] == begin:
            entries[-1]["_end"] = finish
            continue
        entries.append({"_start": begin, "_end": finish, "user": {"id": user}})
    return [
        {"start": e["_start"].strftime("%Y-%m-%dT%H:%M:%SZ"),
         "end": e["_end"].strftime("%Y-%m-%dT%H:%M:%SZ"),
         "user": {"id": e["user"]["id"], "type": "user_reference"}}
        for e in entries
    ]  # fmt: skip
