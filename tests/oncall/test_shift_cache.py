"""Final shifts come from the cache a day at a time: the answer is exactly what rotation.py
computes, cold or warm, for any range; a new override or a changed layer shows at once
(the key names everything a day depends on); with the cache down the answer still comes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import timezone

from incidents.oncall import ical, rotation, services, shift_cache
from incidents.oncall import serializers as s
from incidents.oncall.models import Layer, LayerParticipant, Override

from .helpers import make_schedule

START = datetime(2026, 3, 20, 7, 13, tzinfo=UTC)


@pytest.fixture
def schedule(cast):
    """Two layers in New York across the March change: daily, and hourly evenings on top."""
    schedule = make_schedule(cast.team, [cast.responder, cast.admin], zone="America/New_York",
                             start_date=date(2026, 1, 1))  # fmt: skip
    evenings = Layer.objects.create(
        schedule=schedule, position=1, shift_length=3, shift_unit="hours", handoff_time=time(1),
        start_date=date(1970, 1, 1),
        restrictions=[{"days": ["mon", "wed", "fri"], "start": "18:00", "end": "02:00"}],
    )  # fmt: skip
    for turn, person in enumerate([cast.admin, cast.viewer, cast.responder]):
        LayerParticipant.objects.create(layer=evenings, user=person, position=turn)
    Override.objects.create(schedule=schedule, user=cast.viewer,
                            start=START + timedelta(days=2, hours=3),
                            end=START + timedelta(days=2, hours=30))  # fmt: skip
    return schedule


def loaded(schedule):
    return services.with_layers(type(schedule).objects.filter(pk=schedule.pk)).get()


def direct(schedule, start, end):
    found = rotation.shifts(services.rotation_of(loaded(schedule), start, end), start, end)
    return [(s.who, s.start, s.end) for s in found]


def through_cache(schedule, start, end):
    return [
        (s.user.pk, s.start, s.end) for s in services.final_shifts(loaded(schedule), start, end)
    ]


@pytest.mark.parametrize(
    "offset, length",
    [(timedelta(0), timedelta(days=14)), (timedelta(hours=5, minutes=7), timedelta(hours=9)),
     (timedelta(days=3), timedelta(days=40)), (timedelta(days=-2), timedelta(days=1))],
)  # fmt: skip
def test_cold_and_warm_answers_equal_rotation_py(schedule, offset, length):
    start, end = START + offset, START + offset + length
    expected = direct(schedule, start, end)
    assert expected
    assert through_cache(schedule, start, end) == expected  # cold
    assert through_cache(schedule, start, end) == expected  # warm
    # A wider range, warm in the middle and cold at its edges.
    wider = (start - timedelta(days=1, hours=3), end + timedelta(days=2))
    assert through_cache(schedule, *wider) == direct(schedule, *wider)


def test_a_new_override_and_a_changed_layer_show_at_once(schedule, cast):
    start, end = START, START + timedelta(days=7)
    before = through_cache(schedule, start, end)
    Override.objects.create(schedule=schedule, user=cast.viewer, start=START + timedelta(hours=1),
                            end=START + timedelta(hours=2))  # fmt: skip
    after = through_cache(schedule, start, end)
    assert after != before and after == direct(schedule, start, end)
    assert (cast.viewer.pk, START + timedelta(hours=1), START + timedelta(hours=2)) in after
    Layer.objects.filter(schedule=schedule, position=1).update(restrictions=[])
    assert through_cache(schedule, start, end) == direct(schedule, start, end) != after


def test_with_the_cache_down_the_shifts_are_still_computed(schedule, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # fmt: skip
    start, end = START, START + timedelta(days=3)
    assert through_cache(schedule, start, end) == direct(schedule, start, end)


def test_day_span_widens_to_whole_utc_days():
    assert shift_cache.day_span(START, START + timedelta(hours=1)) == (
        datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 3, 21, tzinfo=UTC))  # fmt: skip
    midnight = datetime(2026, 3, 22, tzinfo=UTC)
    assert shift_cache.day_span(START, midnight)[1] == midnight


def test_the_shifts_body_is_what_the_serializer_gives_in_any_zone(schedule):
    found = services.final_shifts(loaded(schedule), START, START + timedelta(days=5))
    gaps = rotation.gaps_between(found, START, START + timedelta(days=5))
    for zone in ("UTC", "America/New_York"):
        with timezone.override(zone):
            slow = s.ShiftsSerializer({
                "shifts": [{"user": f.user, "start": f.start, "end": f.end} for f in found],
                "gaps": [{"start": g.start, "end": g.end} for g in gaps],
            }).data  # fmt: skip
            assert s.shifts_body(found, gaps) == slow


def test_a_feed_built_twice_is_one_body_and_changes_with_its_events(schedule, cast):
    found = services.final_shifts(loaded(schedule), START, START + timedelta(days=5))
    items = [(schedule, shift) for shift in found]
    first = ical.build_calendar("T", "k", items, START)
    assert ical.build_calendar("T", "k", items, START + timedelta(hours=1)) == first
    cast.admin.display_name = "Renamed"
    cast.admin.save()
    found = services.final_shifts(loaded(schedule), START, START + timedelta(days=5))
    renamed = ical.build_calendar("T", "k", [(schedule, shift) for shift in found], START)
    assert renamed != first and b"Renamed" in renamed
