"""Properties of rotation.shifts over random schedules in random zones: final shifts never
overlap, they agree with who_is_on_call at any instant, and asking for a range in two
halves gives the same answer as asking for it whole."""

from __future__ import annotations

import itertools
import os
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.oncall.rotation import (
    Layer,
    Override,
    Restriction,
    Schedule,
    Shift,
    gaps,
    shifts,
    who_is_on_call,
)

# Zones with every kind of change: none, an hour either way, half an hour (Lord Howe),
# southern hemisphere, and a midnight change (Havana, Santiago).
ZONES = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Havana",
    "America/Santiago",
    "Asia/Kolkata",
    "Pacific/Chatham",
]
PEOPLE = "ABCD"
# ONCALL_EXAMPLES=5000 for a long hunt; the suite runs 150 examples per property.
PROPERTY = settings(max_examples=int(os.environ.get("ONCALL_EXAMPLES", "150")), deadline=None)

times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
# Around 2026's changes in both hemispheres.
days = st.dates(date(2026, 2, 20), date(2026, 11, 20))


@st.composite
def restrictions(draw):
    start = draw(times)
    end = draw(st.one_of(st.none(), times.filter(lambda t: t != start)))
    chosen = draw(st.sets(st.integers(0, 6), min_size=1))
    return Restriction(frozenset(chosen), start, end)


@st.composite
def layers(draw):
    unit = draw(st.sampled_from(["hours", "days", "weeks"]))
    length = draw(st.integers(1, 12 if unit == "hours" else 3))
    return Layer(
        participants=tuple(draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4))),
        shift_length=length,
        shift_unit=unit,
        handoff_time=draw(times),
        start_date=draw(days),
        restrictions=tuple(draw(st.lists(restrictions(), max_size=2))),
    )


instants = st.datetimes(datetime(2026, 2, 20), datetime(2026, 12, 1)).map(
    lambda moment: moment.replace(second=0, microsecond=0, tzinfo=UTC)
)


@st.composite
def overrides(draw):
    start = draw(instants)
    return Override(draw(st.sampled_from(PEOPLE)), start, start + timedelta(minutes=draw(
        st.integers(1, 5000)
    )))  # fmt: skip


schedules = st.builds(
    Schedule,
    st.sampled_from(ZONES),
    st.lists(layers(), min_size=0, max_size=3).map(tuple),
    st.lists(overrides(), max_size=3).map(tuple),
)


@st.composite
def ranges(draw):
    start = draw(instants)
    return start, start + timedelta(minutes=draw(st.integers(1, 14 * 24 * 60)))


def on_call_by_shifts(final: list[Shift], at: datetime):
    for shift in final:
        if shift.start <= at < shift.end:
            return shift.who
    return None


@PROPERTY
@given(schedules, ranges(), st.lists(st.floats(0, 1, exclude_max=True), max_size=8))
def test_final_shifts_never_overlap_and_agree_with_who_is_on_call(schedule, span, fractions):
    start, end = span
    final = shifts(schedule, start, end)
    for shift in final:
        assert start <= shift.start < shift.end <= end
    for before, after in itertools.pairwise(final):
        assert before.end <= after.start, "shifts overlap"
        assert not (before.who == after.who and before.end == after.start), "not joined"
    # Every boundary, and random instants, read the same from shifts() and who_is_on_call().
    probes = [s.start for s in final] + [s.end - timedelta(microseconds=1) for s in final]
    probes += [start + (end - start) * fraction for fraction in fractions]
    # (A fraction just under 1 can round up to `end`, which is outside the range.)
    for at in (at for at in probes if start <= at < end):
        assert who_is_on_call(schedule, at) == on_call_by_shifts(final, at), at
    # The gaps are exactly the rest of the range.
    covered = sum((s.end - s.start for s in final), timedelta())
    uncovered = sum((g.end - g.start for g in gaps(schedule, start, end)), timedelta())
    assert covered + uncovered == end - start


def join(first: list[Shift], second: list[Shift]) -> list[Shift]:
    if first and second and first[-1].who == second[0].who and first[-1].end == second[0].start:
        return [*first[:-1], Shift(first[-1].who, first[-1].start, second[0].end), *second[1:]]
    return first + second


@PROPERTY
@given(schedules, ranges(), st.floats(0, 1, exclude_min=True, exclude_max=True))
def test_splitting_the_range_in_two_changes_nothing(schedule, span, fraction):
    start, end = span
    middle = (start + (end - start) * fraction).replace(microsecond=0)
    if not start < middle < end:
        return
    whole = shifts(schedule, start, end)
    assert join(shifts(schedule, start, middle), shifts(schedule, middle, end)) == whole
