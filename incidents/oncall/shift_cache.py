"""Final shifts remembered a UTC day at a time in the shared cache (Redis), so a schedule at
the limits is computed once, not at every page view, feed refresh and API call.

A day's key is a digest of everything its shifts depend on: the zone, the layers (people,
rotations, restrictions) and the overrides that touch that day. Change any of them and the
key changes, so nothing is ever stale and nothing needs clearing. If the cache is down the
shifts are simply computed."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from redis.exceptions import RedisError

from . import rotation

DAY = timedelta(days=1)
KEEP = 2 * 24 * 3600  # seconds: today's and tomorrow's views reuse a day
log = logging.getLogger(__name__)


def day_span(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """[start, end) widened to whole UTC days."""
    first = start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    last = end.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return first, last if last == end else last + DAY


def _key(schedule: rotation.Schedule, layers: str, day: datetime) -> str:
    """`layers`: the digest of the zone and layers, the same for every day."""
    touching = tuple(o for o in schedule.overrides if o.start < day + DAY and o.end > day)
    raw = repr((layers, touching, day.isoformat()))
    return "oncall-day:" + hashlib.sha256(raw.encode()).hexdigest()


# Cached days hold (who, start, end) with times as whole microseconds since the epoch:
# unpickling 90 days of datetimes took longer than computing them.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _moment(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def _join(pieces: Sequence[rotation.Shift]) -> list[rotation.Shift]:
    joined: list[rotation.Shift] = []
    for piece in pieces:
        if joined and joined[-1].who == piece.who and joined[-1].end == piece.start:
            joined[-1] = rotation.Shift(piece.who, joined[-1].start, piece.end)
        else:
            joined.append(piece)
    return joined


def _by_day(found: Sequence[rotation.Shift], days: Sequence[datetime]) -> dict[datetime, list]:
    """Shifts cut at midnight UTC, as (who, start, end) tuples per day."""
    per_day: dict[datetime, list] = {day: [] for day in days}
    for shift in found:
        day = shift.start.replace(hour=0, minute=0, second=0, microsecond=0)
        while day < shift.end:
            s, e = max(shift.start, day), min(shift.end, day + DAY)
            if s < e and day in per_day:
                per_day[day].append((shift.who, _micros(s), _micros(e)))
            day += DAY
    return per_day


def shifts(schedule: rotation.Schedule, start: datetime, end: datetime) -> list[rotation.Shift]:
    """rotation.shifts(schedule, start, end), from the cache where it can. `schedule` must
    hold the overrides that touch day_span(start, end)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    first, last = day_span(start, end)
    days = [first + k * DAY for k in range((last - first) // DAY)]
    layers = hashlib.sha256(repr((schedule.time_zone, schedule.layers)).encode()).hexdigest()
    keys = {day: _key(schedule, layers, day) for day in days}
    try:
        cached = cache.get_many(list(keys.values()))
    except (RedisError, OSError) as problem:
        log.warning("on-call shift cache unavailable: %s", problem)
        cached = None
    if cached is None:
        return rotation.shifts(schedule, start, end)
    per_day = {day: cached[keys[day]] for day in days if keys[day] in cached}
    # Compute each run of missing days in one go (cheaper than a day at a time).
    computed: dict[datetime, list] = {}
    run: list[datetime] = []
    for day in [*days, None]:
        if day is not None and day not in per_day:
            run.append(day)
            continue
        if run:
            found = rotation.shifts(schedule, run[0], run[-1] + DAY)
            computed |= _by_day(found, run)
            run = []
    if computed:
        try:
            cache.set_many({keys[day]: value for day, value in computed.items()}, KEEP)
        except (RedisError, OSError) as problem:
            log.warning("on-call shift cache unavailable: %s", problem)
    per_day |= computed
    low, high = _micros(start), _micros(end)
    pieces = [
        rotation.Shift(who, _moment(max(s, low)), _moment(min(e, high)))
        for day in days
        for who, s, e in per_day[day]
        if s < high and e > low
    ]
    return _join(pieces)
