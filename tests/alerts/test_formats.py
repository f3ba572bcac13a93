"""Each sender's documented payload becomes the same normalised alerts; malformed bodies are
refused naming the field."""

from __future__ import annotations

import pytest

from incidents.alerts import formats
from incidents.alerts.formats import Action, FormatError, PagerDutyInvalid

from .helpers import payload


def test_an_alertmanager_group_becomes_one_alert_per_fingerprint():
    alerts = formats.parse_alertmanager(payload("alertmanager_firing"))
    assert [a.dedup_key for a in alerts] == ["1a30ba71cca2921f", "2b41cb82ddb3a30e",
                                             "3c52dc93eec4b41d"]  # fmt: skip
    first = alerts[0]
    assert first.action == Action.TRIGGER
    assert first.summary == "BlackBox Probe Failure: https://server.example.org"
    assert first.severity == "critical"
    assert first.labels["instance"] == "https://server.example.org"
    assert first.group_key == '{}/{severity="critical"}:{alertname="ProbeFailure"}'
    assert first.source_url.startswith("http://prometheus.example.org:9090/graph")


def test_a_resolved_alertmanager_alert_is_a_resolve():
    alerts = formats.parse_alertmanager(payload("alertmanager_partly_resolved"))
    assert [a.action for a in alerts] == [Action.RESOLVE, Action.TRIGGER, Action.TRIGGER]


def test_an_alert_without_fingerprint_is_keyed_by_its_labels():
    body = payload("alertmanager_firing")
    for alert in body["alerts"]:
        del alert["fingerprint"]
    keys = [a.dedup_key for a in formats.parse_alertmanager(body)]
    assert len(set(keys)) == 3
    assert keys == [a.dedup_key for a in formats.parse_alertmanager(body)]


def test_grafana_payload_parses_with_its_extra_fields():
    alerts = formats.parse_grafana(payload("grafana_firing"))
    assert [a.dedup_key for a in alerts] == ["c6eadffa33fcdf37", "bc97ff14869b13e3"]
    assert alerts[0].summary == "This alert was triggered for zone us-1"
    assert alerts[0].payload["values"] == {"B": 44.23943737541908, "C": 1}


def test_pagerduty_trigger_keeps_its_dedup_key_and_severity():
    routing_key, alert = formats.parse_pagerduty(payload("pagerduty_trigger", routing_key="k" * 32))
    assert routing_key == "k" * 32
    assert alert.dedup_key == "samplekeyhere"
    assert alert.severity == "info"
    assert alert.summary == "Example alert on host1.example.com"
    assert alert.labels["component"] == "postgres"
    assert alert.source_url == "https://monitoring.service.com"


def test_a_pagerduty_trigger_without_dedup_key_gets_one():
    body = payload("pagerduty_trigger", routing_key="k" * 32)
    del body["dedup_key"]
    _key, first = formats.parse_pagerduty(body)
    _key, second = formats.parse_pagerduty(body)
    assert first.dedup_key and first.dedup_key != second.dedup_key


def test_pagerduty_lists_every_problem_at_once():
    with pytest.raises(PagerDutyInvalid) as raised:
        formats.parse_pagerduty({"routing_key": "short", "event_action": "trigger",
                                 "payload": {"summary": "", "severity": "urgent"}})  # fmt: skip
    assert raised.value.errors == [
        "Length of 'routing_key' is incorrect (should be 32 characters)",
        "'payload.summary' is missing or blank",
        "'payload.source' is missing or blank",
        "'payload.severity' must be one of critical, error, warning, info",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"summary": "x" * 1025}, "'payload.summary' is too long (at most 1024 characters)"),
        ({"event_action": "snooze"}, "'event_action' must be one of trigger, acknowledge, resolve"),
        ({"dedup_key": "d" * 256}, "'dedup_key' is too long (at most 255 characters)"),
        ({"dedup_key": 7}, "'dedup_key' must be a string"),
    ],
)
def test_pagerduty_limits(change, message):
    body = payload("pagerduty_trigger", routing_key="k" * 32)
    if "summary" in change:
        body["payload"]["summary"] = change["summary"]
    else:
        body.update(change)
    with pytest.raises(PagerDutyInvalid) as raised:
        formats.parse_pagerduty(body)
    assert message in raised.value.errors


def test_acknowledge_and_resolve_need_a_dedup_key():
    with pytest.raises(PagerDutyInvalid) as raised:
        formats.parse_pagerduty({"routing_key": "k" * 32, "event_action": "resolve"})
    assert raised.value.errors == ["'dedup_key' is missing or blank"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "body"),
        ({"alerts": "many"}, "alerts"),
        ({"alerts": [{"status": "firing", "labels": {"a": 1}}]}, "alerts[0].labels.a"),
        ({"alerts": [{"status": "burning", "labels": {"a": "b"}}]}, "alerts[0].status"),
        ({"alerts": [{"labels": {"a": "b"}}]}, "alerts[0].status"),
        ({"alerts": [{"status": "firing"}]}, "alerts[0].labels"),
        (
            {"alerts": [{"status": "firing", "labels": {}, "fingerprint": 5}]},
            "alerts[0].fingerprint",
        ),
        ({"alerts": [], "commonLabels": ["x"]}, "commonLabels"),
        (
            {"alerts": [{"status": "firing", "labels": {"a": "b"}, "startsAt": 1}]},
            "alerts[0].startsAt",
        ),
    ],
)
def test_malformed_alertmanager_bodies_name_the_field(body, field):
    with pytest.raises(FormatError) as raised:
        formats.parse_alertmanager(body)
    assert raised.value.field == field
    assert raised.value.message.startswith(f"{field}: ")


def test_generic_needs_a_title_and_a_known_status():
    with pytest.raises(FormatError, match="title: is required"):
        formats.parse_generic({"severity": "warning"})
    with pytest.raises(FormatError, match="status: must be firing or resolved"):
        formats.parse_generic({"title": "x", "status": "open"})
    alert = formats.parse_generic(payload("generic_firing"))
    assert (alert.dedup_key, alert.severity, alert.source_url) == (
        "db-1-disk", "warning", "https://grafana.example.org/d/disk"
    )  # fmt: skip
    assert alert.labels == {"host": "db-1", "mount": "/var/lib/postgresql", "used": "93%"}


def test_generic_without_dedup_key_folds_repeats_of_one_title():
    first = formats.parse_generic({"title": "Queue backlog"})
    assert first.dedup_key == formats.parse_generic({"title": "Queue backlog"}).dedup_key
    assert first.action == Action.TRIGGER
