"""Schedules for the tests, with fixed values."""

from __future__ import annotations

from datetime import date, time

from incidents.oncall.models import Layer, LayerParticipant, Schedule


def make_schedule(team, people, *, name="Ops primary", zone="UTC", **layer_fields) -> Schedule:
    """A schedule with one round-the-clock daily layer of `people`, handing off at 09:00
    local from 1 June 2026 (so on 1 June 2026 at 12:00 UTC the first person is on call)."""
    schedule = Schedule.objects.create(team=team, name=name, time_zone=zone)
    fields = {
        "name": "Primary",
        "shift_length": 1,
        "shift_unit": "days",
        "handoff_time": time(9),
        "start_date": date(2026, 6, 1),
        **layer_fields,
    }
    layer = Layer.objects.create(schedule=schedule, position=0, **fields)
    for turn, person in enumerate(people):
        LayerParticipant.objects.create(layer=layer, user=person, position=turn)
    return schedule
