"""An Alertmanager group firing, repeating, partly and fully resolving: one incident, one
alert per fingerprint, a readable timeline."""

from __future__ import annotations

import pytest

from incidents.alerts.models import Alert, Kind
from incidents.models import Incident, Status

from .helpers import make_integration, payload, post


def kinds(incident: Incident) -> list[str]:
    return list(incident.events.order_by("seq").values_list("kind", flat=True))


def alert_bodies(incident: Incident) -> list[str]:
    return list(incident.events.filter(kind="alert").order_by("seq").values_list("body", flat=True))


@pytest.fixture
def am(ops_service):
    integration, key = make_integration(ops_service, Kind.ALERTMANAGER)
    return integration, f"/hooks/alertmanager/{key}/"


def test_a_firing_group_opens_one_triggered_incident_on_the_service(am, ops_service, cast):
    _integration, url = am
    response = post(url, payload("alertmanager_firing"))
    assert response.status_code == 202
    assert response.json()["alerts"] == 3
    incident = Incident.objects.get()
    assert response.json()["incidents"] == [incident.ref]
    assert incident.status == Status.TRIGGERED
    assert incident.declared_by is None
    assert incident.severity == "SEV1"  # severity="critical"
    assert incident.team == cast.team
    assert list(incident.services.all()) == [ops_service]
    assert incident.title == "BlackBox Probe Failure: https://server.example.org"
    assert Alert.objects.filter(incident=incident, status="firing").count() == 3
    assert alert_bodies(incident) == [
        "Alert fired: BlackBox Probe Failure: https://server.example.org",
        "Alert fired: BlackBox Probe Failure: https://api.example.org",
        "Alert fired: BlackBox Probe Failure: https://www.example.org",
    ]


def test_repeats_count_on_the_alert_and_post_once_per_window(am):
    _integration, url = am
    for _ in range(4):
        response = post(url, payload("alertmanager_firing"))
        assert response.status_code == 202
    incident = Incident.objects.get()
    assert response.json()["incidents"] == [incident.ref]
    assert list(Alert.objects.values_list("count", flat=True)) == [4, 4, 4]
    repeats = [b for b in alert_bodies(incident) if "repeated" in b]
    # The first repeat of each alert is said once; the next ones fall in its window.
    assert repeats == [
        "Alert repeated, 2 times so far: BlackBox Probe Failure: https://server.example.org",
        "Alert repeated, 2 times so far: BlackBox Probe Failure: https://api.example.org",
        "Alert repeated, 2 times so far: BlackBox Probe Failure: https://www.example.org",
    ]


def test_with_no_window_every_repeat_is_said(am, settings):
    settings.ALERTS_REPEAT_WINDOW = 0
    _integration, url = am
    for _ in range(3):
        post(url, payload("alertmanager_firing"))
    repeats = [b for b in alert_bodies(Incident.objects.get()) if "repeated" in b]
    assert len(repeats) == 6


def test_partly_then_fully_resolved_group_says_so_and_stays_open(am):
    _integration, url = am
    post(url, payload("alertmanager_firing"))
    assert post(url, payload("alertmanager_partly_resolved")).status_code == 202
    incident = Incident.objects.get()
    assert Alert.objects.get(dedup_key="1a30ba71cca2921f").status == "resolved"
    assert "Alert resolved: BlackBox Probe Failure: https://server.example.org" in (
        alert_bodies(incident)
    )
    assert not any("All alerts" in b for b in alert_bodies(incident))

    post(url, payload("alertmanager_resolved"))
    incident.refresh_from_db()
    assert alert_bodies(incident)[-1] == "All alerts resolved. The incident stays open."
    assert incident.status == Status.TRIGGERED
    assert not Alert.objects.firing().exists()


def test_an_auto_resolving_integration_resolves_the_incident(ops_service):
    _integration, key = make_integration(ops_service, Kind.ALERTMANAGER, auto_resolve=True)
    url = f"/hooks/alertmanager/{key}/"
    post(url, payload("alertmanager_firing"))
    post(url, payload("alertmanager_resolved"))
    incident = Incident.objects.get()
    assert incident.status == Status.RESOLVED
    assert incident.events.order_by("seq").last().body == (
        "Resolved by itself: every alert resolved."
    )


def test_a_resolved_key_firing_again_opens_a_new_incident(am):
    _integration, url = am
    post(url, payload("alertmanager_firing"))
    post(url, payload("alertmanager_resolved"))
    first = Incident.objects.get()
    post(url, payload("alertmanager_firing"))
    assert Incident.objects.count() == 2
    second = Incident.objects.exclude(pk=first.pk).get()
    assert Alert.objects.filter(incident=second, status="firing").count() == 3
    assert Alert.objects.filter(dedup_key="1a30ba71cca2921f").count() == 2


def test_a_new_alert_of_an_open_group_joins_its_incident(am):
    _integration, url = am
    body = payload("alertmanager_firing")
    later = body["alerts"].pop()
    post(url, body)
    body["alerts"].append(later)
    post(url, body)
    assert Incident.objects.count() == 1
    assert Alert.objects.filter(incident=Incident.objects.get()).count() == 3
    assert Alert.objects.filter(opened_incident=True).count() == 1


def test_alerts_of_another_group_open_their_own_incident(am):
    _integration, url = am
    post(url, payload("alertmanager_firing"))
    other = payload("alertmanager_firing", groupKey='{}:{alertname="DiskFull"}')
    other["alerts"] = [dict(other["alerts"][0], fingerprint="ffff000011112222")]
    post(url, other)
    assert Incident.objects.count() == 2


def test_when_people_resolved_the_incident_a_still_firing_alert_opens_a_new_one(am, cast):
    from incidents import lifecycle

    _integration, url = am
    post(url, payload("alertmanager_firing"))
    first = Incident.objects.get()
    lifecycle.resolve(first, cast.responder, "Fixed the probe")
    post(url, payload("alertmanager_firing"))
    assert Incident.objects.open().count() == 1
    assert Incident.objects.open().get() != first
    assert Alert.objects.firing().count() == 3
    first.refresh_from_db()
    assert first.status == Status.RESOLVED


def test_a_severity_mapping_overrides_the_usual_words(ops_service):
    _integration, key = make_integration(
        ops_service, Kind.ALERTMANAGER, severity_map={"critical": "SEV2"}
    )
    post(f"/hooks/alertmanager/{key}/", payload("alertmanager_firing"))
    assert Incident.objects.get().severity == "SEV2"


def test_without_a_severity_label_the_default_applies(ops_service):
    _integration, key = make_integration(ops_service, Kind.ALERTMANAGER, default_severity="SEV4")
    body = payload("alertmanager_firing")
    for alert in body["alerts"]:
        del alert["labels"]["severity"]
    post(f"/hooks/alertmanager/{key}/", body)
    assert Incident.objects.get().severity == "SEV4"


def test_generic_json_fires_and_resolves(ops_service):
    _integration, key = make_integration(ops_service, Kind.GENERIC)
    url = f"/hooks/generic/{key}/"
    response = post(url, payload("generic_firing"))
    assert response.status_code == 202
    assert response.json()["dedup_keys"] == ["db-1-disk"]
    incident = Incident.objects.get()
    assert (incident.title, incident.severity) == ("Disk almost full on db-1", "SEV3")
    post(url, payload("generic_firing", status="resolved"))
    assert Alert.objects.get().status == "resolved"
    assert alert_bodies(incident)[-1] == "All alerts resolved. The incident stays open."
