"""The service page lists integrations (key and sender config shown once), recent alerts and
maintenance; the incident page lists its alerts."""

from __future__ import annotations

import pytest
from django.test import Client

from incidents.alerts.models import Integration, Kind

from .helpers import make_integration, payload, post


@pytest.fixture
def browser(cast) -> Client:
    client = Client()
    client.force_login(cast.responder)
    return client


def test_the_services_list_links_to_the_service_page(browser, ops_service):
    html = browser.get("/services/").content.decode()
    assert f'href="/services/{ops_service.pk}/"' in html


def test_a_new_integrations_key_url_and_config_are_shown_once(browser, ops_service, settings):
    settings.SITE_URL = "https://keel.example.com"
    response = browser.post(
        f"/services/{ops_service.pk}/integrations/",
        {"kind": "alertmanager", "name": "Prod", "default_severity": "SEV2"},
        follow=True,
    )
    html = response.content.decode()
    integration = Integration.objects.get()
    assert integration.default_severity == "SEV2"
    url_start = "https://keel.example.com/hooks/alertmanager/"
    assert url_start in html
    key = html.split(url_start)[1][:32]
    assert integration.key_hint == key[-4:]
    assert "webhook_configs:" in html and "send_resolved: true" in html
    again = browser.get(f"/services/{ops_service.pk}/").content.decode()
    assert key not in again
    assert "Prod" in again


def test_rotate_and_disable_from_the_page(browser, ops_service):
    integration, old = make_integration(ops_service, Kind.PAGERDUTY)
    html = browser.post(
        f"/services/{ops_service.pk}/integrations/{integration.pk}/rotate/", follow=True
    ).content.decode()
    assert "routing_key:" in html and "pagerduty_configs:" in html
    browser.post(f"/services/{ops_service.pk}/integrations/{integration.pk}/toggle/")
    integration.refresh_from_db()
    assert integration.enabled is False and integration.key_hint != old[-4:]


def test_recent_alerts_and_maintenance_on_the_service_page(browser, ops_service):
    _integration, key = make_integration(ops_service)
    post(f"/hooks/alertmanager/{key}/", payload("alertmanager_firing"))
    browser.post(f"/services/{ops_service.pk}/maintenance/", {"minutes": 30, "reason": "Upgrade"})
    html = browser.get(f"/services/{ops_service.pk}/").content.decode()
    assert "BlackBox Probe Failure: https://api.example.org" in html
    assert "In maintenance until" in html and "Upgrade" in html
    assert "INC-" in html


def test_a_bad_form_says_why(browser, ops_service):
    response = browser.post(
        f"/services/{ops_service.pk}/maintenance/", {"minutes": "-5"}, follow=True
    )
    assert "minutes" in response.content.decode()
    assert "In maintenance until" not in response.content.decode()


def test_the_incident_page_lists_its_alerts(browser, ops_service):
    _integration, key = make_integration(ops_service)
    ref = post(f"/hooks/alertmanager/{key}/", payload("alertmanager_firing")).json()["incidents"][0]
    post(f"/hooks/alertmanager/{key}/", payload("alertmanager_partly_resolved"))
    html = browser.get(f"/incidents/{ref}/").content.decode()
    assert 'id="alerts-panel"' in html
    assert "BlackBox Probe Failure: https://www.example.org" in html
    assert "\N{MULTIPLICATION SIGN}2" in html  # the two still-firing alerts came twice
    assert "instance=https://server.example.org" in html
    assert "http://prometheus.example.org:9090/graph" in html
    assert "Resolved" in html and "Firing" in html


def test_an_outsider_sees_the_service_but_not_its_alerts(cast, ops_service):
    make_integration(ops_service, name="Prod alertmanager")
    client = Client()
    client.force_login(cast.outsider)
    html = client.get(f"/services/{ops_service.pk}/").content.decode()
    assert "payments-api" in html and "Prod alertmanager" not in html
