"""The fake Grafana OnCall's own final shifts, written from OnCall's documented semantics
and not from Keel's rotation code (that independence is the proof of an import).

From docs/sources/oncall-api-reference/on_call_shifts.md (grafana/oncall):
- `start` is "yyyy-MM-ddTHH:mm:ss" in the shift's `time_zone`, or the schedule's when
  null; events are wall-clock times in that zone (OnCall writes them as iCal events with
  a TZID, RFC 5545), so a 09:00 event is at 09:00 on both sides of a clock change;
- rolling_users: "Grafana OnCall will iterate over lists of users for every time frame
  specified in frequency": time frame k begins at start + k x interval x frequency and
  belongs to group (start_rotation_from_user_index + k) mod len(rolling_users); within
  it, an event of `duration` at its start, or, with by_day, one at the start's time on
  each of those days;
- recurrent_event: the same, with `users` in every frame; single_event and override:
  once, `duration` seconds of real time from `start`;
- level: "If two events overlap in one schedule, Grafana OnCall will choose the event
  with higher level"; overrides are above every level;
- final_shifts (schedules.md): who is on call, one entry a stretch, user_email and
  shift_start/shift_end in UTC ("Z"), for the days start_date to end_date.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

ICAL_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
FRAMES = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(weeks=1)}
OVERRIDE_LEVEL = 10**6

Event = tuple[datetime, datetime, int, list[str]]  # start, end (UTC), level, user ids


def instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in `zone` as UTC (the fixture's events never fall in the hour a
    clock change skips)."""
    return wall.replace(tzinfo=zone).astimezone(UTC)


def frame_start(first: datetime, frequency: str, k: int) -> datetime:
    if frequency == "monthly":
        month = first.month - 1 + k
        return first.replace(year=first.year + month // 12, month=month % 12 + 1)
    return first + k * FRAMES[frequency]


def shift_events(shift: dict, zone_name: str, start: datetime, end: datetime) -> list[Event]:
    zone = ZoneInfo(shift.get("time_zone") or zone_name)
    first = datetime.fromisoformat(shift["start"])
    duration = timedelta(seconds=shift["duration"])
    level = OVERRIDE_LEVEL if shift["type"] == "override" else shift.get("level") or 0
    if shift["type"] in ("override", "single_event"):
        users = shift.get("users") or []
        # one stretch of real time: OnCall keeps the start as an instant, the duration
        # as a timedelta
        return [(instant(first, zone), instant(first, zone) + duration, level, users)]
    groups = shift.get("rolling_users") or [shift.get("users") or []]
    offset = shift.get("start_rotation_from_user_index") or 0
    interval = shift.get("interval") or 1
    until = datetime.fromisoformat(shift["until"]) if shift.get("until") else None
    events: list[Event] = []
    k = 0
    while True:
        frame = frame_start(first, shift["frequency"], k * interval)
        next_frame = frame_start(first, shift["frequency"], (k + 1) * interval)
        if instant(frame, zone) >= end or (until and frame >= until):
            return events
        users = (
            groups[(offset + k) % len(groups)] if shift["type"] == "rolling_users" else groups[0]
        )
        if shift.get("by_day"):
            days = {ICAL_DAYS.index(d) for d in shift["by_day"]}
            day = frame
            while day < next_frame:
                if day.weekday() in days:
                    events.append((instant(day, zone), instant(day + duration, zone), level, users))
                day += timedelta(days=1)
        else:
            events.append((instant(frame, zone), instant(frame + duration, zone), level, users))
        k += 1


def final_shifts(
    schedule: dict, shifts: list[dict], users: dict[str, dict], start: datetime, end: datetime
) -> list[dict]:
    """OnCall's final_shifts results for [start, end): at each instant the users of the
    highest-level event (an override above all), stretches joined."""
    events = [
        e
        for shift in shifts
        for e in shift_events(shift, schedule.get("time_zone") or "UTC", start, end)
        if e[0] < end and e[1] > start
    ]
    cuts = sorted({start, end} | {t for e in events for t in e[:2] if start < t < end})
    results: list[dict] = []
    for a, b in pairwise(cuts):
        covering = [e for e in events if e[0] <= a and e[1] >= b]
        if not covering:
            continue
        top = max(e[2] for e in covering)
        on_call = next(e[3] for e in covering if e[2] == top)
        for user_id in on_call:
            last = next((r for r in results[::-1] if r["user_pk"] == user_id), None)
            if last and last["shift_end"] == a:
                last["shift_end"] = b
            else:
                results.append({"user_pk": user_id, "shift_start": a, "shift_end": b})
    return [
        {"user_pk": r["user_pk"], "user_email": users[r["user_pk"]]["email"],
         "user_username": users[r["user_pk"]]["username"],
         "shift_start": r["shift_start"].strftime("%Y-%m-%dT%H:%M:%SZ"),
         "shift_end": r["shift_end"].strftime("%Y-%m-%dT%H:%M:%SZ")}
        for r in sorted(results, key=lambda r: r["shift_start"])
    ]  # fmt: skip
