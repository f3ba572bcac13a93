"""Which team `/incident declare` declares for: the one named with `team:<slug>`, else the
team of the workspace channel it is typed in, else the person's only team. Only teams the
person responds for count; any other is answered as unknown, so names do not leak."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from accounts.models import Role, Team, User
from accounts.permissions import can_act_for_team

from .models import ChatChannel, LinkedChannel


class TeamUnclear(Exception):
    """No team, or several, could be the one meant: the message says what to type."""


def team_for(person: User, chat_channel_id: str, wanted: str | None = None) -> Team | None:
    """The team named with `team:<slug>`, else the team of the channel the command was typed
    in (a team's chat channel, or a channel given to an incident), else the person's only
    team. Only teams the person responds for: another team is answered as unknown."""
    teams = [
        m.team
        for m in person.memberships.select_related("team").order_by("team__name")
        if can_act_for_team(person, m.team_id, Role.RESPONDER)
    ]
    if person.is_staff and wanted:  # staff respond for every team
        teams = list(Team.objects.order_by("name"))
    slugs = ", ".join(f"team:{t.slug}" for t in teams)
    if wanted:
        named = [t for t in teams if wanted.lower() in (t.slug.lower(), t.name.lower())]
        if not named:
            mine = f" Yours: {slugs}." if teams else ""
            raise TeamUnclear(f"You do not respond for a team {wanted!r}.{mine}")
        return named[0]
    for team_id in channel_team_ids(chat_channel_id):
        if can_act_for_team(person, team_id, Role.RESPONDER):
            return Team.objects.get(pk=team_id)
    if len(teams) == 1:
        return teams[0]
    if not teams:
        raise PermissionDenied("Only responders may declare incidents: ask a team admin.")
    raise TeamUnclear(f"You respond for several teams: add one of {slugs}.")


def channel_team_ids(chat_channel_id: str) -> list[int]:
    """The team a workspace channel belongs to, when it is one team's: a team's chat
    channel set up with this id, or a channel given to an incident of a team. None when
    channels of several teams share it (the person names one)."""
    if not chat_channel_id:
        return []
    ids = set(
        ChatChannel.objects.filter(slack_channel_id=chat_channel_id).values_list(
            "team_id", flat=True
        )
    )
    if not ids:
        incident = (
            LinkedChannel.objects.filter(slack_channel_id=chat_channel_id)
            .values_list("incident__team_id", flat=True)
            .first()
        )
        ids = {incident} if incident else set()
    return list(ids) if len(ids) == 1 else []
