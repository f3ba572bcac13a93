"""The fake Opsgenie's own rendering of a schedule's final timeline, from its fixture.

Written from Opsgenie's published descriptions, not from Keel's rotation code (the
comparison after an import is only a proof if the two are computed independently):

- A rotation starts at its `startDate` (the hand-over time), and rotates every `length`
  hours / days / weeks through its `participants` "in the order they are given"
  (opsgenie-oas definitions/scheduleRotation.yaml). The rotation is computed in the
  schedule's `timezone`: a 09:00 hand-over stays at 09:00 on the wall clock when summer
  time starts ("Select the appropriate Time zone"; "Starting date and time ... becomes the
  handover time", support.atlassian.com/opsgenie/docs/manage-on-call-schedules-and-rotations).
  The optional `endDate` ends it. A participant of type `none` means nobody for that turn.
- `timeRestriction` limits when the rotation has anyone (common.yaml
  TimeRestrictionInterval): `time-of-day` is one daily window startHour:startMin to
  endHour:endMin (ending the next day when it ends before it starts);
  `weekday-and-time-of-day` is a list of weekly windows from startDay start to endDay end
  (wrapping over the week's end). Hand-overs are not moved by restrictions.
- Rotations are cumulative: "When an alert is escalated through the schedule, all on-call
  users in all the different rotations are notified" (same page), so each rotation keeps
  its own periods in `finalTimeline.rotations[]` and nobody is hidden.
- Overrides "take precedence over all Rotations", or only over the rotations they name
  (support.skcc.com "Setting Opsgenie On-call Schedules"): a rotation's periods inside an
  override become the override user's (period type "override").

The answer's shape is ScheduleTimeline / Timeline / TimelineRotation / TimelinePeriod /
TimelineRecipient of opsgenie-oas definitions/schedule.yaml.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
STEP = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(weeks=1)}

Piece = tuple[datetime, datetime, dict, str]  # start, end, recipient, period type


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def shown(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def on_wall(local: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in `zone` as a UTC instant (zoneinfo's fold=0 for a doubled hour)."""
    return local.replace(tzinfo=zone).astimezone(UTC)


def turns(rotation: dict, zone: ZoneInfo, start: datetime, end: datetime) -> list[Piece]:
    first = parse(rotation["startDate"]).astimezone(zone).replace(tzinfo=None)
    step = STEP[rotation["type"]] * rotation.get("length", 1)
    stop = min(end, parse(rotation["endDate"])) if rotation.get("endDate") else end
    people = rotation["participants"]
    found, k = [], 0
    while (begin := on_wall(first + k * step, zone)) < stop:
        finish = min(on_wall(first + (k + 1) * step, zone), stop)
        who = people[k % len(people)]
        if finish > start and who["type"] != "none":
            found.append((max(begin, start), finish, who, "default"))
        k += 1
    return found


def windows(restriction: dict | None, zone: ZoneInfo, start: datetime, end: datetime):
    """The rotation's allowed stretches overlapping [start, end), merged, in order."""
    if not restriction:
        return [(start, end)]
    first = start.astimezone(zone).date() - timedelta(days=8)
    last = end.astimezone(zone).date() + timedelta(days=1)
    found: list[tuple[datetime, datetime]] = []
    if restriction["type"] == "time-of-day":
        r = restriction["restriction"]
        day = first
        while day <= last:
            found.append(_window(day, day, r, zone, wrap=timedelta(days=1)))
            day += timedelta(days=1)
    else:
        monday = first - timedelta(days=first.weekday())
        while monday <= last:
            for r in restriction["restrictions"]:
                opens = monday + timedelta(days=WEEKDAYS.index(r["startDay"]))
                closes = monday + timedelta(days=WEEKDAYS.index(r["endDay"]))
                found.append(_window(opens, closes, r, zone, wrap=timedelta(weeks=1)))
            monday += timedelta(weeks=1)
    merged: list[list[datetime]] = []
    for s, e in sorted(found):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(max(s, start), min(e, end)) for s, e in merged if e > start and s < end]


def _window(opens: date, closes: date, r: dict, zone: ZoneInfo, *, wrap: timedelta):
    begin = datetime(opens.year, opens.month, opens.day, r["startHour"], r["startMin"])
    finish = datetime(closes.year, closes.month, closes.day, r["endHour"], r["endMin"])
    if finish <= begin:
        finish += wrap
    return on_wall(begin, zone), on_wall(finish, zone)


def restricted(pieces: list[Piece], allowed) -> list[Piece]:
    kept = []
    for s, e, who, kind in pieces:
        for ws, we in allowed:
            if max(s, ws) < min(e, we):
                kept.append((max(s, ws), min(e, we), who, kind))
    return kept


def overridden(pieces: list[Piece], override: dict) -> list[Piece]:
    o_start, o_end = parse(override["startDate"]), parse(override["endDate"])
    result = []
    for s, e, who, kind in pieces:
        if e <= o_start or s >= o_end:
            result.append((s, e, who, kind))
            continue
        if s < o_start:
            result.append((s, o_start, who, kind))
        result.append((max(s, o_start), min(e, o_end), override["user"], "override"))
        if e > o_end:
            result.append((o_end, e, who, kind))
    return result


def joined(pieces: list[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for piece in sorted(pieces, key=lambda p: p[0]):
        if out and out[-1][1] == piece[0] and out[-1][2] == piece[2] and out[-1][3] == piece[3]:
            out[-1] = (out[-1][0], piece[1], piece[2], piece[3])
        else:
            out.append(piece)
    return out


def recipient(who: dict) -> dict:
    name = who.get("username") or who.get("name", "")
    return {"id": who.get("id", ""), "type": who["type"], "name": name}


def timeline(schedule: dict, overrides: list[dict], start: datetime, end: datetime) -> dict:
    zone = ZoneInfo(schedule["timezone"])
    rotations = []
    for order, rotation in enumerate(schedule["rotations"], start=1):
        pieces = restricted(
            turns(rotation, zone, start, end),
            windows(rotation.get("timeRestriction"), zone, start, end),
        )
        for override in overrides:
            named = {r.get("id") or r.get("name") for r in override.get("rotations") or []}
            if not named or rotation["id"] in named or rotation["name"] in named:
                pieces = overridden(pieces, override)
        periods = [
            {"startDate": shown(s), "endDate": shown(e), "type": kind, "recipient": recipient(who)}
            for s, e, who, kind in joined(pieces)
        ]
        rotations.append(
            {"id": rotation["id"], "name": rotation["name"], "order": float(order),
             "periods": periods}
        )  # fmt: skip
    return {
        "_parent": {"id": schedule["id"], "name": schedule["name"], "enabled": True},
        "startDate": shown(start),
        "endDate": shown(end),
        "finalTimeline": {"rotations": rotations},
    }
