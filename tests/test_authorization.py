"""Runs the authorization table (tests/authz_table.py): who gets which status code, and
what each person notices: an allowed write happened, a refused one changed nothing, a read
shows its content only to those who may see it. Every route the URL resolver serves must be
in the table."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from accounts.models import ApiToken, Membership, Team, User
from incidents import views as pages
from incidents.alerts.models import Alert, Integration, MaintenanceWindow
from incidents.chat.models import (
    ChatChannel,
    ChatDelivery,
    ChatIdentity,
    ChatThread,
    LinkedChannel,
)
from incidents.models import Incident, RefCounter, RoleAssignment, Service, TimelineEvent
from incidents.oncall.models import (
    Layer,
    LayerParticipant,
    Override,
    PersonalCalendar,
    Schedule,
)
from incidents.paging.models import (
    ContactMethod,
    Escalation,
    EscalationPolicy,
    EscalationStep,
    Notification,
    NotificationRule,
    ReminderIntervals,
    ServicePaging,
)

from .authz_table import ENDPOINTS, PEOPLE, Endpoint, setup
from .helpers import api_client, declare
from .postmortems.authz_rows import snapshot_rows as postmortem_snapshot

CASES = [(e, who) for e in ENDPOINTS for who in PEOPLE]
# Routes served by libraries with their own access rules, not by Keel's code.
NOT_KEELS = ("admin/",)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Everything a request could change that a person would notice (sessions and
    last-used/last-login times aside)."""
    return {
        "incidents": list(Incident.objects.order_by("pk").values()),
        "events": list(TimelineEvent.objects.order_by("pk").values()),
        "roles": list(RoleAssignment.objects.order_by("pk").values()),
        "services": list(Service.objects.order_by("pk").values()),
        "schedules": list(Schedule.objects.order_by("pk").values()),
        "layers": list(Layer.objects.order_by("pk").values()),
        "participants": list(LayerParticipant.objects.order_by("pk").values()),
        "overrides": list(Override.objects.order_by("pk").values()),
        "calendars": list(PersonalCalendar.objects.order_by("pk").values()),
        "counters": list(RefCounter.objects.order_by("pk").values()),
        "teams": list(Team.objects.order_by("pk").values()),
        "memberships": list(Membership.objects.order_by("pk").values()),
        "chat_channels": list(ChatChannel.objects.order_by("pk").values()),
        "chat_identities": list(ChatIdentity.objects.order_by("pk").values()),
        "chat_deliveries": list(ChatDelivery.objects.order_by("pk").values()),
        "chat_threads": list(ChatThread.objects.order_by("pk").values()),
        "chat_links": list(LinkedChannel.objects.order_by("pk").values()),
        "integrations": list(Integration.objects.order_by("pk").values()),
        "alerts": list(Alert.objects.order_by("pk").values()),
        "maintenance": list(MaintenanceWindow.objects.order_by("pk").values()),
        "escalations": list(Escalation.objects.order_by("pk").values()),
        "notifications": list(Notification.objects.order_by("pk").values()),
        "contact_methods": list(ContactMethod.objects.order_by("pk").values()),
        "policies": list(EscalationPolicy.objects.order_by("pk").values()),
        "steps": list(EscalationStep.objects.order_by("pk").values()),
        "rules": list(NotificationRule.objects.order_by("pk").values()),
        "service_policies": list(ServicePaging.objects.order_by("pk").values()),
        "reminder_intervals": list(ReminderIntervals.objects.order_by("pk").values()),
        "tokens": list(ApiToken.objects.order_by("pk").values("pk", "user", "name", "revoked_at")),
        **postmortem_snapshot(),
        "people": list(
            User.objects.order_by("pk").values(
                "pk", "email", "display_name", "time_zone", "password", "is_active", "is_staff"
            )
        ),
    }


def is_allowed(endpoint: Endpoint, who: str) -> bool:
    code = endpoint.expected[who]
    # Anonymous people are only ever let through to public pages; their 302 is to log in.
    return code < 400 and not (who == "anonymous" and code in (301, 302, 401))


