"""Web Push devices: the push-subscriptions API, and pages encrypted for the browser
(RFC 8291) and signed with VAPID (RFC 8292), sent to a local server playing the push
service, which checks the signature and decrypts with the subscription's own keys. The
decrypted Acknowledge URL acknowledges without a login; a push service's 410 removes the
device and tells its owner."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from incidents.models import Service, Status
from incidents.paging import delivery, escalate, senders
from incidents.paging.models import ContactMethod, Escalation, Notification, PushSubscription
from incidents.paging.providers import webpush
from tests.helpers import api_client, declare
from tests.push_service import PushService

from .helpers import make_policy


@pytest.fixture
def vapid(settings):
    public, private = webpush.new_vapid_keys()
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = public, private
    settings.VAPID_SUBJECT = "mailto:oncall@example.com"
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the push service listens on 127.0.0.1
    return public


@pytest.fixture
def push_service(vapid):
    with PushService() as running:
        yield running


def subscribe(user, browser, name="Pixel"):
    return api_client(user).post("/api/v1/push-subscriptions/",
                                 {**browser.to_json(), "name": name}, format="json")  # fmt: skip


@pytest.fixture
def paged(cast, push_service, committed):
    browser = push_service.browser("responder-phone")
    assert subscribe(cast.responder, browser).status_code == 201
    checkout = Service.objects.create(name="checkout")
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), (5, [{"user": cast.admin.pk}]),
                service=checkout)  # fmt: skip
    incident = declare(cast, actor=None, services=[checkout], title="Checkout 502s")
    escalation = Escalation.objects.get(incident=incident)
    escalate.run_step(escalation.pk, str(escalation.token), datetime.now(UTC))
    return incident, escalation, Notification.objects.get()


def test_devices_are_added_listed_updated_and_removed_by_their_owner_only(cast, push_service):
    phone, laptop = push_service.browser("phone"), push_service.browser("laptop")
    answer = subscribe(cast.responder, phone, "Pixel")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["name"], body["endpoint"]) == ("Pixel", phone.endpoint) and "keys" not in body
    method = ContactMethod.objects.get(pk=body["contact_method"])
    assert (method.kind, method.address, method.user) == ("webpush", phone.endpoint,
                                                          cast.responder)  # fmt: skip
    assert list(method.rules.values_list("delay_minutes", flat=True)) == [0]
    assert subscribe(cast.responder, laptop, "Work laptop").status_code == 201
    assert subscribe(cast.responder, phone, "Pixel 8").status_code == 201  # the same browser
    mine = api_client(cast.responder).get("/api/v1/push-subscriptions/").json()
    assert [d["name"] for d in mine] == ["Pixel 8", "Work laptop"]
    assert api_client(cast.admin).get("/api/v1/push-subscriptions/").json() == []
    laptop_id = mine[1]["id"]
    assert (
        api_client(cast.admin).delete(f"/api/v1/push-subscriptions/{laptop_id}/").status_code == 404
    )
    assert PushSubscription.objects.filter(pk=laptop_id).exists()
    assert (
        api_client(cast.responder).delete(f"/api/v1/push-subscriptions/{laptop_id}/").status_code
        == 204
    )
    assert not PushSubscription.objects.filter(pk=laptop_id).exists()
    assert ContactMethod.objects.filter(kind="webpush").count() == 1
    # Another person enabling notifications in the same browser takes it over.
    assert subscribe(cast.admin, phone, "Shared tablet").status_code == 201
    device = PushSubscription.objects.get()
    assert (device.user, device.contact_method.user) == (cast.admin, cast.admin)


@pytest.mark.parametrize(
    "change",
    [{"keys": None}, {"keys": {"p256dh": "abc", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}},
     {"keys": {"auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, {"auth_short": True}, {"endpoint": "push"},
     {"endpoint": 7}, {"name": 3}, {"endpoint": "https://x.example/" + "a" * 500}],
)  # fmt: skip
def test_bad_subscriptions_are_refused_clearly(cast, push_service, change):
    body = push_service.browser("phone").to_json()
    if change.pop("auth_short", False):
        body["keys"]["auth"] = "AAAA"
    body.update(change)
    answer = api_client(cast.responder).post("/api/v1/push-subscriptions/", body, format="json")
    assert answer.status_code == 400 and answer.json()["detail"]
    assert not PushSubscription.objects.exists() and not ContactMethod.objects.exists()


def test_the_contact_methods_api_sends_devices_to_push_subscriptions(cast):
    answer = api_client(cast.responder).post(
        "/api/v1/contact-methods/", {"kind": "webpush", "address": "https://push.example/x"},
        format="json",
    )  # fmt: skip
    assert answer.status_code == 400 and "push-subscriptions" in answer.json()["detail"]


def test_a_page_is_encrypted_for_the_device_signed_and_its_acknowledge_works(
    paged, push_service, vapid, cast
):
    incident, escalation, notification = paged
    assert delivery.send(notification.pk, datetime.now(UTC)) is None
    assert push_service.refused == []
    [push] = push_service.pushes
    assert push.vapid_key == vapid and push.claims["sub"] == "mailto:oncall@example.com"
    assert push.headers["Urgency"] == "high"
    payload = push.payload
    assert payload["title"] == f"[SEV2] {incident.ref} Checkout 502s"
    assert (payload["ref"], payload["severity"]) == (incident.ref, "SEV2")
    assert payload["url"].endswith(incident.get_absolute_url())
    notification.refresh_from_db()
    assert notification.status == "delivered"
    # What the service worker's Acknowledge does: POST the signed URL, no cookies.
    answer = Client(enforce_csrf_checks=True).post(
        urlsplit(payload["ack_url"]).path, {"action": "acknowledge"}
    )
    assert answer.status_code == 200 and "Acknowledged. Paging has stopped." in answer.text
    incident.refresh_from_db()
    escalation.refresh_from_db()
    assert (incident.status, escalation.status) == (Status.INVESTIGATING, "acknowledged")
    room = Client()
    room.force_login(cast.admin)
    assert (
        "acknowledged the incident from a push notification"
        in room.get(incident.get_absolute_url()).text
    )


def test_a_device_the_push_service_says_is_gone_is_removed_and_its_owner_told(
    paged, push_service, cast
):
    _incident, _escalation, notification = paged
    push_service.gone.add("/push/responder-phone")
    delivery.send(notification.pk, datetime.now(UTC))
    notification.refresh_from_db()
    assert notification.status == "failed" and "410" in notification.detail
    assert not PushSubscription.objects.exists()
    assert not ContactMethod.objects.filter(kind="webpush").exists()
    told = [m for m in mail.outbox if m.to == [cast.responder.email]]
    assert told and "Pixel" in told[0].subject and "Enable notifications" in told[0].body


def test_a_test_page_reaches_the_device(cast, push_service):
    subscribe(cast.responder, push_service.browser("phone"))
    method = ContactMethod.objects.get()
    answer = api_client(cast.responder).post(f"/api/v1/contact-methods/{method.pk}/test/")
    assert answer.json()["outcome"] == "delivered"
    [push] = push_service.pushes
    assert (push.payload["ref"], push.payload["ack_url"]) == ("TEST", "")


def test_without_vapid_keys_a_page_fails_and_says_why(cast, push_service, settings):
    subscribe(cast.responder, push_service.browser("phone"))
    settings.VAPID_PRIVATE_KEY = ""
    method = ContactMethod.objects.get()
    answer = api_client(cast.responder).post(f"/api/v1/contact-methods/{method.pk}/test/")
    assert answer.json()["outcome"] == "failed" and "VAPID" in answer.json()["detail"]
    assert push_service.pushes == []


def test_the_vapid_keys_command_prints_a_working_pair(settings, push_service):
    out = StringIO()
    call_command("vapid_keys", stdout=out)
    pair = dict(line.split("=", 1) for line in out.getvalue().splitlines() if "=" in line
                and not line.startswith("#"))  # fmt: skip
    browser = push_service.browser("phone")
    keys = browser.to_json()["keys"]
    result = webpush.send(browser.endpoint, keys["p256dh"], keys["auth"], {"hello": 1},
                          private_key=pair["VAPID_PRIVATE_KEY"], subject="mailto:a@example.com",
                          now=datetime.now(UTC))  # fmt: skip
    assert result.delivered and push_service.pushes[0].vapid_key == pair["VAPID_PUBLIC_KEY"]
    assert push_service.pushes[0].payload == {"hello": 1}


@pytest.mark.parametrize("title", ["x" * 100_000, "line\nbreak\r\x00\x1b[31m", "\ud800 lone", ""])
def test_any_title_makes_a_payload_push_services_take(title):
    page = senders.Page(delivery_id="d", step=1, ref="INC-1", title=title, severity="SEV1",
                        status="triggered", service="s" * 5000, url="https://k/" + "i" * 200,
                        ack_url="https://k/page/ack/" + "a" * 200 + "/")  # fmt: skip
    data = json.dumps(senders.webpush_payload(page), separators=(",", ":")).encode()
    assert len(data) <= webpush.PAYLOAD_LIMIT
