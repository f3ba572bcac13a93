"""ntfy and Web Push end to end with a real Celery worker on the `paging` queue (as the
Procfile runs it), a local ntfy server and a local push service: step 1 reaches the
responder's ntfy topic after an outage (retried with backoff), nobody acknowledges, step 2
reaches the admin's phone by Web Push, and its Acknowledge (what Keel's service worker
sends) stops the escalation: nothing more is published or pushed."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from django.test import Client

from incidents.models import Service
from incidents.paging import devices
from incidents.paging.models import ContactKind, ContactMethod, Escalation, NotificationRule
from incidents.paging.providers import webpush
from tests.helpers import declare
from tests.ntfy_server import NtfyServer
from tests.push_service import PushService

from .helpers import make_policy
from .test_worker import wait_for
from .worker import MINUTE_SECONDS, purge, start_worker, stop


@pytest.fixture
def vapid(settings, transactional_db):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.PAGING_MINUTE_SECONDS = float(MINUTE_SECONDS)
    public, private = webpush.new_vapid_keys()
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = public, private
    return {
        "VAPID_PUBLIC_KEY": public, "VAPID_PRIVATE_KEY": private,
        "VAPID_SUBJECT": "mailto:oncall@example.com", "PAGING_RETRY_BASE_SECONDS": "0.5",
    }  # fmt: skip


def test_ntfy_after_an_outage_then_web_push_whose_acknowledge_stops_paging(cast, vapid):
    purge()
    worker = start_worker(**vapid)
    try:
        with NtfyServer() as ntfy_server, PushService() as push_service:
            ntfy_server.outages.append(503)
            method = ContactMethod.objects.create(
                user=cast.responder, kind=ContactKind.NTFY, address=f"{ntfy_server.url}/ops"
            )
            NotificationRule.objects.create(contact_method=method, delay_minutes=0)
            phone = push_service.browser("admin-phone")
            keys = phone.to_json()["keys"]
            devices.subscribe(cast.admin, phone.endpoint, keys["p256dh"], keys["auth"], "Pixel")
            checkout = Service.objects.create(name="checkout")
            make_policy(cast.team, (2, [{"user": cast.responder.pk}]),
                        (2, [{"user": cast.admin.pk}]), repeat=1, service=checkout)  # fmt: skip
            incident = declare(cast, actor=None, services=[checkout])
            wait_for(lambda: ntfy_server.published, worker)
            assert len(ntfy_server.requests) == 2  # the outage, then the retry
            wait_for(lambda: push_service.pushes, worker)
            assert push_service.refused == []
            [push] = push_service.pushes
            assert push.payload["ref"] == incident.ref
            answer = Client(headers={"Accept": "application/json"}).post(
                urlsplit(push.payload["ack_url"]).path, {"action": "acknowledge"}
            )
            assert answer.json() == {"message": "Acknowledged. Paging has stopped."}
            assert Escalation.objects.get(incident=incident).status == "acknowledged"
            seen = (len(ntfy_server.requests), len(push_service.pushes))
            # Unacknowledged, the policy would run again two "minutes" later: wait past it.
            time.sleep(3 * float(MINUTE_SECONDS))
            assert (len(ntfy_server.requests), len(push_service.pushes)) == seen
            event = incident.events.get(kind="ack")
            assert event.author == cast.admin and event.data["via"] == "push"
    finally:
        stop(worker)
