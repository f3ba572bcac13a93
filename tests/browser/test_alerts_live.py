"""An alert's life shows in an open incident page as it happens, without reloading."""

from __future__ import annotations

import json

import httpx
import pytest

from accounts.models import Membership, Role, Team
from incidents.alerts.models import Kind
from incidents.models import Service

from ..alerts.helpers import make_integration, payload
from ..helpers import make_user
from .test_incident_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def send(server: str, key: str, body: dict) -> httpx.Response:
    return httpx.post(
        f"{server}/hooks/alertmanager/{key}/",
        content=json.dumps(body),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )


def test_alerts_resolving_appear_live_on_the_incident_page(asgi_server, new_page):
    team = Team.objects.create(name="Ops", slug="ops")
    Membership.objects.create(team=team, user=make_user("ana@example.com"), role=Role.RESPONDER)
    service = Service.objects.create(name="payments-api", team=team)
    _integration, key = make_integration(service, Kind.ALERTMANAGER)
    ref = send(asgi_server, key, payload("alertmanager_firing")).json()["incidents"][0]

    page = new_page()
    log_in(page, asgi_server, "ana@example.com")
    page.goto(f"{asgi_server}/incidents/{ref}/")
    page.locator('#live-status[data-state="live"]').wait_for()
    page.locator("#alerts-panel", has_text="BlackBox Probe Failure").wait_for()
    page.evaluate("window.notReloaded = true")

    assert send(asgi_server, key, payload("alertmanager_partly_resolved")).status_code == 202
    page.locator(
        ".timeline .event-alert", has_text="Alert resolved: BlackBox Probe Failure"
    ).wait_for(timeout=5000)
    assert send(asgi_server, key, payload("alertmanager_resolved")).status_code == 202
    page.locator(".timeline .event-alert", has_text="All alerts resolved").wait_for(timeout=5000)
    assert page.evaluate("window.notReloaded") is True
