"""Services belong to a team: only its responders and admins (and staff) add or change
them, on the API and on the services page. Services from before teams were required
(no team) keep working; only staff may change them."""

from __future__ import annotations

import pytest

from incidents.models import Service

from ..helpers import api_client, declare, make_user


@pytest.fixture
def ops_service(cast) -> Service:
    return Service.objects.create(name="payments-api", team=cast.team)


@pytest.fixture
def teamless_service(db) -> Service:
    return Service.objects.create(name="legacy-billing")


def test_a_responder_adds_a_service_to_their_team(cast):
    response = api_client(cast.responder).post(
        "/api/v1/services/", {"name": "search", "team": cast.team.pk}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["team"] == cast.team.pk
    assert Service.objects.get(name="search").team == cast.team


@pytest.mark.parametrize("person", ["responder", "viewer", "outsider", "admin"])
def test_a_service_without_a_team_is_refused_from_anyone(cast, person):
    response = api_client(getattr(cast, person)).post(
        "/api/v1/services/", {"name": "search"}, format="json"
    )
    assert response.status_code == 400
    assert "team" in response.json()["errors"]
    assert not Service.objects.exists()


def test_a_person_in_no_team_cannot_add_a_service(cast):
    loner = make_user("loner@example.com")
    for body in ({"name": "search"}, {"name": "search", "team": cast.team.pk}):
        response = api_client(loner).post("/api/v1/services/", body, format="json")
        assert response.status_code == 400
        assert "team" in response.json()["errors"]
    assert not Service.objects.exists()


@pytest.mark.parametrize("person", ["viewer", "outsider"])
def test_only_the_teams_responders_add_its_services(cast, person):
    response = api_client(getattr(cast, person)).post(
        "/api/v1/services/", {"name": "search", "team": cast.team.pk}, format="json"
    )
    assert response.status_code == 400
    assert "not a responder of Ops" in response.json()["detail"]
    assert not Service.objects.exists()


def test_a_responder_cannot_move_a_service_to_no_team(cast, ops_service):
    response = api_client(cast.responder).patch(
        f"/api/v1/services/{ops_service.pk}/", {"team": None}, format="json"
    )
    assert response.status_code == 400
    assert "team" in response.json()["errors"]
    ops_service.refresh_from_db()
    assert ops_service.team == cast.team


def test_a_responder_cannot_give_a_service_to_a_team_they_do_not_respond_for(cast, ops_service):
    response = api_client(cast.responder).patch(
        f"/api/v1/services/{ops_service.pk}/", {"team": cast.other_team.pk}, format="json"
    )
    assert response.status_code == 400
    ops_service.refresh_from_db()
    assert ops_service.team == cast.team


@pytest.mark.parametrize("person", ["viewer", "outsider"])
def test_people_outside_the_teams_responders_cannot_rename_its_service(cast, ops_service, person):
    response = api_client(getattr(cast, person)).patch(
        f"/api/v1/services/{ops_service.pk}/", {"name": "renamed"}, format="json"
    )
    assert response.status_code == 403
    ops_service.refresh_from_db()
    assert ops_service.name == "payments-api"


@pytest.mark.parametrize("person", ["responder", "admin", "outsider", "viewer"])
def test_only_staff_change_a_service_without_a_team(cast, teamless_service, person):
    response = api_client(getattr(cast, person)).patch(
        f"/api/v1/services/{teamless_service.pk}/", {"name": "renamed"}, format="json"
    )
    assert response.status_code == 403
    assert "only staff" in response.json()["detail"]
    teamless_service.refresh_from_db()
    assert teamless_service.name == "legacy-billing"


def test_staff_give_a_service_without_a_team_a_team(cast, teamless_service):
    response = api_client(cast.staff).patch(
        f"/api/v1/services/{teamless_service.pk}/", {"team": cast.team.pk}, format="json"
    )
    assert response.status_code == 200
    teamless_service.refresh_from_db()
    assert teamless_service.team == cast.team


def test_a_service_without_a_team_still_works_on_incidents(cast, teamless_service):
    incident = declare(cast, services=[teamless_service])
    listed = api_client(cast.viewer).get("/api/v1/services/").json()["results"]
    assert {"id": teamless_service.pk, "team": None}.items() <= listed[0].items()
    response = api_client(cast.responder).get(f"/api/v1/incidents/{incident.ref}/")
    assert response.json()["services"] == [{"id": teamless_service.pk, "name": "legacy-billing"}]


# --- The services page ---------------------------------------------------------------------


def test_the_page_offers_only_the_teams_the_person_responds_for(cast, client):
    client.force_login(cast.outsider)
    html = client.get("/services/").content.decode()
    assert "Add a service" in html
    assert f'<option value="{cast.other_team.pk}"' in html
    assert f'<option value="{cast.team.pk}"' not in html


@pytest.mark.parametrize("person", ["viewer", "loner"])
def test_viewers_and_people_in_no_team_see_no_add_form_and_cannot_post(cast, client, person):
    user = make_user("loner@example.com") if person == "loner" else cast.viewer
    client.force_login(user)
    assert "Add a service" not in client.get("/services/").content.decode()
    response = client.post("/services/", {"name": "search", "team": cast.team.pk})
    assert response.status_code == 403
    assert not Service.objects.exists()


def test_the_page_refuses_a_team_the_person_does_not_respond_for(cast, client):
    client.force_login(cast.outsider)
    response = client.post("/services/", {"name": "search", "team": cast.team.pk})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Service.objects.exists()
