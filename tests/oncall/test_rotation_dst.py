"""Hand-checked rotations across daylight-saving changes. Each case writes out the local
time a person would read on the wall and the UTC instant it is, worked out by hand from
the zone's rules (2026: London moves 29 Mar 01:00 GMT -> 02:00 BST and 25 Oct 02:00 BST ->
01:00 GMT; New York 8 Mar 02:00 EST -> 03:00 EDT and 1 Nov 02:00 EDT -> 01:00 EST; Sydney
5 Apr 03:00 AEDT -> 02:00 AEST and 4 Oct 02:00 AEST -> 03:00 AEDT)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from incidents.oncall.rotation import (
    Gap,
    Layer,
    Override,
    Restriction,
    RotationError,
    Schedule,
    Shift,
    gaps,
    shifts,
    to_instant,
    validate_layer,
    who_is_on_call,
)

WEEKDAYS = frozenset(range(5))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: str, *args: int, fold: int = 0) -> datetime:
    # As a UTC instant: Python never finds an ambiguous local time equal to another zone's.
    return datetime(*args, tzinfo=ZoneInfo(zone), fold=fold).astimezone(UTC)


def rotation(zone: str, unit: str, length: int, handoff: str, start: date, people="ABC", **kw):
    hours, minutes = map(int, handoff.split(":"))
    layer = Layer(tuple(people), length, unit, time(hours, minutes), start, **kw)
    return Schedule(zone, (layer,))


def handoffs(schedule: Schedule, start: datetime, end: datetime) -> list[tuple[str, datetime]]:
    return [(s.who, s.start) for s in shifts(schedule, start, end)]


# --- Weekly rotation of three across the changes -------------------------------------------


def test_a_weekly_london_rotation_keeps_its_0900_handoff_across_the_spring_change():
    schedule = rotation("Europe/London", "weeks", 1, "09:00", date(2026, 3, 16))
    result = shifts(schedule, utc(2026, 3, 16, 9), utc(2026, 4, 13, 8))
    assert result == [
        # Mon 16 Mar 09:00 GMT = 09:00Z
        Shift("A", utc(2026, 3, 16, 9), utc(2026, 3, 23, 9)),
        # Mon 23 Mar 09:00 GMT = 09:00Z -> Mon 30 Mar 09:00 BST = 08:00Z: an hour shorter
        Shift("B", utc(2026, 3, 23, 9), utc(2026, 3, 30, 8)),
        # Mon 30 Mar 09:00 BST = 08:00Z -> Mon 6 Apr 09:00 BST = 08:00Z
        Shift("C", utc(2026, 3, 30, 8), utc(2026, 4, 6, 8)),
        Shift("A", utc(2026, 4, 6, 8), utc(2026, 4, 13, 8)),
    ]
    assert result[1].end - result[1].start == timedelta(hours=167)
    assert result[2].start == local("Europe/London", 2026, 3, 30, 9)


def test_a_weekly_london_rotation_keeps_its_0900_handoff_across_the_autumn_change():
    schedule = rotation("Europe/London", "weeks", 1, "09:00", date(2026, 10, 12))
    result = shifts(schedule, utc(2026, 10, 12, 8), utc(2026, 11, 2, 9))
    assert result == [
        # Mon 12 Oct 09:00 BST = 08:00Z
        Shift("A", utc(2026, 10, 12, 8), utc(2026, 10, 19, 8)),
        # Mon 19 Oct 09:00 BST = 08:00Z -> Mon 26 Oct 09:00 GMT = 09:00Z: an hour longer
        Shift("B", utc(2026, 10, 19, 8), utc(2026, 10, 26, 9)),
        # Mon 26 Oct 09:00 GMT = 09:00Z -> Mon 2 Nov 09:00 GMT = 09:00Z
        Shift("C", utc(2026, 10, 26, 9), utc(2026, 11, 2, 9)),
    ]
    assert result[1].end - result[1].start == timedelta(hours=169)


def test_a_weekly_new_york_rotation_across_the_spring_change():
    schedule = rotation("America/New_York", "weeks", 1, "09:00", date(2026, 3, 2))
    result = shifts(schedule, utc(2026, 3, 2, 14), utc(2026, 3, 23, 13))
    assert result == [
        # Mon 2 Mar 09:00 EST = 14:00Z -> Mon 9 Mar 09:00 EDT = 13:00Z: 167 hours
        Shift("A", utc(2026, 3, 2, 14), utc(2026, 3, 9, 13)),
        Shift("B", utc(2026, 3, 9, 13), utc(2026, 3, 16, 13)),
        Shift("C", utc(2026, 3, 16, 13), utc(2026, 3, 23, 13)),
    ]
    assert result[1].start == local("America/New_York", 2026, 3, 9, 9)


def test_a_weekly_new_york_rotation_across_the_autumn_change():
    schedule = rotation("America/New_York", "weeks", 1, "09:00", date(2026, 10, 26))
    result = shifts(schedule, utc(2026, 10, 26, 13), utc(2026, 11, 16, 14))
    assert result == [
        # Mon 26 Oct 09:00 EDT = 13:00Z -> Mon 2 Nov 09:00 EST = 14:00Z: 169 hours
        Shift("A", utc(2026, 10, 26, 13), utc(2026, 11, 2, 14)),
        Shift("B", utc(2026, 11, 2, 14), utc(2026, 11, 9, 14)),
        Shift("C", utc(2026, 11, 9, 14), utc(2026, 11, 16, 14)),
    ]
    assert who_is_on_call(schedule, local("America/New_York", 2026, 11, 1, 1, 30, fold=1)) == "A"


def test_a_daily_sydney_rotation_across_the_april_change():
    schedule = rotation("Australia/Sydney", "days", 1, "08:00", date(2026, 4, 3))
    result = shifts(schedule, utc(2026, 4, 2, 21), utc(2026, 4, 5, 22))
    assert result == [
        # Fri 3 Apr 08:00 AEDT (+11) = Thu 2 Apr 21:00Z
        Shift("A", utc(2026, 4, 2, 21), utc(2026, 4, 3, 21)),
        # Sat 4 Apr 08:00 AEDT = 3 Apr 21:00Z -> Sun 5 Apr 08:00 AEST (+10) = 4 Apr 22:00Z
        Shift("B", utc(2026, 4, 3, 21), utc(2026, 4, 4, 22)),
        # Sun 5 Apr 08:00 AEST = 4 Apr 22:00Z -> Mon 6 Apr 08:00 AEST = 5 Apr 22:00Z
        Shift("C", utc(2026, 4, 4, 22), utc(2026, 4, 5, 22)),
    ]
    assert result[1].end - result[1].start == timedelta(hours=25)


def test_a_daily_sydney_rotation_across_the_october_change():
    schedule = rotation("Australia/Sydney", "days", 1, "08:00", date(2026, 10, 3))
    result = shifts(schedule, utc(2026, 10, 2, 22), utc(2026, 10, 4, 21))
    assert result == [
        # Sat 3 Oct 08:00 AEST (+10) = 2 Oct 22:00Z -> Sun 4 Oct 08:00 AEDT (+11) = 3 Oct 21:00Z
        Shift("A", utc(2026, 10, 2, 22), utc(2026, 10, 3, 21)),
        Shift("B", utc(2026, 10, 3, 21), utc(2026, 10, 4, 21)),
    ]


# --- Handoffs at times that do not exist, or exist twice ------------------------------------


def test_a_0230_handoff_on_the_spring_forward_day_happens_at_0300():
    schedule = rotation("America/New_York", "days", 1, "02:30", date(2026, 3, 7))
    result = shifts(schedule, utc(2026, 3, 7, 7, 30), utc(2026, 3, 10, 6, 30))
    assert result == [
        # Sat 7 Mar 02:30 EST = 07:30Z
        Shift("A", utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7)),
        # Sun 8 Mar 02:30 does not exist: the first valid instant after it is 03:00 EDT = 07:00Z
        Shift("B", utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30)),
        # Mon 9 Mar 02:30 EDT = 06:30Z
        Shift("C", utc(2026, 3, 9, 6, 30), utc(2026, 3, 10, 6, 30)),
    ]
    assert result[1].start == local("America/New_York", 2026, 3, 8, 3, 0)
    assert result[0].end - result[0].start == timedelta(hours=23, minutes=30)


def test_a_handoff_in_the_repeated_hour_of_the_fall_back_day_happens_at_the_first():
    schedule = rotation("America/New_York", "days", 1, "01:30", date(2026, 10, 31))
    result = shifts(schedule, utc(2026, 10, 31, 5, 30), utc(2026, 11, 3, 6, 30))
    assert result == [
        # Sat 31 Oct 01:30 EDT = 05:30Z
        Shift("A", utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30)),
        # Sun 1 Nov 01:30 happens twice; the first is 01:30 EDT = 05:30Z. B holds it through
        # the second 01:30 (EST = 06:30Z) until Mon 2 Nov 01:30 EST = 06:30Z: 25 hours.
        Shift("B", utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)),
        Shift("C", utc(2026, 11, 2, 6, 30), utc(2026, 11, 3, 6, 30)),
    ]
    second_0130 = local("America/New_York", 2026, 11, 1, 1, 30, fold=1)
    assert second_0130 == utc(2026, 11, 1, 6, 30)
    assert who_is_on_call(schedule, second_0130) == "B"


def test_local_times_resolve_by_the_gap_and_overlap_rules():
    london = ZoneInfo("Europe/London")
    # 01:30 on 29 Mar 2026 does not exist in London: 02:00 BST = 01:00Z follows the jump.
    assert to_instant(datetime(2026, 3, 29, 1, 30), london) == utc(2026, 3, 29, 1)
    # 01:30 on 25 Oct 2026 happens twice: first as BST (00:30Z), then GMT (01:30Z).
    assert to_instant(datetime(2026, 10, 25, 1, 30), london) == utc(2026, 10, 25, 0, 30)
    # Lord Howe Island jumps half an hour: 02:15 does not exist, 02:30 (+11) = 15:30Z.
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    assert to_instant(datetime(2026, 10, 4, 2, 15), lord_howe) == utc(2026, 10, 3, 15, 30)


# --- Hourly shifts stay on the wall clock ----------------------------------------------------


def test_hourly_shifts_across_the_spring_change_skip_the_hour_that_does_not_exist():
    schedule = rotation("America/New_York", "hours", 1, "00:00", date(2026, 3, 8))
    result = handoffs(schedule, utc(2026, 3, 8, 5), utc(2026, 3, 8, 9))
    assert result == [
        ("A", utc(2026, 3, 8, 5)),  # 00:00 EST
        ("B", utc(2026, 3, 8, 6)),  # 01:00 EST
        # 02:00-03:00 does not exist: C's slot is empty, so A takes over at 03:00 EDT = 07:00Z
        ("A", utc(2026, 3, 8, 7)),  # 03:00 EDT
        ("B", utc(2026, 3, 8, 8)),  # 04:00 EDT
    ]


def test_hourly_shifts_across_the_autumn_change_give_the_repeated_hour_to_one_person():
    schedule = rotation("America/New_York", "hours", 1, "00:00", date(2026, 11, 1))
    result = shifts(schedule, utc(2026, 11, 1, 4), utc(2026, 11, 1, 8))
    assert result == [
        Shift("A", utc(2026, 11, 1, 4), utc(2026, 11, 1, 5)),  # 00:00 EDT
        # 01:00 EDT = 05:00Z until 02:00 EST = 07:00Z: the 01:00 hour happens twice.
        Shift("B", utc(2026, 11, 1, 5), utc(2026, 11, 1, 7)),
        Shift("C", utc(2026, 11, 1, 7), utc(2026, 11, 1, 8)),  # 02:00 EST
    ]


def test_four_hour_shifts_hand_off_at_the_same_wall_clock_times_after_a_change():
    schedule = rotation("Europe/London", "hours", 4, "00:00", date(2026, 3, 29), people="AB")
    result = shifts(schedule, utc(2026, 3, 29, 0), utc(2026, 3, 29, 15))
    zone = ZoneInfo("Europe/London")
    assert [s.start.astimezone(zone).strftime("%H:%M %Z") for s in result] == [
        "00:00 GMT",
        "04:00 BST",
        "08:00 BST",
        "12:00 BST",
    ]
    # 00:00 GMT = 00:00Z -> 04:00 BST = 03:00Z: the shift holding the change is 3 hours.
    assert result[0] == Shift("A", utc(2026, 3, 29, 0), utc(2026, 3, 29, 3))
    assert result[1] == Shift("B", utc(2026, 3, 29, 3), utc(2026, 3, 29, 7))


# --- Layers, restrictions, overrides, gaps ---------------------------------------------------


def test_a_weekday_daytime_layer_wins_over_a_round_the_clock_layer_where_it_has_someone():
    always = Layer(("A",), 1, "weeks", time(9), date(2026, 6, 1))
    daytime = Layer(
        ("B",), 1, "weeks", time(9), date(2026, 6, 1),
        restrictions=(Restriction(WEEKDAYS, time(9), time(17)),),
    )  # fmt: skip
    schedule = Schedule("Europe/London", (always, daytime))
    # Fri 5 Jun 00:00 BST (= 4 Jun 23:00Z) to Mon 8 Jun 12:00 BST (= 11:00Z)
    result = shifts(schedule, utc(2026, 6, 4, 23), utc(2026, 6, 8, 11))
    assert result == [
        Shift("A", utc(2026, 6, 4, 23), utc(2026, 6, 5, 8)),  # until Fri 09:00 BST
        Shift("B", utc(2026, 6, 5, 8), utc(2026, 6, 5, 16)),  # Fri 09:00-17:00 BST
        Shift("A", utc(2026, 6, 5, 16), utc(2026, 6, 8, 8)),  # the weekend
        Shift("B", utc(2026, 6, 8, 8), utc(2026, 6, 8, 11)),  # Mon from 09:00 BST
    ]


def test_a_night_restriction_crosses_midnight():
    nights = Layer(
        ("N",), 1, "days", time(0), date(2026, 1, 1),
        restrictions=(Restriction(frozenset({0}), time(18), time(8)),),
    )  # fmt: skip
    schedule = Schedule("Europe/Berlin", (nights,))
    # Mon 5 Jan 2026 18:00 CET (= 17:00Z) to Tue 6 Jan 08:00 CET (= 07:00Z)
    assert shifts(schedule, utc(2026, 1, 5), utc(2026, 1, 7)) == [
        Shift("N", utc(2026, 1, 5, 17), utc(2026, 1, 6, 7))
    ]


def test_a_night_window_across_the_spring_change_is_an_hour_shorter():
    nights = Layer(
        ("N",), 1, "weeks", time(0), date(2026, 3, 2),
        restrictions=(Restriction(frozenset({5}), time(18), time(8)),),  # Saturday nights
    )  # fmt: skip
    schedule = Schedule("Europe/London", (nights,))
    # Sat 28 Mar 18:00 GMT (= 18:00Z) to Sun 29 Mar 08:00 BST (= 07:00Z): 13 hours, not 14.
    result = shifts(schedule, utc(2026, 3, 27), utc(2026, 3, 30))
    assert result == [Shift("N", utc(2026, 3, 28, 18), utc(2026, 3, 29, 7))]


def test_overrides_that_start_and_end_inside_a_shift_split_it_around_them():
    base = rotation("America/New_York", "weeks", 1, "09:00", date(2026, 6, 1))
    # Wed 3 Jun 10:00-14:00 EDT = 14:00-18:00Z
    cover = Override("C", utc(2026, 6, 3, 14), utc(2026, 6, 3, 18))
    schedule = Schedule(base.time_zone, base.layers, (cover,))
    assert shifts(schedule, utc(2026, 6, 1, 13), utc(2026, 6, 8, 13)) == [
        Shift("A", utc(2026, 6, 1, 13), utc(2026, 6, 3, 14)),
        Shift("C", utc(2026, 6, 3, 14), utc(2026, 6, 3, 18)),
        Shift("A", utc(2026, 6, 3, 18), utc(2026, 6, 8, 13)),
    ]
    assert who_is_on_call(schedule, utc(2026, 6, 3, 17, 59)) == "C"
    assert who_is_on_call(schedule, utc(2026, 6, 3, 18)) == "A"


def test_an_override_by_the_person_on_shift_joins_their_shift():
    base = rotation("UTC", "days", 1, "00:00", date(2026, 6, 1), people="AB")
    cover = Override("A", utc(2026, 6, 1, 20), utc(2026, 6, 2, 4))
    result = shifts(Schedule("UTC", base.layers, (cover,)), utc(2026, 6, 1), utc(2026, 6, 3))
    assert result == [
        Shift("A", utc(2026, 6, 1), utc(2026, 6, 2, 4)),
        Shift("B", utc(2026, 6, 2, 4), utc(2026, 6, 3)),
    ]


def test_a_gap_is_found_and_reported():
    daytime = Layer(
        ("A", "B"), 1, "days", time(9), date(2026, 6, 1),
        restrictions=(Restriction(WEEKDAYS, time(9), time(17)),),
    )  # fmt: skip
    schedule = Schedule("Europe/London", (daytime,))
    # Mon 1 Jun 09:00 BST (08:00Z) to Tue 2 Jun 17:00 BST (16:00Z)
    assert gaps(schedule, utc(2026, 6, 1, 8), utc(2026, 6, 2, 16)) == [
        Gap(utc(2026, 6, 1, 16), utc(2026, 6, 2, 8))  # Mon 17:00 to Tue 09:00 BST
    ]
    assert who_is_on_call(schedule, utc(2026, 6, 1, 20)) is None


def test_nobody_is_on_call_before_a_layer_starts():
    schedule = rotation("UTC", "days", 1, "09:00", date(2026, 6, 10))
    assert who_is_on_call(schedule, utc(2026, 6, 10, 8, 59)) is None
    assert who_is_on_call(schedule, utc(2026, 6, 10, 9)) == "A"
    assert gaps(schedule, utc(2026, 6, 10), utc(2026, 6, 11)) == [
        Gap(utc(2026, 6, 10), utc(2026, 6, 10, 9))
    ]


@pytest.mark.parametrize(
    ("layer", "field"),
    [
        (Layer((), 1, "days", time(9), date(2026, 1, 1)), "participants"),
        (Layer(("A",), 0, "days", time(9), date(2026, 1, 1)), "shift_length"),
        (Layer(("A",), 1, "months", time(9), date(2026, 1, 1)), "shift_unit"),
        (
            Layer(
                ("A",), 1, "days", time(9), date(2026, 1, 1),
                restrictions=(Restriction(WEEKDAYS, time(9), time(9)),),
            ),
            "restrictions",
        ),
    ],
)  # fmt: skip
def test_layers_that_cannot_rotate_are_refused_naming_the_field(layer, field):
    with pytest.raises(RotationError) as refused:
        validate_layer(layer)
    assert refused.value.field == field
