"""The two-week timeline drawn as SVG rectangles, server-side (no script, no inline style):
one track for the final shifts and one per layer, days marked in the viewer's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

WIDTH = 1400  # SVG units across the whole range
COLOURS = 8  # .who-0 ... .who-7 in static/css/oncall.css


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    colour: int
    label: str


@dataclass(frozen=True)
class Track:
    name: str
    bars: list[Bar]


@dataclass(frozen=True)
class Key:
    """One person in the chart's legend, in the colour of their bars."""

    name: str
    colour: int


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


def _x(moment: datetime, start: datetime, end: datetime) -> float:
    return round((moment - start) / (end - start) * WIDTH, 2)


def build(
    start: datetime, end: datetime, tracks, zone: tzinfo
) -> tuple[list[Track], list[Tick], list[Key]]:
    """`tracks`: [(name, [shift with .user, .start, .end])]. Colours follow people, the same
    person the same colour on every track; the legend names each colour once."""
    colour_of: dict[int, int] = {}
    legend: list[Key] = []
    drawn = []
    for name, shifts in tracks:
        bars = []
        for shift in shifts:
            if shift.user.pk not in colour_of:
                colour_of[shift.user.pk] = len(colour_of) % COLOURS
                legend.append(Key(shift.user.name, colour_of[shift.user.pk]))
            colour = colour_of[shift.user.pk]
            x = _x(max(shift.start, start), start, end)
            width = _x(min(shift.end, end), start, end) - x
            local_start, local_end = shift.start.astimezone(zone), shift.end.astimezone(zone)
            label = (
                f"{shift.user.name}: {local_start:%a %d %b %H:%M} to {local_end:%a %d %b %H:%M} "
                f"{local_end.tzname()}"
            )
            bars.append(Bar(x, round(width, 2), colour, label))
        drawn.append(Track(name, bars))
    ticks = []
    day = start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        if day >= start:
            ticks.append(Tick(_x(day, start, end), f"{day:%a %d}"))
        day = (day + timedelta(days=1, hours=2)).replace(hour=0)  # safe across a change
    return drawn, ticks, legend
