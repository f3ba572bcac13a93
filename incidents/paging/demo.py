"""Demo paging for `seed_demo`: every demo person is reached by email (the console in
`make run`), and each team's services page through its policy: whoever the team's schedule
has on call, then five minutes later the whole team, twice over."""

from __future__ import annotations

from accounts.models import Role, Team
from incidents.models import Service
from incidents.oncall.models import Schedule

from .models import (
    ContactKind,
    ContactMethod,
    EscalationPolicy,
    NotificationRule,
    ServicePaging,
)
from .serializers import replace_steps


def seed_paging(teams: dict[str, Team]) -> list[EscalationPolicy]:
    made = []
    for team in teams.values():
        for membership in team.memberships.select_related("user").exclude(role=Role.VIEWER):
            method, _ = ContactMethod.objects.get_or_create(
                user=membership.user, kind=ContactKind.EMAIL, address=membership.user.email
            )
            NotificationRule.objects.get_or_create(contact_method=method, delay_minutes=0)
        schedule = Schedule.objects.filter(team=team).order_by("pk").first()
        first = [{"schedule": schedule}] if schedule else [{"team": team}]
        policy = EscalationPolicy.objects.create(name=f"{team.name} paging", team=team, repeat=1)
        replace_steps(policy, [{"delay_minutes": 5, "targets": first},
                               {"delay_minutes": 5, "targets": [{"team": team}]}])  # fmt: skip
        for service in Service.objects.filter(team=team):
            ServicePaging.objects.update_or_create(service=service, defaults={"policy": policy})
        made.append(policy)
    return made
