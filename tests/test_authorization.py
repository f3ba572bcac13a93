"""Runs the authorization table (tests/authz_table.py): who gets which status code."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import resolve

from incidents.api.views import IncidentViewSet
from incidents.models import Incident

from .authz_table import ENDPOINTS, PEOPLE, setup
from .helpers import api_client, declare

CASES = [(e, who) for e in ENDPOINTS for who in PEOPLE]


@pytest.mark.parametrize(("endpoint", "who"), CASES, ids=[f"{e.name}-{who}" for e, who in CASES])
def test_endpoint_answers_each_person_as_the_table_says(cast, endpoint, who):
    ctx = setup(cast, endpoint.status)
    user = cast.by_name(who)
    if endpoint.page:
        client = Client()
        if user is not None:
            client.force_login(user)
        response = getattr(client, endpoint.method)(endpoint.path(ctx), endpoint.body(ctx))
    else:
        client = api_client(user)
        response = getattr(client, endpoint.method)(
            endpoint.path(ctx), endpoint.body(ctx), format="json"
        )
    expected = endpoint.expected[who]
    assert response.status_code == expected, getattr(response, "data", response.content[:300])
    if response.status_code == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    if response.status_code == 302 and who == "anonymous":
        assert response["Location"].startswith("/accounts/login/")


def test_every_api_route_and_method_is_in_the_table(cast):
    """A new endpoint must join the table: every route the API serves, with every method it
    accepts, is exercised by some row."""
    ctx = setup(cast, "investigating")
    tested = set()
    for endpoint in ENDPOINTS:
        match = resolve(endpoint.path(ctx).split("?")[0])
        tested.add((match.route, endpoint.method.upper()))
    served = set()
    for route, methods in api_routes():
        served.update((route, method) for method in methods)
    missing = served - tested
    assert not missing, f"endpoints missing from tests/authz_table.py: {sorted(missing)}"


def api_routes():
    """(route, methods) for every API view, as the URL resolver sees them."""
    for path in ["/api/v1/incidents/", "/api/v1/incidents/INC-1/", "/api/v1/services/",
                 "/api/v1/services/1/", "/api/v1/teams/", "/api/v1/teams/1/", "/api/v1/tokens/",
                 "/api/v1/tokens/1/", "/api/v1/me/"] + [
        f"/api/v1/incidents/INC-1/{action}/" for action in INCIDENT_ACTIONS
    ]:  # fmt: skip
        match = resolve(path)
        view = match.func
        actions = getattr(view, "actions", None)
        methods = set(view.cls.http_method_names) & {"get", "post", "patch", "put", "delete"}
        if actions is not None:
            methods &= set(actions)
        methods = {m.upper() for m in methods}
        yield match.route, methods - {"HEAD", "OPTIONS"}


INCIDENT_ACTIONS = [action.url_path for action in IncidentViewSet.get_extra_actions()]


def test_the_outsider_sees_public_incidents_but_not_private_ones_in_lists(cast):
    public = declare(cast, title="Public one")
    declare(cast, title="Private one", private=True)
    response = api_client(cast.outsider).get("/api/v1/incidents/?status=open")
    assert [i["ref"] for i in response.data["results"]] == [public.ref]
    page = Client()
    page.force_login(cast.outsider)
    html = page.get("/incidents/").content.decode()
    assert "Public one" in html and "Private one" not in html


def test_an_outsider_may_work_on_a_public_incident(cast):
    incident = declare(cast)
    response = api_client(cast.outsider).post(
        f"/api/v1/incidents/{incident.ref}/notes/", {"body": "DB team here"}, format="json"
    )
    assert response.status_code == 201
    assert Incident.objects.get(pk=incident.pk).last_seq == 3


def test_someone_with_no_team_may_read_public_incidents_but_not_change_them(cast):
    from .helpers import make_user

    loner = make_user("loner@example.com")
    incident = declare(cast)
    client = api_client(loner)
    assert client.get(f"/api/v1/incidents/{incident.ref}/").status_code == 200
    response = client.post(f"/api/v1/incidents/{incident.ref}/notes/", {"body": "hi"})
    assert response.status_code == 403
    assert "responder" in response.data["detail"]


def test_session_auth_on_the_api_requires_a_csrf_token(cast):
    incident = declare(cast)
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.responder)
    url = f"/api/v1/incidents/{incident.ref}/notes/"
    response = client.post(url, {"body": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    client.get("/incidents/")  # sets the csrftoken cookie, as the browser would
    token = client.cookies["csrftoken"].value
    response = client.post(
        url, {"body": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201
