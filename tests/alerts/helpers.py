"""Helpers for the alerts tests: integrations with known keys, the documented payloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.test import Client

from incidents.alerts.models import Integration, Kind
from incidents.models import Service

PAYLOADS = Path(__file__).parent / "payloads"


def make_integration(service: Service, kind: str = Kind.ALERTMANAGER, **fields):
    """An integration and its raw key."""
    integration = Integration(service=service, kind=kind, **fields)
    key = integration.new_key()
    integration.save()
    return integration, key


def payload(name: str, **replace: Any) -> dict[str, Any]:
    """A documented payload from tests/alerts/payloads/, with top-level fields replaced."""
    body = json.loads((PAYLOADS / f"{name}.json").read_text())
    body.update(replace)
    return body


def hook_path(kind: str, key: str) -> str:
    return "/v2/enqueue" if kind == Kind.PAGERDUTY else f"/hooks/{kind}/{key}/"


def post(path: str, body: Any, client: Client | None = None, **headers):
    """POST JSON as a sender does: no session, no CSRF token."""
    client = client or Client(enforce_csrf_checks=True)
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    content_type = headers.pop("content_type", "application/json")
    return client.post(path, data, content_type=content_type, headers=headers)
