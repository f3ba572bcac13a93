"""The fast rotation path (offset changes walked arithmetically, restriction windows merged
in one pass, layers painted from the top down) answers exactly what the plain first
algorithm (tests/oncall/rotation_reference.py) answers, for random schedules in random
zones, with layers that started any time since 1970."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from incidents.oncall import rotation, wallclock
from incidents.oncall.rotation import Layer, Schedule

from . import rotation_reference as reference
from .test_rotation_properties import PEOPLE, PROPERTY, ZONES, overrides, ranges, restrictions

ALL_ZONES = sorted(zoneinfo.available_timezones())
times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 1, 15, 30, 59]))


@st.composite
def old_layers(draw):
    """Like the property tests' layers, but started anywhere from 1970: the fast path jumps
    straight to the range asked instead of walking from the start."""
    unit = draw(st.sampled_from(["hours", "days", "weeks"]))
    return Layer(
        participants=tuple(draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4))),
        shift_length=draw(st.integers(1, 30 if unit == "hours" else 3)),
        shift_unit=unit,
        handoff_time=draw(times),
        start_date=draw(st.dates(date(1970, 1, 1), date(2026, 11, 20))),
        restrictions=tuple(draw(st.lists(restrictions(), max_size=3))),
    )


schedules = st.builds(
    Schedule,
    st.sampled_from(ZONES),
    st.lists(old_layers(), min_size=0, max_size=5).map(tuple),
    st.lists(overrides(), max_size=4).map(tuple),
)


@PROPERTY
@given(schedules, ranges())
def test_final_shifts_equal_the_reference(schedule, span):
    start, end = span
    assert rotation.shifts(schedule, start, end) == reference.shifts(schedule, start, end)


@PROPERTY
@given(old_layers(), st.sampled_from(ZONES), ranges())
def test_one_layers_shifts_equal_the_reference(layer, zone, span):
    start, end = span
    zone = zoneinfo.ZoneInfo(zone)
    assert rotation.layer_shifts(layer, zone, start, end) == reference.layer_shifts(
        layer, zone, start, end
    )


@PROPERTY
@given(schedules, st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31)))
def test_who_is_on_call_equals_the_reference(schedule, at):
    at = at.replace(tzinfo=UTC)
    assert rotation.who_is_on_call(schedule, at) == reference.who_is_on_call(schedule, at)


@PROPERTY
@given(
    st.sampled_from(ALL_ZONES),
    st.datetimes(datetime(1890, 1, 1), datetime(3010, 12, 31)),
)
def test_a_local_time_converts_as_zoneinfo_says_in_every_zone(zone, naive):
    zone = zoneinfo.ZoneInfo(zone)
    assert rotation.to_instant(naive, zone) == reference.to_instant(naive, zone)


@PROPERTY
@given(
    st.sampled_from(ALL_ZONES),
    st.integers(1970, 2040),
    st.integers(-180, 180),
    st.data(),
)
def test_local_times_around_each_change_convert_as_zoneinfo_says(zone, year, minutes, data):
    # Right at the changes (gaps and repeated hours) is where arithmetic could go wrong.
    zone = zoneinfo.ZoneInfo(zone)
    _, changes = wallclock._offset_changes(zone, year)
    if not changes:
        return
    change, before, after = data.draw(st.sampled_from(changes))
    naive = change + min(before, after) + timedelta(minutes=minutes)
    assert rotation.to_instant(naive, zone) == reference.to_instant(naive, zone)
