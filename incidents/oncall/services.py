"""Schedules from the database, answered by rotation.py. Paging asks `on_call` here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Prefetch

from accounts.models import Role

from . import rotation, shift_cache
from .models import Layer, LayerParticipant, Override, Schedule

User = get_user_model()

MAX_RANGE = timedelta(days=90)
COVERAGE_WINDOW = timedelta(weeks=4)  # how far ahead the editor looks for gaps


def with_layers(queryset):
    participants = Prefetch("participants", LayerParticipant.objects.order_by("position"))
    return queryset.prefetch_related(
        Prefetch("layers", Layer.objects.order_by("position").prefetch_related(participants))
    )


def parse_clock(value: str) -> time | None:
    """ "HH:MM" -> time; "24:00" -> None (midnight at the end of the day)."""
    return None if value == "24:00" else time.fromisoformat(value)


def restriction_of(data: dict) -> rotation.Restriction:
    days = frozenset(rotation.DAY_NAMES.index(day) for day in data["days"])
    return rotation.Restriction(days, parse_clock(data["start"]), parse_clock(data["end"]))


def layer_of(layer: Layer) -> rotation.Layer:
    return rotation.Layer(
        participants=tuple(p.user_id for p in layer.participants.all()),
        shift_length=layer.shift_length,
        shift_unit=layer.shift_unit,
        handoff_time=layer.handoff_time,
        start_date=layer.start_date,
        restrictions=tuple(restriction_of(r) for r in layer.restrictions),
    )


def rotation_of(schedule: Schedule, start: datetime, end: datetime, *, layers=None):
    """rotation.py's view of the schedule, with the overrides that touch [start, end)."""
    overrides = schedule.overrides.overlapping(start, end).order_by("created_at", "pk")
    return rotation.Schedule(
        schedule.time_zone,
        tuple(
            layer_of(layer) for layer in (layers if layers is not None else schedule.layers.all())
        ),
        tuple(rotation.Override(o.user_id, o.start, o.end) for o in overrides),
    )


def viewers_among(team_id: int, people) -> list[User]:
    """Those of `people` who only view `team_id`: they can be paged but cannot acknowledge,
    escalate or take a shift, so putting them on call deserves a warning."""
    ids = {person.pk for person in people}
    return list(
        User.objects.filter(
            pk__in=ids, memberships__team=team_id, memberships__role=Role.VIEWER
        ).order_by("email")
    )


def viewer_warning(team, people) -> str | None:
    viewers = viewers_among(team.pk, people)
    if not viewers:
        return None
    names = ", ".join(person.name for person in viewers)
    return (
        f"{names} only {'views' if len(viewers) == 1 else 'view'} {team}: they would be "
        f"paged but cannot acknowledge or act. Make them responders, or choose someone else."
    )


def people_by_id(ids) -> dict[int, User]:
    return {user.pk: user for user in User.objects.filter(pk__in=set(ids))}


@dataclass(frozen=True)
class ShiftOf:
    """A final shift with its person loaded."""

    user: User
    start: datetime
    end: datetime


def final_shifts(schedule: Schedule, start: datetime, end: datetime) -> list[ShiftOf]:
    found = shift_cache.shifts(rotation_of(schedule, *shift_cache.day_span(start, end)), start, end)
    people = people_by_id(s.who for s in found)
    return [ShiftOf(people[s.who], s.start, s.end) for s in found if s.who in people]


def layer_shifts(schedule: Schedule, start: datetime, end: datetime):
    """[(layer, [ShiftOf...])] for each layer on its own, top layer last."""
    zone = rotation.Schedule(schedule.time_zone).zone
    result = []
    for layer in schedule.layers.all():
        found = rotation.layer_shifts(layer_of(layer), zone, start, end)
        people = people_by_id(s.who for s in found)
        result.append((layer, [ShiftOf(people[s.who], s.start, s.end) for s in found]))
    return result


def gaps(schedule: Schedule, start: datetime, end: datetime) -> list[rotation.Gap]:
    return rotation.gaps(rotation_of(schedule, start, end), start, end)


def on_call(schedule_id: int, at: datetime) -> list[User]:
    """Who is on call for schedule `schedule_id` at `at`: a list of zero or one person.
    (Paging asks this.)"""
    schedule = with_layers(Schedule.objects.filter(pk=schedule_id)).first()
    if schedule is None:
        return []
    return on_call_for(schedule, at)


