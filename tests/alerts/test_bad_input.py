"""Malformed and hostile bodies get a clear 4xx and store nothing; a database failure is a
503 (senders retry), never a 500."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError, connection
from django.test import Client

from incidents.alerts.models import Alert, Kind
from incidents.models import Incident

from .helpers import make_integration, payload, post


@pytest.fixture
def url(ops_service) -> str:
    return f"/hooks/alertmanager/{make_integration(ops_service, Kind.ALERTMANAGER)[1]}/"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "The body is not valid JSON"),
        (b"", "The body is not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "The body is not valid JSON"),
        (json.dumps({"alerts": [{"status": "firing", "labels": {"x": ["y"]}}]}).encode(),
         "alerts[0].labels.x: must be a string, not an array"),
        (json.dumps({"alerts": {"a": 1}}).encode(), "alerts: must be an array, not an object"),
        (json.dumps({"alerts": [7]}).encode(), "alerts[0]: must be a JSON object, not a number"),
        (json.dumps("just a string").encode(), "body: must be a JSON object, not a string"),
    ],
    ids=["broken", "empty", "deeply-nested", "label-array", "alerts-object", "alert-number",
         "string"],
)  # fmt: skip
def test_bad_bodies_are_400_with_a_message(url, body, message):
    response = post(url, body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)
    assert not Alert.objects.exists()


def test_a_huge_body_is_413(url):
    body = payload("alertmanager_firing")
    body["alerts"][0]["annotations"]["description"] = "x" * (600 * 1024)
    response = post(url, body)
    assert response.status_code == 413
    assert not Alert.objects.exists()


def test_a_form_post_is_415(url):
    response = Client().post(url, {"alerts": "x"})
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


def test_get_is_405(url):
    response = Client().get(url)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_an_unknown_key_is_404(db):
    for key in ("x" * 32, "short", "a" * 500):
        response = post(f"/hooks/alertmanager/{key}/", payload("alertmanager_firing"))
        assert response.status_code == 404


def test_a_disabled_integration_is_404(ops_service):
    _integration, key = make_integration(ops_service, Kind.ALERTMANAGER, enabled=False)
    assert post(f"/hooks/alertmanager/{key}/", payload("alertmanager_firing")).status_code == 404


def test_a_key_only_works_on_its_own_kind_of_hook(ops_service):
    _integration, key = make_integration(ops_service, Kind.GENERIC)
    assert post(f"/hooks/alertmanager/{key}/", payload("alertmanager_firing")).status_code == 404
    assert post(f"/hooks/generic/{key}/", {"title": "ok"}).status_code == 202


def test_a_sender_over_its_rate_limit_gets_429_with_retry_after(url, settings):
    settings.ALERTS_RATE_LIMIT_PER_MINUTE = 2
    codes = [post(url, {"alerts": []}).status_code for _ in range(3)]
    assert codes[:2] == [202, 202]
    if codes[2] == 202:  # the minute's window turned between requests: one more try
        codes.append(post(url, {"alerts": []}).status_code)
        codes.append(post(url, {"alerts": []}).status_code)
    response = post(url, {"alerts": []})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61
    assert "retry in" in response.json()["detail"]


@pytest.mark.django_db(transaction=True)  # as in production: no test transaction around it
def test_a_database_failure_is_503_with_retry_after(url):
    def refuse(execute, sql, params, many, context):
        if "alerts_alert" in sql:
            raise OperationalError("the database went away")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        response = post(url, payload("alertmanager_firing"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert not Incident.objects.exists()


def test_a_blank_summary_falls_back_to_the_alertname(url):
    body = payload("alertmanager_firing")
    body["alerts"] = [body["alerts"][0]]
    body["alerts"][0]["annotations"] = {"summary": "   ", "description": ""}
    assert post(url, body).status_code == 202
    assert Incident.objects.get().title == "ProbeFailure"


@pytest.mark.django_db(transaction=True)  # a refused statement must not poison a test transaction
def test_a_value_the_database_cannot_store_is_cleaned_not_lost_or_retried(url):
    # A NUL (or a lone surrogate) in one label must not lose the alert: it is stored with
    # U+FFFD in its place, as a UTF-8 decoder shows what it cannot read.
    body = payload("alertmanager_firing")
    body["alerts"][0]["labels"]["instance"] = "db-1\x00"
    response = post(url, body)
    assert response.status_code == 202
    assert Alert.objects.filter(labels__instance="db-1\ufffd").count() == 1
