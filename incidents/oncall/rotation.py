"""Who is on call: pure Python, no Django, `now` always passed in.

A schedule has a time zone, ordered layers (rotations) and overrides. The rules, in the
order they apply:

- Wall clock. A layer's handoffs are computed as *local* date and time in the schedule's
  zone, then converted to an instant. Handoff k is at `start_date + handoff_time` plus
  k x shift length of wall-clock time (days and weeks add calendar days; hours add
  wall-clock hours). So a 09:00 handoff is at 09:00 local on both sides of a daylight-
  saving change, and the shift that spans the change is an hour longer or shorter: never
  split, doubled or missing.
- A local time that does not exist (the clock jumps forward over it) means the first valid
  instant after it: the moment of the jump. A local time that exists twice (the clock goes
  back) means the first of the two (fold=0).
- Hourly rotations stay aligned to the wall clock: with 4-hour shifts from 00:00, the
  handoffs are at 00:00, 04:00, 08:00 ... local on every day, before and after a change.
  The shift that contains a change is an hour shorter (spring) or longer (autumn). With
  1-hour shifts, the wall-clock hour that does not exist (e.g. 02:00-03:00 in New York in
  March) is a shift of zero length and so nobody's shift: its person's turn is skipped and
  the next person takes over at 03:00, as the clock on the wall says. In autumn the
  01:00 shift lasts two real hours (the hour happens twice).
- Restrictions limit when a layer has someone: each names days of the week and a local
  from-to. The window starts on each named day at `start`; it ends the same day at `end`
  when end > start, or the next day when end < start (nights: 18:00-08:00). `end` may be
  24:00 (midnight at the end of the day: 00:00-24:00 is the whole day). A restriction whose
  end equals its start is refused (see validate_restriction). A layer with restrictions has
  nobody outside their union; the rotation's handoffs are not moved by them.
- Layers: the later layer wins wherever it has someone; where it has nobody, the layers
  beneath show through.
- Overrides are on top of every layer; where two overlap, the later one in the list wins.
- Final shifts join one person's back-to-back pieces; gaps are the uncovered time.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .wallclock import to_instant

UNITS = ("hours", "days", "weeks")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class RotationError(ValueError):
    """Input that cannot describe a rotation; `field` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Restriction:
    days: frozenset[int]  # 0 = Monday ... 6 = Sunday: the days a window starts on
    start: time
    end: time | None  # None means 24:00


@dataclass(frozen=True)
class Layer:
    participants: tuple[Hashable, ...]
    shift_length: int
    shift_unit: str  # "hours" | "days" | "weeks"
    handoff_time: time
    start_date: date
    restrictions: tuple[Restriction, ...] = ()


@dataclass(frozen=True)
class Override:
    who: Hashable
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Schedule:
    time_zone: str
    layers: tuple[Layer, ...] = ()
    overrides: tuple[Override, ...] = ()
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.time_zone))


@dataclass(frozen=True)
class Shift:
    who: Hashable
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Gap:
    start: datetime
    end: datetime


# --- Validation (shared by the API, the forms and the dataclasses' users) ------------------


def validate_layer(layer: Layer) -> None:
    if not layer.participants:
        raise RotationError("participants", "A layer needs at least one participant.")
    if layer.shift_unit not in UNITS:
        raise RotationError("shift_unit", f"shift_unit must be one of {', '.join(UNITS)}.")
    if layer.shift_length < 1:
        raise RotationError("shift_length", "shift_length must be at least 1.")
    for restriction in layer.restrictions:
        validate_restriction(restriction)


def validate_restriction(restriction: Restriction) -> None:
    if not restriction.days:
        raise RotationError("restrictions", "A restriction needs at least one day.")
    if restriction.end is not None and restriction.end == restriction.start:
        raise RotationError(
            "restrictions",
            "A restriction ends when it starts: give an end after the start, an end before it "
            "for a window that crosses midnight (18:00-08:00), or 00:00-24:00 for whole days.",
        )


# --- One layer -----------------------------------------------------------------------------


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
    # Both lists are sorted and disjoint: one merge pass, not windows x pieces.
    return _intersect(pieces, _allowed(layer, zone, start, end))


def _intersect(pieces: Sequence[Shift], windows: Sequence[tuple[datetime, datetime]]):
    """The parts of `pieces` inside `windows` (each sorted, each disjoint), in order."""
    restricted, i, j = [], 0, 0
    while i < len(pieces) and j < len(windows):
        piece, (window_start, window_end) = pieces[i], windows[j]
        s, e = max(piece.start, window_start), min(piece.end, window_end)
        if s < e:
            restricted.append(Shift(piece.who, s, e))
        if piece.end <= window_end:
            i += 1
        else:
            j += 1
    return restricted


def layer_on_call(layer: Layer, zone: ZoneInfo, at: datetime) -> Hashable | None:
    if not layer.participants or not _is_allowed_at(layer, zone, at):
        return None
    k = _slot_at(layer, zone, at)
    return None if k is None else layer.participants[k % len(layer.participants)]


# --- The schedule --------------------------------------------------------------------------


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


def _subtract(free: list[tuple[datetime, datetime]], taken: Sequence[Shift]):
    """`free` (sorted, disjoint) less the time of `taken` (sorted, disjoint), and the parts
    of `taken` that were free."""
    left: list[tuple[datetime, datetime]] = []
    got: list[Shift] = []
    i = 0
    for free_start, free_end in free:
        cursor = free_start
        # Skip what ends before this free interval; the next one may still use it.
        while i < len(taken) and taken[i].end <= cursor:
            i += 1
        j = i
        while j < len(taken) and taken[j].start < free_end:
            s, e = max(taken[j].start, cursor), min(taken[j].end, free_end)
            if s < e:
                if cursor < s:
                    left.append((cursor, s))
                got.append(Shift(taken[j].who, s, e))
                cursor = e
            j += 1
        if cursor < free_end:
            left.append((cursor, free_end))
    return left, got


def _segments(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """Who has each moment of [start, end), in pieces sorted by start. Paints from the top
    down (the last override, then the other overrides, then the top layer, and so on), each
    taking only time nobody above it has: linear in the number of pieces."""
    free = [(start, end)]
    found: list[Shift] = []
    for override in reversed(schedule.overrides):
        s, e = max(override.start, start), min(override.end, end)
        if s < e:
            free, got = _subtract(free, [Shift(override.who, s, e)])
            found += got
    for layer in reversed(schedule.layers):
        if not free:
            break
        # Ask the layer only for the span still free.
        pieces = layer_shifts(layer, schedule.zone, free[0][0], free[-1][1])
        free, got = _subtract(free, pieces)
        found += got
    found.sort(key=lambda piece: piece.start)
    return found


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


def gaps_between(final: Sequence[Shift], start: datetime, end: datetime) -> list[Gap]:
    found, cursor = [], start
    for shift in final:
        if shift.start > cursor:
            found.append(Gap(cursor, shift.start))
        cursor = max(cursor, shift.end)
    if cursor < end:
        found.append(Gap(cursor, end))
    return found


def gaps(schedule: Schedule, start: datetime, end: datetime) -> list[Gap]:
    """The time within [start, end) when nobody is on call."""
    final = shifts(schedule, start, end)
    return gaps_between(final, start.astimezone(UTC), end.astimezone(UTC))