def request(endpoint: Endpoint, client, path: str, body: dict):
    if endpoint.page:
        return getattr(client, endpoint.method)(path, body)
    return getattr(client, endpoint.method)(path, body, format="json")


@pytest.mark.parametrize(("endpoint", "who"), CASES, ids=[f"{e.name}-{who}" for e, who in CASES])
def test_endpoint_answers_each_person_as_the_table_says(cast, endpoint, who):
    ctx = setup(cast, endpoint.status)
    user = cast.by_name(who)
    if endpoint.page:
        client = Client()
        if user is not None:
            client.force_login(user)
    else:
        client = api_client(user)
    ctx.user, ctx.client = user, client
    path, body = endpoint.path(ctx), endpoint.body(ctx)
    allowed = is_allowed(endpoint, who)
    if endpoint.effect is not None and allowed:
        assert not endpoint.effect(ctx), "the effect is already there before the request"
    before = snapshot()

    response = request(endpoint, client, path, body)

    expected = endpoint.expected[who]
    assert response.status_code == expected, getattr(response, "data", response.content[:300])
    if response.status_code == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    if response.status_code == 302 and who == "anonymous" and endpoint.name != "home":
        assert response["Location"].startswith("/accounts/login/")
    if endpoint.read_only:
        assert snapshot() == before, f"{who}'s read-only request changed something"
    elif endpoint.method != "get":
        if allowed:
            assert endpoint.effect(ctx), f"{who} was allowed, but the change did not happen"
        else:
            assert snapshot() == before, f"{who} was refused, but something changed"
    if endpoint.shows is not None:
        sees = endpoint.sees if endpoint.sees is not None else allowed
        text = endpoint.shows(ctx)
        content = response.content.decode(errors="replace")
        seen = text in content
        assert seen == (who in sees if isinstance(sees, frozenset) else sees), (
            f"{who} {'saw' if seen else 'did not see'} {text!r}"
        )


def test_every_write_row_names_its_effect():
    missing = [
        e.name for e in ENDPOINTS if e.method != "get" and e.effect is None and not e.read_only
    ]
    assert not missing, f"write rows without an effect: {missing}"


def served_routes(patterns=None, prefix: str = ""):
    """(route, view) for every URL pattern Keel serves, from the URL resolver."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        # Joined as Django joins routes in ResolverMatch.route (an inner regex loses its ^).
        route = prefix + str(pattern.pattern).removeprefix("^") if prefix else str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if not route.startswith(NOT_KEELS):
                yield from served_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def methods_of(view) -> set[str] | None:
    """The methods an API view answers (None for a plain Django view: any row will do)."""
    actions = getattr(view, "actions", None)
    cls = getattr(view, "cls", None)
    if actions is not None:  # a viewset route: the router's methods that the viewset allows
        # (DRF adds "head" to a GET route's actions once it has served a request.)
        methods = {m.upper() for m in actions if m in cls.http_method_names}
        return methods - {"HEAD", "OPTIONS"}
    if cls is not None and cls.__module__.startswith("rest_framework.decorators"):
        return {m.upper() for m in cls.http_method_names} - {"HEAD", "OPTIONS"}
    return None


def test_every_route_and_method_is_in_the_table(cast):
    """A new endpoint must join the table: every route the URL resolver serves (API routes
    with every method the router gives them, every page action) is exercised by some row."""
    ctx = setup(cast, "investigating")
    ctx.user, ctx.client = cast.responder, Client()
    tested: set[tuple[str, str]] = set()
    actions: set[str] = set()
    for endpoint in ENDPOINTS:
        match = resolve(endpoint.path(ctx).split("?")[0])
        tested.add((match.route, endpoint.method.upper()))
        if match.func is pages.incident_action:
            actions.add(match.kwargs["action"])
    missing = []
    for route, view in served_routes():
        methods = methods_of(view)
        if methods is None:
            if not any(tested_route == route for tested_route, _ in tested):
                missing.append((route, "any"))
        else:
            missing += [(route, m) for m in sorted(methods) if (route, m) not in tested]
    assert not missing, f"routes missing from tests/authz_table.py: {missing}"
    assert actions == set(pages.ACTIONS), f"page actions missing: {set(pages.ACTIONS) - actions}"


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
