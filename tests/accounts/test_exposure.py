"""People are shown only to those who share a team with them (staff see everyone): the
teams API lists every team but only the members of your own teams, the assign-role form
lists only your teammates, and naming anyone else is the same 400 as naming nobody."""

from __future__ import annotations

import pytest

from accounts.models import Membership, Role
from accounts.permissions import people_visible_to
from incidents import lifecycle
from incidents.models import IncidentRole, RoleAssignment

from ..helpers import api_client, declare, make_user


def members_by_team(user) -> dict[str, list[str]]:
    response = api_client(user).get("/api/v1/teams/")
    assert response.status_code == 200
    return {
        team["name"]: sorted(m["user"]["email"] for m in team["members"])
        for team in response.json()["results"]
    }


def test_members_see_their_own_teams_members_and_not_others(cast):
    assert members_by_team(cast.viewer) == {
        "Ops": ["admin@example.com", "responder@example.com", "viewer@example.com"],
        "Other": [],
    }
    assert members_by_team(cast.outsider) == {"Ops": [], "Other": ["outsider@example.com"]}


def test_a_person_in_no_team_sees_the_teams_but_nobody_in_them(cast):
    loner = make_user("loner@example.com")
    assert members_by_team(loner) == {"Ops": [], "Other": []}
    response = api_client(loner).get(f"/api/v1/teams/{cast.team.pk}/")
    assert response.status_code == 200
    assert response.json()["members"] == []


def test_staff_see_every_teams_members(cast):
    assert members_by_team(cast.staff)["Other"] == ["outsider@example.com"]
    assert len(members_by_team(cast.staff)["Ops"]) == 3


def test_people_visible_to_is_teammates_and_oneself(cast):
    loner = make_user("loner@example.com")
    assert set(people_visible_to(loner)) == {loner}
    assert set(people_visible_to(cast.outsider)) == {cast.outsider}
    assert set(people_visible_to(cast.viewer)) == {cast.admin, cast.responder, cast.viewer}
    assert cast.outsider in people_visible_to(cast.staff)


def test_the_role_form_lists_only_teammates(cast, client):
    incident = declare(cast)
    client.force_login(cast.responder)
    html = client.get(f"/incidents/{incident.ref}/").content.decode()
    assert "admin@example.com" in html or "Admin" in html
    assert f'<option value="{cast.outsider.pk}"' not in html
    assert f'<option value="{cast.staff.pk}"' not in html
    assert f'<option value="{cast.admin.pk}"' in html


def test_the_role_form_refuses_someone_outside_your_teams(cast, client):
    incident = declare(cast)
    client.force_login(cast.responder)
    client.post(f"/incidents/{incident.ref}/assign/", {"role": "scribe", "user": cast.outsider.pk})
    assert not RoleAssignment.objects.filter(incident=incident, user=cast.outsider).exists()


@pytest.mark.parametrize("name", ["outsider@example.com", "OUTSIDER@example.com", "id"])
def test_naming_someone_you_cannot_see_is_the_same_400_as_nobody(cast, name):
    incident = declare(cast)
    api = api_client(cast.responder)
    ref = cast.outsider.pk if name == "id" else name
    hidden = api.post(
        f"/api/v1/incidents/{incident.ref}/roles/", {"role": "scribe", "user": ref}, format="json"
    )
    ghost = 999_999 if name == "id" else "ghost@example.com"
    unknown = api.post(
        f"/api/v1/incidents/{incident.ref}/roles/", {"role": "scribe", "user": ghost}, format="json"
    )
    assert hidden.status_code == unknown.status_code == 400
    assert hidden.json()["detail"].replace(str(ref), "?") == unknown.json()["detail"].replace(
        str(ghost), "?"
    )
    assert not RoleAssignment.objects.filter(incident=incident, user=cast.outsider).exists()


def test_a_new_teammate_can_be_named_at_once(cast):
    incident = declare(cast)
    Membership.objects.create(team=cast.team, user=cast.outsider, role=Role.VIEWER)
    response = api_client(cast.responder).post(
        f"/api/v1/incidents/{incident.ref}/roles/",
        {"role": "scribe", "user": "outsider@example.com"},
        format="json",
    )
    assert response.status_code == 200
    assert RoleAssignment.objects.filter(incident=incident, user=cast.outsider).exists()


def test_someone_holding_a_role_on_the_incident_can_be_relieved_of_it(cast, client):
    """Staff gave the outsider a role: the incident's page shows them, so the team can
    take it back even though the outsider is in no team of theirs."""
    incident = declare(cast)
    lifecycle.assign_role(incident, cast.staff, IncidentRole.SCRIBE, cast.outsider)
    response = api_client(cast.responder).post(
        f"/api/v1/incidents/{incident.ref}/unassign/",
        {"role": "scribe", "user": "outsider@example.com"},
        format="json",
    )
    assert response.status_code == 200
    assert not RoleAssignment.objects.filter(incident=incident, user=cast.outsider).exists()
    lifecycle.assign_role(incident, cast.staff, IncidentRole.SCRIBE, cast.outsider)
    client.force_login(cast.responder)
    client.post(
        f"/incidents/{incident.ref}/unassign/", {"role": "scribe", "user": cast.outsider.pk}
    )
    assert not RoleAssignment.objects.filter(incident=incident, user=cast.outsider).exists()
