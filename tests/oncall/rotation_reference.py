"""The first, plain rotation.py algorithm (as of the v1 schedules), kept as the slow
reference the fast path is checked against: every handoff converted by asking zoneinfo,
restriction windows intersected with every piece, and each elementary segment looked up
layer by layer. Too slow for big schedules, obviously right for small ones."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Hashable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from incidents.oncall.rotation import Layer, Restriction, RotationError, Schedule, Shift


def to_instant(naive: datetime, zone: ZoneInfo) -> datetime:
    """The instant (UTC) of a local wall-clock time: the first occurrence of a time that
    exists twice, the first valid instant after a time that does not exist."""
    first = naive.replace(tzinfo=zone, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        return instant
    # In a gap: fold=1 reads it with the offset after the jump (an earlier instant), fold=0
    # with the offset before it (a later one). The jump lies between; find it to the second.
    low = int(naive.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    high = int(instant.timestamp())
    offset_after = instant.astimezone(zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _period(layer: Layer) -> timedelta:
    if layer.shift_unit == "hours":
        return timedelta(hours=layer.shift_length)
    if layer.shift_unit == "days":
        return timedelta(days=layer.shift_length)
    return timedelta(weeks=layer.shift_length)


def _handoff(layer: Layer, zone: ZoneInfo, k: int) -> datetime:
    first = datetime.combine(layer.start_date, layer.handoff_time)
    return to_instant(first + k * _period(layer), zone)


def _slot_at(layer: Layer, zone: ZoneInfo, at: datetime) -> int | None:
    """The index k of the handoff that began the shift containing `at`, None before the
    first handoff."""
    first = datetime.combine(layer.start_date, layer.handoff_time)
    local = at.astimezone(zone).replace(tzinfo=None)
    k = (local - first) // _period(layer)
    while k >= 0 and _handoff(layer, zone, k) > at:
        k -= 1
    while _handoff(layer, zone, k + 1) <= at:
        k += 1
    return k if k >= 0 and _handoff(layer, zone, k) <= at else None


def _windows(restriction: Restriction, zone: ZoneInfo, day: date) -> tuple[datetime, datetime]:
    start = to_instant(datetime.combine(day, restriction.start), zone)
    if restriction.end is None:
        end_local = datetime.combine(day + timedelta(days=1), time(0))
    elif restriction.end > restriction.start:
        end_local = datetime.combine(day, restriction.end)
    else:
        end_local = datetime.combine(day + timedelta(days=1), restriction.end)
    return start, to_instant(end_local, zone)


def _allowed(layer: Layer, zone: ZoneInfo, start: datetime, end: datetime):
    """The union of the layer's restriction windows overlapping [start, end), merged."""
    first = start.astimezone(zone).date() - timedelta(days=2)
    last = end.astimezone(zone).date() + timedelta(days=1)
    windows = []
    day = first
    while day <= last:
        for restriction in layer.restrictions:
            if day.weekday() in restriction.days:
                s, e = _windows(restriction, zone, day)
                if s < e and e > start and s < end:
                    windows.append((max(s, start), min(e, end)))
        day += timedelta(days=1)
    windows.sort()
    merged: list[list[datetime]] = []
    for s, e in windows:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def _is_allowed_at(layer: Layer, zone: ZoneInfo, at: datetime) -> bool:
    if not layer.restrictions:
        return True
    today = at.astimezone(zone).date()
    for day in (today - timedelta(days=1), today):
        for restriction in layer.restrictions:
            if day.weekday() in restriction.days:
                s, e = _windows(restriction, zone, day)
                if s <= at < e:
                    return True
    return False


def layer_shifts(layer: Layer, zone: ZoneInfo, start: datetime, end: datetime) -> list[Shift]:
    """The layer's own shifts within [start, end), restrictions applied, in order."""
    if not layer.participants or start >= end:
        return []
    k = _slot_at(layer, zone, start)
    k = 0 if k is None else k
    pieces: list[Shift] = []
    begin = _handoff(layer, zone, k)
    while begin < end:
        finish = _handoff(layer, zone, k + 1)
        s, e = max(begin, start), min(finish, end)
        if s < e:
            pieces.append(Shift(layer.participants[k % len(layer.participants)], s, e))
        k, begin = k + 1, finish
    if not layer.restrictions:
        return pieces
    restricted = []
    for window_start, window_end in _allowed(layer, zone, start, end):
        for piece in pieces:
            s, e = max(piece.start, window_start), min(piece.end, window_end)
            if s < e:
                restricted.append(Shift(piece.who, s, e))
    restricted.sort(key=lambda piece: piece.start)
    return restricted


def layer_on_call(layer: Layer, zone: ZoneInfo, at: datetime) -> Hashable | None:
    if not layer.participants or not _is_allowed_at(layer, zone, at):
        return None
    k = _slot_at(layer, zone, at)
    return None if k is None else layer.participants[k % len(layer.participants)]


def _check_aware(*instants: datetime) -> None:
    for instant in instants:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise RotationError("at", "Times must carry a UTC offset or a zone.")


def who_is_on_call(schedule: Schedule, at: datetime) -> Hashable | None:
    """The one person on call at `at`, or None when nobody is."""
    _check_aware(at)
    at = at.astimezone(UTC)
    for override in reversed(schedule.overrides):
        if override.start <= at < override.end:
            return override.who
    for layer in reversed(schedule.layers):
        who = layer_on_call(layer, schedule.zone, at)
        if who is not None:
            return who
    return None


def _covering(pieces: Sequence[Shift], starts: Sequence[datetime], at: datetime):
    i = bisect.bisect_right(starts, at) - 1
    if i >= 0 and pieces[i].start <= at < pieces[i].end:
        return pieces[i].who
    return None


def _segments(schedule: Schedule, start: datetime, end: datetime) -> Iterator[Shift]:
    """Elementary pieces between consecutive boundaries, each with its one person."""
    overrides = [
        o for o in schedule.overrides if o.start < end and o.end > start and o.start < o.end
    ]
    layers = [layer_shifts(layer, schedule.zone, start, end) for layer in schedule.layers]
    bounds = {start, end}
    for pieces in layers:
        for piece in pieces:
            bounds.update((piece.start, piece.end))
    for override in overrides:
        bounds.update((max(override.start, start), min(override.end, end)))
    ordered = sorted(bounds)
    starts = [[piece.start for piece in pieces] for pieces in layers]
    for s, e in itertools.pairwise(ordered):
        who = None
        for override in reversed(overrides):
            if override.start <= s < override.end:
                who = override.who
                break
        if who is None:
            for pieces, piece_starts in zip(reversed(layers), reversed(starts), strict=True):
                who = _covering(pieces, piece_starts, s)
                if who is not None:
                    break
        if who is not None:
            yield Shift(who, s, e)


def shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """The final shifts within [start, end): layers, restrictions and overrides applied, one
    person's back-to-back shifts joined. Shifts are clipped to the range."""
    _check_aware(start, end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    joined: list[Shift] = []
    for piece in _segments(schedule, start, end):
        if joined and joined[-1].who == piece.who and joined[-1].end == piece.start:
            joined[-1] = Shift(piece.who, joined[-1].start, piece.end)
        else:
            joined.append(piece)
    return joined
