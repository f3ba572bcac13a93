"""An alert's life shows in an open incident page as it happens, without reloading."""

from __future__ import annotations

import json

import httpx
import pytest

from accounts.models import Membership, Role, Team
from incidents.alerts.models import Alert, Kind
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
    # The alerts panel follows: every alert now says resolved, none firing.
    panel = page.locator("#alerts-panel")
    panel.locator(".alert-resolved").first.wait_for(timeout=5000)
    panel.locator(".alert-firing").first.wait_for(state="detached", timeout=5000)
    assert panel.locator(".alert-row.alert-resolved").count() == Alert.objects.count()
    assert page.evaluate("window.notReloaded") is True


def test_a_new_alerts_incident_appears_in_the_open_list_and_service_page_without_reload(
    asgi_server, new_page
):
    team = Team.objects.create(name="Ops", slug="ops")
    Membership.objects.create(team=team, user=make_user("ana@example.com"), role=Role.RESPONDER)
    Membership.objects.create(team=Team.objects.create(name="Web", slug="web"),
                              user=make_user("bo@example.com"), role=Role.RESPONDER)  # fmt: skip
    service = Service.objects.create(name="payments-api", team=team)
    _integration, key = make_integration(service, Kind.ALERTMANAGER, auto_resolve=True)

    watchers = {}
    for email, path in [("ana@example.com", "/incidents/"),
                        ("ana@example.com", f"/services/{service.pk}/"),
                        ("bo@example.com", "/incidents/")]:  # fmt: skip
        page = new_page()
        log_in(page, asgi_server, email)
        page.goto(f"{asgi_server}{path}")
        page.locator("html[data-feed=live]").wait_for(state="attached")
        page.evaluate("window.notReloaded = true")
        watchers[(email, path)] = page

    ref = send(asgi_server, key, payload("alertmanager_firing")).json()["incidents"][0]
    ana_list = watchers[("ana@example.com", "/incidents/")]
    ana_list.locator("#incident-results a", has_text=ref).wait_for(timeout=5000)
    ana_service = watchers[("ana@example.com", f"/services/{service.pk}/")]
    ana_service.locator("#service-incidents a", has_text=ref).wait_for(timeout=5000)
    # Someone outside the team sees it as well: an alert's incident is public.
    bo_list = watchers[("bo@example.com", "/incidents/")]
    bo_list.locator("#incident-results a", has_text=ref).wait_for(timeout=5000)
    # An incident resolved elsewhere leaves the open list.
    assert send(asgi_server, key, payload("alertmanager_resolved")).status_code == 202
    ana_list.locator("#incident-results a", has_text=ref).wait_for(state="detached", timeout=5000)
    for page in watchers.values():
        assert page.evaluate("window.notReloaded") is True
