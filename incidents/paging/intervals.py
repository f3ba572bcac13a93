"""Status-update reminder intervals: a team's own (ReminderIntervals), else the defaults in
PAGING_REMINDER_MINUTES (SEV1 20, SEV2 30, SEV3 60, SEV4 none)."""

from __future__ import annotations

from django.conf import settings

from accounts.models import Team

from .models import ReminderIntervals

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
# Shorter than this would nag a commander who is busy fixing things; longer than a day is
# not a reminder any more.
SHORTEST, LONGEST = 5, 24 * 60


def defaults() -> dict[str, int | None]:
    return {sev: settings.PAGING_REMINDER_MINUTES.get(sev) for sev in SEVERITIES}


def for_team(team_id: int | None) -> dict[str, int | None]:
    row = ReminderIntervals.objects.filter(team_id=team_id).first() if team_id else None
    return row.minutes() if row else defaults()


def by_team() -> dict[int, dict[str, int | None]]:
    """Every team that set its own intervals (one query for a whole beat tick)."""
    return {row.team_id: row.minutes() for row in ReminderIntervals.objects.all()}


def save(team: Team, minutes: dict[str, int | None]) -> ReminderIntervals:
    fields = {sev.lower(): minutes.get(sev) for sev in SEVERITIES}
    row, _created = ReminderIntervals.objects.update_or_create(team=team, defaults=fields)
    return row
