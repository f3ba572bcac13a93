"""The integrations and maintenance API: keys shown once, rotation, disabling, maintenance,
bad input answered 400 with a message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.alerts.models import Alert, Integration, MaintenanceWindow
from incidents.models import Incident

from ..helpers import api_client
from .helpers import make_integration, payload, post


@pytest.fixture
def responder(cast):
    return api_client(cast.responder)


def test_creating_an_integration_shows_its_key_and_url_once(responder, ops_service, settings):
    settings.SITE_URL = "https://keel.example.com"
    response = responder.post(
        "/api/v1/integrations/", {"service": ops_service.pk, "kind": "alertmanager"}, format="json"
    )
    assert response.status_code == 201, response.data
    key, url = response.data["key"], response.data["url"]
    assert len(key) == 32 and key.isalnum()
    assert url == f"https://keel.example.com/hooks/alertmanager/{key}/"
    integration = Integration.objects.get()
    assert key not in integration.key_hash and integration.key_hint == key[-4:]
    again = responder.get(f"/api/v1/integrations/{integration.pk}/")
    assert key not in again.content.decode()
    assert post(f"/hooks/alertmanager/{key}/", payload("alertmanager_firing")).status_code == 202


def test_a_pagerduty_integration_url_is_the_enqueue_endpoint(responder, ops_service, settings):
    settings.SITE_URL = "https://keel.example.com"
    response = responder.post(
        "/api/v1/integrations/", {"service": "payments-api", "kind": "pagerduty"}, format="json"
    )
    assert response.data["url"] == "https://keel.example.com/v2/enqueue"


def test_rotating_a_key_retires_the_old_one(responder, ops_service):
    integration, old = make_integration(ops_service)
    response = responder.post(f"/api/v1/integrations/{integration.pk}/rotate/")
    assert response.status_code == 200
    new = response.data["key"]
    assert new != old
    assert post(f"/hooks/alertmanager/{old}/", payload("alertmanager_firing")).status_code == 404
    assert post(f"/hooks/alertmanager/{new}/", payload("alertmanager_firing")).status_code == 202


def test_disabling_an_integration_refuses_its_key(responder, ops_service):
    integration, key = make_integration(ops_service)
    response = responder.patch(
        f"/api/v1/integrations/{integration.pk}/", {"enabled": False}, format="json"
    )
    assert response.status_code == 200 and response.data["enabled"] is False
    assert post(f"/hooks/alertmanager/{key}/", payload("alertmanager_firing")).status_code == 404


def test_the_secret_is_write_only(responder, ops_service):
    response = responder.post(
        "/api/v1/integrations/",
        {"service": ops_service.pk, "kind": "grafana", "secret": "s3cret"},
        format="json",
    )
    assert "s3cret" not in response.content.decode()
    assert response.data["has_secret"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"service": 10**20, "kind": "grafana"}, "service"),
        ({"service": "nope", "kind": "grafana"}, "service"),
        ({"service": None, "kind": "grafana"}, "service"),
        ({"kind": "grafana"}, "service"),
        ({"service": "payments-api", "kind": "nagios"}, "kind"),
        ({"service": "payments-api", "kind": "grafana", "severity_map": {"x": "SEV9"}},
         "severity_map"),
        ({"service": "payments-api", "kind": "grafana", "severity_map": ["x"]}, "severity_map"),
        ({"service": "payments-api", "kind": "grafana", "enabled": "maybe"}, "enabled"),
    ],
)  # fmt: skip
def test_bad_integration_input_is_400_naming_the_field(responder, ops_service, body, field):
    response = responder.post("/api/v1/integrations/", body, format="json")
    assert response.status_code == 400
    assert field in response.data["errors"]
    assert response.data["detail"]


def test_a_kind_cannot_change(responder, ops_service):
    integration, _key = make_integration(ops_service)
    response = responder.patch(
        f"/api/v1/integrations/{integration.pk}/", {"kind": "grafana"}, format="json"
    )
    assert response.status_code == 400


def test_maintenance_stores_and_counts_alerts_but_opens_no_incident(responder, ops_service):
    _integration, key = make_integration(ops_service)
    ends_at = (timezone.now() + timedelta(hours=1)).isoformat()
    response = responder.post(
        "/api/v1/maintenance-windows/",
        {"service": ops_service.pk, "ends_at": ends_at, "reason": "Database upgrade"},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["active"] is True
    url = f"/hooks/alertmanager/{key}/"
    post(url, payload("alertmanager_firing"))
    post(url, payload("alertmanager_firing"))
    assert not Incident.objects.exists()
    assert set(Alert.objects.values_list("count", "in_maintenance")) == {(2, True)}

    ended = responder.post(f"/api/v1/maintenance-windows/{response.data['id']}/end/")
    assert ended.data["active"] is False
    # Still firing after maintenance: the next notification opens the incident.
    post(url, payload("alertmanager_firing"))
    incident = Incident.objects.get()
    assert Alert.objects.filter(incident=incident, count=3).count() == 3


@pytest.mark.parametrize(
    "body",
    [
        {"ends_at": "yesterday"},
        {"ends_at": "2001-01-01T00:00:00Z"},
        {"ends_at": "2999-01-01T00:00:00Z"},
        {},
    ],
)
def test_bad_maintenance_input_is_400(responder, ops_service, body):
    response = responder.post(
        "/api/v1/maintenance-windows/", {"service": ops_service.pk, **body}, format="json"
    )
    assert response.status_code == 400
    assert response.data["detail"]
    assert not MaintenanceWindow.objects.exists()


def test_people_outside_the_team_see_no_integrations(cast, ops_service):
    make_integration(ops_service, name="Prod alertmanager")
    response = api_client(cast.outsider).get("/api/v1/integrations/")
    assert response.status_code == 200 and response.data["results"] == []
    assert len(api_client(cast.viewer).get("/api/v1/integrations/").data["results"]) == 1
