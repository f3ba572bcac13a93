"""The proof of an import: who the source says is on call, against who Keel says is, at
every instant of a period. Keel's side is the computation behind GET
/api/v1/schedules/{id}/shifts/ (oncall.services.final_shifts)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.contenttypes.models import ContentType

from incidents.oncall import services as oncall
from incidents.oncall.models import Schedule

from .document import ScheduleShifts
from .models import SourceLink


@dataclass(frozen=True)
class Difference:
    schedule: str
    team: str
    start: datetime
    end: datetime
    source_people: list[str]  # emails, sorted
    keel_people: list[str]
    detail: str = ""  # e.g. "no such schedule in Keel"

    def __str__(self) -> str:
        def who(people: list[str]) -> str:
            return ", ".join(people) or "nobody"

        line = (
            f"{self.schedule} ({self.team}) {_shown(self.start)} to {_shown(self.end)}: "
            f"source has {who(self.source_people)}, Keel has {who(self.keel_people)}"
        )
        return f"{line} ({self.detail})" if self.detail else line


def _shown(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _parse(value: str | datetime) -> datetime:
    at = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if at.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return at


def find_schedule(entry: ScheduleShifts) -> Schedule | None:
    link = SourceLink.objects.filter(
        source=entry.get("source") or "", content_type=ContentType.objects.get_for_model(Schedule)
    ).first()
    found = Schedule.objects.filter(pk=link.object_id) if link else Schedule.objects.none()
    if not found.exists():
        found = Schedule.objects.filter(team__slug=entry["team"], name=entry["schedule"])
    return oncall.with_layers(found).first()


Stretch = tuple[datetime, datetime, str]


def _coverage(stretches: list[Stretch], cuts: list[datetime]) -> list[frozenset[str]]:
    """Who is on call in each piece [cuts[i], cuts[i+1]); every stretch starts and ends
    on a cut."""
    index = {at: number for number, at in enumerate(cuts)}
    pieces: list[set[str]] = [set() for _ in cuts[1:]]
    for start, end, email in stretches:
        for number in range(index[start], index[end]):
            pieces[number].add(email)
    return [frozenset(piece) for piece in pieces]


def differences_in(
    entry: ScheduleShifts, keel: list[Stretch], start: datetime, end: datetime, detail: str = ""
) -> list[Difference]:
    source = [
        (max(_parse(s["start"]), start), min(_parse(s["end"]), end), s["email"].strip().lower())
        for s in entry["shifts"]
    ]
    source = [s for s in source if s[0] < s[1]]
    keel = [(max(a, start), min(b, end), who) for a, b, who in keel if a < end and b > start]
    cuts = sorted({start, end, *(t for a, b, _ in source + keel for t in (a, b))})
    found: list[Difference] = []
    for (a, b), theirs, ours in zip(
        itertools.pairwise(cuts), _coverage(source, cuts), _coverage(keel, cuts),
        strict=True,
    ):  # fmt: skip
        if theirs == ours:
            continue
        people = (sorted(theirs), sorted(ours))
        last = found[-1] if found else None
        if last and last.end == a and (last.source_people, last.keel_people) == people:
            found[-1] = Difference(last.schedule, last.team, last.start, b, *people, detail)
        else:
            found.append(Difference(entry["schedule"], entry["team"], a, b, *people, detail))
    return found


def compare(expected: list[ScheduleShifts], *, start: datetime, end: datetime) -> list[Difference]:
    """Every stretch of [start, end) where the source and Keel disagree on who is on call,
    schedule by schedule; none means identical coverage."""
    found: list[Difference] = []
    for entry in expected:
        schedule = find_schedule(entry)
        if schedule is None:
            found += differences_in(entry, [], start, end, "no such schedule in Keel")
            continue
        keel = [
            (shift.start, shift.end, shift.user.email.lower())
            for shift in oncall.final_shifts(schedule, start, end)
        ]
        found += differences_in(entry, keel, start, end)
    return found
