"""Grafana's webhook contact point, with and without an HMAC signature and timestamp."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from incidents.alerts.models import Alert, Kind
from incidents.models import Incident

from .helpers import make_integration, payload, post

SECRET = "grafana-shared-secret"


def sign(body: bytes, timestamp: str | None = None) -> str:
    message = f"{timestamp}:".encode() + body if timestamp else body
    return hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()


@pytest.fixture
def body() -> bytes:
    return json.dumps(payload("grafana_firing")).encode()


def test_an_unsigned_payload_is_taken_when_the_integration_has_no_secret(ops_service, body):
    _integration, key = make_integration(ops_service, Kind.GRAFANA)
    response = post(f"/hooks/grafana/{key}/", body)
    assert response.status_code == 202
    assert Alert.objects.count() == 2
    assert Incident.objects.get().title == "This alert was triggered for zone us-1"


def test_a_signed_payload_is_taken(ops_service, body):
    _integration, key = make_integration(ops_service, Kind.GRAFANA, secret=SECRET)
    response = post(f"/hooks/grafana/{key}/", body, **{"X-Grafana-Alerting-Signature": sign(body)})
    assert response.status_code == 202
    assert Alert.objects.count() == 2


def test_a_signed_payload_with_a_timestamp_is_taken(ops_service, body):
    _integration, key = make_integration(ops_service, Kind.GRAFANA, secret=SECRET)
    now = str(int(time.time()))
    headers = {"X-Grafana-Alerting-Signature": sign(body, now), "X-Grafana-Alerting-Timestamp": now}
    assert post(f"/hooks/grafana/{key}/", body, **headers).status_code == 202


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Grafana-Alerting-Signature": "0" * 64},
        {"X-Grafana-Alerting-Signature": sign(b"another body")},
        # Signed without the timestamp that came with it.
        {"X-Grafana-Alerting-Signature": "BODY", "X-Grafana-Alerting-Timestamp": "TS"},
        # A replay: an old timestamp, correctly signed.
        {"X-Grafana-Alerting-Signature": "OLD", "X-Grafana-Alerting-Timestamp": "1000000000"},
    ],
    ids=["unsigned", "wrong", "other-body", "timestamp-not-signed", "replayed"],
)
def test_a_bad_signature_is_401_and_stores_nothing(ops_service, body, headers):
    _integration, key = make_integration(ops_service, Kind.GRAFANA, secret=SECRET)
    headers = dict(headers)
    if headers.get("X-Grafana-Alerting-Signature") == "BODY":
        headers["X-Grafana-Alerting-Signature"] = sign(body)
        headers["X-Grafana-Alerting-Timestamp"] = str(int(time.time()))
    if headers.get("X-Grafana-Alerting-Signature") == "OLD":
        headers["X-Grafana-Alerting-Signature"] = sign(body, "1000000000")
    response = post(f"/hooks/grafana/{key}/", body, **headers)
    assert response.status_code == 401
    assert "signature" in response.json()["detail"].lower()
    assert not Alert.objects.exists()
