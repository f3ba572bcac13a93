"""Calendar feeds (RFC 5545) built with `icalendar`: one event per final shift."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

import icalendar

from .services import ShiftOf

PRODID = "-//Keel//On-call schedules//EN"


def shift_uid(key: str, shift: ShiftOf) -> str:
    # Stable across fetches so calendar apps update events instead of duplicating them.
    raw = f"{key}|{shift.user.pk}|{shift.start.isoformat()}|{shift.end.isoformat()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32] + "@keel"


def build_calendar(
    title: str, key: str, items: Iterable[tuple[str, ShiftOf]], now: datetime
) -> bytes:
    """`items`: (schedule name, shift) pairs. Times are written in UTC; calendar apps show
    them in their own zone."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", title)
    for schedule_name, shift in items:
        event = icalendar.Event()
        event.add("uid", shift_uid(key, shift))
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", shift.start.astimezone(UTC))
        event.add("dtend", shift.end.astimezone(UTC))
        event.add("summary", f"On call: {shift.user.name} ({schedule_name})")
        event.add("description", f"{shift.user.email} is on call for {schedule_name}.")
        event.add("x-keel-user", shift.user.email)
        calendar.add_component(event)
    return calendar.to_ical()
