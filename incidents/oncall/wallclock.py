"""Local wall-clock time -> instant, by the rules in rotation.py: pure Python, no Django.

A long schedule converts every handoff and every restriction window, so the conversion
walks the year's offset changes (found once per zone and year, cached) with arithmetic,
instead of asking zoneinfo twice per time. `_to_instant_slow` is the plain way, kept as
the reference the fast path is tested against."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def to_instant(naive: datetime, zone: ZoneInfo) -> datetime:
    """The instant (UTC) of a local wall-clock time: the first occurrence of a time that
    exists twice, the first valid instant after a time that does not exist."""
    if not _FAST_YEARS[0] <= naive.year <= _FAST_YEARS[1]:
        return _to_instant_slow(naive, zone)
    # Walk the year's offset changes (a handful) instead of asking zoneinfo each time: a
    # long schedule asks this for every handoff and every restriction window.
    offset, changes = _offset_changes(zone, naive.year)
    for change, before, after in changes:
        if naive < change + before:  # still on the clock before this change
            break
        if naive < change + after:  # in the hour the clock skips: the moment of the jump
            return change.replace(tzinfo=UTC)
        offset = after
    return naive.replace(tzinfo=UTC) - offset


# Outside these years to_instant asks zoneinfo directly (and date arithmetic near year 1 or
# 9999 would overflow).
_FAST_YEARS = (1900, 2999)
_SAMPLE = timedelta(hours=2)  # no zone changes its offset twice within two hours


@functools.lru_cache(maxsize=4096)
def _offset_changes(zone: ZoneInfo, year: int):
    """The zone's UTC offset at the start of a span around `year` (December before to
    February after, in UTC) and its changes within it: [(instant as naive UTC, offset
    before, offset after)], each change found to the second."""

    def offset_at(moment: datetime) -> timedelta:
        return moment.replace(tzinfo=UTC).astimezone(zone).utcoffset()

    moment, last = datetime(year - 1, 12, 1), datetime(year + 1, 2, 1)
    first = current = offset_at(moment)
    changes = []
    while moment < last:
        following = moment + _SAMPLE
        offset = offset_at(following)
        if offset != current:
            low, high = moment, following  # the change lies in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if offset_at(middle) == offset:
                    high = middle
                else:
                    low = middle
            changes.append((high, current, offset))
            current = offset
        moment = following
    return first, tuple(changes)


def _to_instant_slow(naive: datetime, zone: ZoneInfo) -> datetime:
    """to_instant asking zoneinfo directly: the reference the fast path is tested against."""
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
