"""What the source modules share: the notes and unique names of one reading, weekly
on-call windows as Keel's restrictions, and adding the people a schedule or policy names
to its team (Keel's schedules and policies take team members only)."""

from __future__ import annotations

from collections.abc import Callable

from accounts.models import User

from ..document import VERSION, Note, ScheduleShifts, SourceShift
from .base import Account

DAY = 24 * 60  # minutes
WEEK = 7 * DAY
DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Reading:
    """What is known while reading one account: users' emails by id, and the notes so far."""

    def __init__(self, emails: dict[str, str]) -> None:
        self.emails = {key: email.strip().lower() for key, email in emails.items() if email}
        self.notes: list[Note] = []
        self.schedule_team: dict[str, tuple[dict, str]] = {}  # schedule id -> (team, name)
        self.team_slugs: dict[str, str] = {}  # source team id -> slug
        self.taken: dict[str, set[str]] = {}

    def email(self, user_id: str | None) -> str | None:
        return self.emails.get(user_id or "")

    def unique(self, kind: str, wanted: str) -> str:
        """`wanted`, or with a number added when an earlier object of `kind` took it (team
        slugs and service names are unique across Keel; a source's need not be)."""
        taken = self.taken.setdefault(kind, set())
        name, number = wanted, 1
        while name.lower() in taken:
            number += 1
            name = f"{wanted}-{number}"
        taken.add(name.lower())
        return name

    def service_name(self, wanted: str, label: str, what: str) -> str:
        """`wanted`, made unique among the services (Keel's service names are), noted
        when it had to change; `what` is what the source calls the thing named."""
        name = self.unique("service", wanted)
        if name != wanted:
            self.note(
                label,
                f"Another {what} has the same name, and Keel's service names are unique.",
                f"The service is named {name}.",
            )
        return name

    def note(self, what: str, reason: str, instead: str) -> None:
        note: Note = {"object": what, "reason": reason, "instead": instead}
        if note not in self.notes:
            self.notes.append(note)


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def restrictions(windows: list[tuple[int, int]]) -> list[dict]:
    """Windows in minutes from Monday 00:00 (they may run past the week's end) as Keel's
    restrictions: each cut into days, days with the same hours together."""
    pieces: dict[tuple[int, int], set[int]] = {}
    for start, end in windows:
        while start < end:
            day_end = (start // DAY + 1) * DAY
            piece_end = min(end, day_end)
            key = (start % DAY, piece_end - start // DAY * DAY)
            pieces.setdefault(key, set()).add(start // DAY % 7)
            start = piece_end
    return [
        {"days": [DAY_NAMES[d] for d in sorted(days)], "start": clock(s),
         "end": "24:00" if e == DAY else clock(e)}
        for (s, e), days in sorted(pieces.items())
    ]  # fmt: skip


def add_missing_members(
    team: dict, emails: list[str], reading: Reading, where: str, tool: str
) -> None:
    have = {m["email"] for m in team["members"]}
    for email in emails:
        if email not in have:
            team["members"].append({"email": email, "role": "responder"})
            have.add(email)
            reading.note(
                f"{email} in {where}",
                f"Not a member of team {team['name']} in {tool}; Keel's schedules and "
                "policies take team members only.",
                f"Added to {team['name']} as a responder.",
            )


def account_of(people: list[dict], teams: list[dict], reading: Reading) -> Account:
    """The read account: its document, its notes, and the people Keel has no account for."""
    document = {"version": VERSION, "people": people, "teams": teams,
                "notes": list(reading.notes)}  # fmt: skip
    emails = [p["email"] for p in people]
    found = User.objects.filter(email__in=emails).values_list("email", flat=True)
    known = {e.lower() for e in found}
    unmatched = sorted(e for e in emails if e not in known)
    return Account(document=document, notes=list(reading.notes), unmatched_people=unmatched)


def imported_oncall(
    account: Account, tool: str, shifts_of: Callable[[str], list[SourceShift]]
) -> list[ScheduleShifts]:
    """The source's own on-call for each imported schedule, `shifts_of` the schedule's id at
    the source (its `source` without the "<tool>:")."""
    return [
        {"schedule": schedule["name"], "team": team["slug"], "source": schedule["source"],
         "shifts": shifts_of(schedule["source"].removeprefix(f"{tool}:"))}
        for team in account.document["teams"]
        for schedule in team["schedules"]
    ]  # fmt: skip
