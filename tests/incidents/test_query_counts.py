"""Lists cost the same number of queries for 1 incident as for 50."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import lifecycle
from incidents.models import IncidentRole, Service

from ..helpers import api_client, declare


def fill(cast, count: int) -> None:
    services = [Service.objects.get_or_create(name=f"svc-{n}")[0] for n in range(3)]
    for n in range(count):
        incident = declare(cast, title=f"Incident {n}", services=services[: 1 + n % 3])
        lifecycle.assign_role(incident, cast.responder, IncidentRole.SCRIBE, cast.admin)


def queries(callable_) -> int:
    callable_()  # warm up: the first use of a token records when it was used
    with CaptureQueriesContext(connection) as captured:
        response = callable_()
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("who", ["responder", "staff"])
def test_api_list_query_count_does_not_grow_with_incidents(cast, who):
    client = api_client(getattr(cast, who))
    fill(cast, 1)
    one = queries(lambda: client.get("/api/v1/incidents/"))
    fill(cast, 49)
    fifty = queries(lambda: client.get("/api/v1/incidents/"))
    assert one == fifty


def test_incident_list_page_query_count_does_not_grow_with_incidents(cast, client):
    client.force_login(cast.responder)
    fill(cast, 1)
    one = queries(lambda: client.get("/incidents/"))
    fill(cast, 49)
    fifty = queries(lambda: client.get("/incidents/"))
    assert one == fifty


def test_timeline_query_count_does_not_grow_with_events(cast):
    client = api_client(cast.responder)
    incident = declare(cast)
    one = queries(lambda: client.get(f"/api/v1/incidents/{incident.ref}/timeline/"))
    for n in range(30):
        lifecycle.add_note(incident, cast.admin if n % 2 else cast.responder, f"note {n}")
    many = queries(lambda: client.get(f"/api/v1/incidents/{incident.ref}/timeline/"))
    assert one == many