def on_call_for(schedule: Schedule, at: datetime) -> list[User]:
    who = rotation.who_is_on_call(rotation_of(schedule, at, at + timedelta(microseconds=1)), at)
    return list(User.objects.filter(pk=who)) if who is not None else []


@dataclass(frozen=True)
class NowAndNext:
    schedule: Schedule
    now: ShiftOf | None
    next: ShiftOf | None


# How far to look back for the start of the shift going on now, and ahead for the next one,
# widening only when needed: most answers come from the first, cheap window.
WINDOWS = (timedelta(days=1), timedelta(days=7), timedelta(days=35))


def shifts_from(schedule: Schedule, at: datetime, end: datetime) -> list[ShiftOf]:
    """The final shifts that end after `at`, up to `end`: the one going on at `at` whole
    (its real start, up to 35 days back), not cut at `at`."""
    for back in WINDOWS:
        found = [s for s in final_shifts(schedule, at - back, end) if s.end > at]
        if not found or found[0].start > at - back or back == WINDOWS[-1]:
            return found
    return []  # not reached


def now_and_next(schedule: Schedule, now: datetime, horizon=WINDOWS[-1]) -> NowAndNext:
    """The shift going on now (whole) and the next one, looking at most `horizon` ahead."""
    for ahead in (*(w for w in WINDOWS if w < horizon), horizon):
        found = shifts_from(schedule, now, now + ahead)
        current = found[0] if found and found[0].start <= now else None
        upcoming = [s for s in found if s.start > now]
        if upcoming and (current is None or current.end < now + ahead):
            break
    return NowAndNext(schedule, current, upcoming[0] if upcoming else None)


def shifts_of_person(user, start: datetime, end: datetime, schedules=None):
    """[(schedule, ShiftOf)] for the person's own final shifts, in time order."""
    if schedules is None:
        schedules = with_layers(Schedule.objects.filter(team__memberships__user=user))
    mine = []
    for schedule in schedules:
        for shift in final_shifts(schedule, start, end):
            if shift.user.pk == user.pk:
                mine.append((schedule, shift))
    mine.sort(key=lambda pair: pair[1].start)
    return mine


@transaction.atomic
def replace_layers(schedule: Schedule, layers: list[dict]) -> None:
    """Replace the schedule's layers with `layers` (validated dicts, bottom layer first)."""
    schedule.layers.all().delete()
    for position, data in enumerate(layers):
        layer = Layer.objects.create(
            schedule=schedule,
            position=position,
            name=data.get("name", ""),
            shift_length=data["shift_length"],
            shift_unit=data["shift_unit"],
            handoff_time=data["handoff_time"],
            start_date=data["start_date"],
            restrictions=data.get("restrictions", []),
        )
        LayerParticipant.objects.bulk_create(
            LayerParticipant(layer=layer, user=user, position=turn)
            for turn, user in enumerate(data["participants"])
        )


def unsaved_layers(layers: list[dict]) -> list[rotation.Layer]:
    """rotation.py layers from validated dicts, to check coverage before saving."""
    return [
        rotation.Layer(
            tuple(user.pk for user in data["participants"]),
            data["shift_length"],
            data["shift_unit"],
            data["handoff_time"],
            data["start_date"],
            tuple(restriction_of(r) for r in data.get("restrictions", [])),
        )
        for data in layers
    ]


def coverage_gaps(schedule: Schedule, layers: list[dict] | None, now: datetime):
    """Uncovered time in the next four weeks, with the layers as given (or as saved)."""
    end = now + COVERAGE_WINDOW
    overrides = (
        tuple(
            rotation.Override(o.user_id, o.start, o.end)
            for o in schedule.overrides.overlapping(now, end)
        )
        if schedule.pk
        else ()
    )
    proposed = rotation.Schedule(
        schedule.time_zone,
        tuple(unsaved_layers(layers))
        if layers is not None
        else tuple(layer_of(layer) for layer in schedule.layers.all()),
        overrides,
    )
    return rotation.gaps(proposed, now, end)


def add_override(schedule: Schedule, user, start: datetime, end: datetime, actor) -> Override:
    return Override.objects.create(
        schedule=schedule, user=user, start=start, end=end, created_by=actor
    )
