"""Demo schedules for `seed_demo`: each team gets a weekly primary rotation and a
follow-the-sun layer on top that covers the team's nights from another office."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from accounts.models import Role, Team

from .models import Layer, LayerParticipant, Override, Schedule

EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# team slug -> (zone, the night hours another office covers, local)
ZONES = {
    "platform": ("Europe/London", "20:00", "08:00"),
    "payments": ("America/New_York", "19:00", "07:00"),
}


def _layer(schedule: Schedule, position: int, name: str, people, **fields) -> Layer:
    layer = Layer.objects.create(schedule=schedule, position=position, name=name, **fields)
    LayerParticipant.objects.bulk_create(
        LayerParticipant(layer=layer, user=person, position=turn)
        for turn, person in enumerate(people)
    )
    return layer


def seed_schedules(teams: dict[str, Team], now: datetime) -> list[Schedule]:
    made = []
    monday = (now.date() - timedelta(days=now.weekday())) - timedelta(weeks=2)
    for slug, team in teams.items():
        zone, night_start, night_end = ZONES.get(slug, ("UTC", "20:00", "08:00"))
        people = [m.user for m in team.memberships.select_related("user").exclude(role=Role.VIEWER)]
        if not people:
            continue
        schedule = Schedule.objects.create(team=team, name=f"{team.name} on call", time_zone=zone)
        _layer(schedule, 0, "Weekly primary", people, shift_length=1, shift_unit="weeks",
               handoff_time=time(9), start_date=monday)  # fmt: skip
        _layer(
            schedule, 1, "Follow the sun (nights from the other office)", list(reversed(people)),
            shift_length=1, shift_unit="days", handoff_time=time(9), start_date=monday,
            restrictions=[{"days": EVERY_DAY, "start": night_start, "end": night_end}],
        )  # fmt: skip
        tomorrow = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        Override.objects.create(
            schedule=schedule, user=people[-1], start=tomorrow, end=tomorrow + timedelta(hours=4)
        )
        made.append(schedule)
    return made
