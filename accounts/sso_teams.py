"""Team memberships from a provider's group claim, applied at every sign-in through it.

The teams a provider's `teams` mapping names are the provider's to manage: a member of a
mapped group gets (or keeps) the membership with the mapped role (the highest, when several
groups map to one team), and loses it on leaving every such group. Memberships in teams the
mapping does not name are left alone (admins add those by hand).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from .models import Membership, Role, Team, User

RANK = {Role.VIEWER: 0, Role.RESPONDER: 1, Role.ADMIN: 2}


def groups_from(claims: dict, claim: str) -> set[str]:
    value = claims.get(claim)
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {g for g in value if isinstance(g, str)}
    return set()


def find_or_create_team(name_or_slug: str) -> Team:
    team = (
        Team.objects.filter(slug=name_or_slug).first()
        or Team.objects.filter(name__iexact=name_or_slug).first()
    )
    if team is None:
        team = Team.objects.create(name=name_or_slug, slug=slugify(name_or_slug))
    return team


@transaction.atomic
def apply_groups(user: User, groups: set[str], mapping: dict[str, dict]) -> None:
    teams = {target["team"]: find_or_create_team(target["team"]) for target in mapping.values()}
    wanted: dict[int, str] = {}  # team id -> role
    for group, target in mapping.items():
        if group in groups:
            team_id = teams[target["team"]].pk
            held = wanted.get(team_id)
            if held is None or RANK[Role(target["role"])] > RANK[Role(held)]:
                wanted[team_id] = target["role"]
    for team in {team.pk: team for team in teams.values()}.values():
        role = wanted.get(team.pk)
        if role is None:
            Membership.objects.filter(team=team, user=user).delete()
            continue
        membership = Membership.objects.filter(team=team, user=user).first()
        if membership is None:
            Membership.objects.create(team=team, user=user, role=role)
        elif membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
