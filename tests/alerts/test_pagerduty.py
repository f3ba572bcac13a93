"""POST /v2/enqueue answers as PagerDuty's Events API v2 does, for every event_action."""

from __future__ import annotations

import pytest

from incidents.alerts.models import Alert, Kind
from incidents.models import Incident, Status

from .helpers import make_integration, payload, post

URL = "/v2/enqueue"


@pytest.fixture
def routing_key(ops_service) -> str:
    return make_integration(ops_service, Kind.PAGERDUTY)[1]


def test_trigger_answers_202_with_the_dedup_key(routing_key):
    response = post(URL, payload("pagerduty_trigger", routing_key=routing_key))
    assert response.status_code == 202
    assert response.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "samplekeyhere",
    }
    incident = Incident.objects.get()
    assert (incident.status, incident.severity) == (Status.TRIGGERED, "SEV4")  # info
    assert incident.title == "Example alert on host1.example.com"
    assert Alert.objects.get().source_url == "https://monitoring.service.com"


def test_trigger_without_dedup_key_gets_one_that_later_events_can_use(routing_key):
    body = payload("pagerduty_trigger", routing_key=routing_key)
    del body["dedup_key"]
    dedup_key = post(URL, body).json()["dedup_key"]
    assert Alert.objects.get().dedup_key == dedup_key
    response = post(URL, {"routing_key": routing_key, "event_action": "resolve",
                          "dedup_key": dedup_key})  # fmt: skip
    assert response.status_code == 202
    assert Alert.objects.get().status == "resolved"


def test_repeated_triggers_count_on_one_alert(routing_key):
    for _ in range(5):
        post(URL, payload("pagerduty_trigger", routing_key=routing_key))
    assert Alert.objects.get().count == 5
    assert Incident.objects.count() == 1


def test_acknowledge_acknowledges_the_incident(routing_key):
    post(URL, payload("pagerduty_trigger", routing_key=routing_key))
    response = post(URL, payload("pagerduty_acknowledge", routing_key=routing_key))
    assert response.status_code == 202
    assert response.json()["dedup_key"] == "samplekeyhere"
    incident = Incident.objects.get()
    assert incident.status == Status.INVESTIGATING
    assert incident.acknowledged_at is not None
    ack = incident.events.get(kind="ack")
    assert ack.author is None
    # A second acknowledge changes nothing and is still a success.
    assert post(URL, payload("pagerduty_acknowledge", routing_key=routing_key)).status_code == 202


def test_resolve_resolves_the_alert_and_says_so(routing_key):
    post(URL, payload("pagerduty_trigger", routing_key=routing_key))
    post(URL, payload("pagerduty_resolve", routing_key=routing_key))
    alert = Alert.objects.get()
    assert alert.status == "resolved" and alert.resolved_at is not None
    bodies = list(Incident.objects.get().events.values_list("body", flat=True))
    assert "Alert resolved: Example alert on host1.example.com" in bodies


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_or_resolve_of_an_unknown_key_is_accepted_and_dropped(routing_key, action):
    response = post(URL, payload(f"pagerduty_{action}", routing_key=routing_key,
                                 dedup_key="never-seen"))  # fmt: skip
    assert response.status_code == 202
    assert response.json()["status"] == "success"
    assert not Alert.objects.exists() and not Incident.objects.exists()


def test_an_invalid_event_is_400_in_pagerdutys_shape(routing_key):
    body = payload("pagerduty_trigger", routing_key=routing_key)
    body["payload"]["severity"] = "urgent"
    response = post(URL, body)
    assert response.status_code == 400
    assert response.json() == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["'payload.severity' must be one of critical, error, warning, info"],
    }


def test_a_routing_key_of_the_wrong_length_is_refused_as_pagerduty_does(db):
    response = post(URL, payload("pagerduty_trigger"))  # "samplekeyhere"
    assert response.status_code == 400
    assert response.json()["errors"] == [
        "Length of 'routing_key' is incorrect (should be 32 characters)"
    ]


def test_an_unknown_or_disabled_routing_key_is_404(routing_key, ops_service):
    response = post(URL, payload("pagerduty_trigger", routing_key="x" * 32))
    assert response.status_code == 404
    assert response.json()["status"] == "invalid event"
    ops_service.integrations.update(enabled=False)
    assert post(URL, payload("pagerduty_trigger", routing_key=routing_key)).status_code == 404
    assert not Alert.objects.exists()


def test_a_key_of_another_kind_is_unknown_here(ops_service):
    _integration, key = make_integration(ops_service, Kind.ALERTMANAGER)
    assert post(URL, payload("pagerduty_trigger", routing_key=key)).status_code == 404


def test_bad_json_is_400_in_pagerdutys_shape(db):
    response = post(URL, b"{not json")
    assert response.status_code == 400
    assert response.json()["status"] == "invalid event"


def test_a_body_over_512_kb_is_413(routing_key):
    body = payload("pagerduty_trigger", routing_key=routing_key)
    body["payload"]["custom_details"] = {"blob": "x" * (512 * 1024)}
    assert post(URL, body).status_code == 413
    assert not Alert.objects.exists()


def test_repeats_stop_counting_once_the_integration_is_disabled(routing_key, ops_service):
    for _ in range(3):  # the second repeat takes the hot path (one UPDATE)
        assert post(URL, payload("pagerduty_trigger", routing_key=routing_key)).status_code == 202
    ops_service.integrations.update(enabled=False)
    assert post(URL, payload("pagerduty_trigger", routing_key=routing_key)).status_code == 404
    assert Alert.objects.get().count == 3
