"""An incident declared with services and no team belongs to the team of its services, so
the team sees it, hears of it in chat and can page; services of several teams need the
person to say which team."""

from __future__ import annotations

import pytest

from incidents.models import Incident, Service

from ..helpers import api_client


@pytest.fixture
def checkout(cast) -> Service:
    return Service.objects.create(name="checkout", team=cast.team)


@pytest.fixture
def billing(cast) -> Service:
    return Service.objects.create(name="billing", team=cast.other_team)


def test_services_of_one_team_give_the_incident_that_team(cast, checkout):
    legacy = Service.objects.create(name="legacy-cron")  # no team: does not count
    answer = api_client(cast.responder).post(
        "/api/v1/incidents/",
        {"title": "Carts empty", "services": ["checkout", legacy.pk], "private": True},
        format="json",
    )
    assert answer.status_code == 201, answer.data
    assert answer.data["team"]["id"] == cast.team.pk
    incident = Incident.objects.get()
    assert incident.team == cast.team
    # The team sees its private incident; someone of another team does not.
    assert api_client(cast.viewer).get(f"/api/v1/incidents/{incident.ref}/").status_code == 200
    assert api_client(cast.outsider).get(f"/api/v1/incidents/{incident.ref}/").status_code == 404


def test_services_of_different_teams_without_a_team_are_refused_asking_for_it(
    cast, checkout, billing
):
    answer = api_client(cast.staff).post(
        "/api/v1/incidents/",
        {"title": "Everything down", "services": ["checkout", "billing"]},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.data["detail"] == (
        "The services belong to different teams (Ops, Other): say which team the incident "
        "belongs to (team)."
    )
    assert "team" in answer.data["errors"]
    assert not Incident.objects.exists()


def test_a_named_team_wins_over_the_services_teams(cast, checkout, billing):
    answer = api_client(cast.responder).post(
        "/api/v1/incidents/",
        {"title": "Everything down", "services": ["checkout", "billing"], "team": cast.team.pk},
        format="json",
    )
    assert answer.status_code == 201, answer.data
    assert Incident.objects.get().team == cast.team


def test_another_teams_service_needs_a_team_of_ones_own(cast, billing):
    client = api_client(cast.responder)
    answer = client.post(
        "/api/v1/incidents/", {"title": "Invoices late", "services": ["billing"]}, format="json"
    )
    assert answer.status_code == 403
    assert answer.data["detail"] == (
        "billing belongs to Other, and only its responders may declare its incidents; give "
        "a team of yours as team."
    )
    assert not Incident.objects.exists()
    answer = client.post(
        "/api/v1/incidents/",
        {"title": "Invoices late", "services": ["billing"], "team": cast.team.pk},
        format="json",
    )
    assert answer.status_code == 201
    assert Incident.objects.get().team == cast.team


def test_without_services_or_team_the_incident_has_no_team(cast):
    answer = api_client(cast.responder).post(
        "/api/v1/incidents/", {"title": "Something odd"}, format="json"
    )
    assert answer.status_code == 201
    assert answer.data["team"] is None


def test_the_declare_form_with_no_team_takes_the_services_team(cast, client, checkout):
    client.force_login(cast.responder)
    response = client.post(
        "/incidents/new/",
        {"title": "Search is slow", "severity": "SEV2", "team": "", "services": [checkout.pk]},
    )
    assert response.status_code == 302
    assert Incident.objects.get().team == cast.team
