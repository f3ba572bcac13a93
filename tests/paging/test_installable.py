"""Keel as an installable app: the manifest and the service worker at the root, public and
under the site's Content-Security-Policy; the ack link answers a service worker in JSON;
the profile offers "Enable notifications on this device" only when VAPID is set up."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from incidents.models import Service
from incidents.paging import ack, escalate
from incidents.paging.models import Escalation, Notification
from tests.helpers import declare

from .helpers import make_policy, webhook_for


def test_the_manifest_is_public_and_names_icons_that_exist():
    answer = Client().get("/manifest.webmanifest")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/manifest+json"
    manifest = answer.json()
    shape = (manifest["start_url"], manifest["scope"], manifest["display"])
    assert shape == ("/", "/", "standalone")
    sizes = {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon["src"]


def test_the_service_worker_is_public_uncached_and_under_the_csp():
    answer = Client().get("/sw.js")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/javascript")
    assert answer["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in answer["Content-Security-Policy"]
    worker = answer.text
    assert 'addEventListener("push"' in worker and "Acknowledge" in worker
    assert "caches." not in worker  # it caches nothing
    page = Client().get("/accounts/login/").text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page and "js/pwa.js" in page


@pytest.fixture
def ack_path(cast, committed, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    checkout = Service.objects.create(name="checkout")
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    webhook_for(cast.responder, "http://127.0.0.1:9/unused")
    incident = declare(cast, actor=None, services=[checkout])
    escalation = Escalation.objects.get(incident=incident)
    escalate.run_step(escalation.pk, str(escalation.token), datetime.now(UTC))
    return urlsplit(ack.url_for(Notification.objects.get().delivery_id)).path


def test_the_ack_link_answers_a_service_worker_in_json(ack_path):
    client = Client(enforce_csrf_checks=True, headers={"Accept": "application/json"})
    answer = client.post(ack_path, {"action": "acknowledge"})
    assert answer.status_code == 200
    assert answer.json() == {"message": "Acknowledged. Paging has stopped."}
    again = client.post(ack_path, {"action": "acknowledge"})
    assert again.status_code == 410 and again.json() == {"error": ack.USED}


def test_the_profile_offers_push_only_with_vapid_keys(cast, settings):
    page = Client()
    page.force_login(cast.responder)
    settings.VAPID_PUBLIC_KEY = ""
    assert "data-push-enable" not in page.get("/accounts/profile/").text
    settings.VAPID_PUBLIC_KEY = "BPublicKey"
    text = page.get("/accounts/profile/").text
    assert "Enable notifications on this device</button>" in text
    assert 'data-vapid-key="BPublicKey"' in text
