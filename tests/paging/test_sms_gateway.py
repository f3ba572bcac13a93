"""The generic HTTP SMS gateway (a local server records what Keel sends): a bearer-token
JSON POST per SMS; replies to /hooks/sms-gateway/ signed with HMAC-SHA256 acknowledge; a
wrong signature is 403; voice is not offered with the gateway alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.test import Client

from incidents.models import EventKind, Service, TimelineEvent
from incidents.outbound import signature
from incidents.paging import delivery, escalate
from incidents.paging.models import ContactKind, ContactMethod, Escalation, Notification
from tests.helpers import declare
from tests.receivers import Answer, Receiver

from .helpers import make_policy

NUMBER = "+442079460123"
SECRET = "gateway-secret"


@pytest.fixture
def gateway(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    with Receiver() as receiver:
        settings.SMS_GATEWAY_URL = f"{receiver.url}/send"
        settings.SMS_GATEWAY_TOKEN = "gateway-token"
        settings.SMS_GATEWAY_SECRET = SECRET
        yield receiver


def reply(data: dict, secret: str = SECRET):
    body = json.dumps(data).encode()
    return Client().post("/hooks/sms-gateway/", body, content_type="application/json",
                         HTTP_X_KEEL_SIGNATURE_256=signature(body, secret))  # fmt: skip


def test_a_page_goes_to_the_gateway_and_a_signed_reply_acknowledges(cast, gateway, committed):
    gateway.answer(Answer(status=200, body=b'{"id": "gw-1"}'))
    checkout = Service.objects.create(name="checkout")
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    method = ContactMethod.objects.create(
        user=cast.responder, kind=ContactKind.SMS, address=NUMBER, verified_at=datetime.now(UTC)
    )
    incident = declare(cast, actor=None, services=[checkout])
    escalation = Escalation.objects.get(incident=incident)
    escalate.run_step(escalation.pk, str(escalation.token), datetime.now(UTC))
    notification = Notification.objects.get(contact_method=method)
    delivery.send(notification.pk, datetime.now(UTC))
    (sent,) = gateway.requests
    assert sent.path == "/send" and sent.headers["Authorization"] == "Bearer gateway-token"
    page = json.loads(sent.body)
    assert page["to"] == NUMBER and f"Reply {notification.pk} to ack" in page["message"]
    assert sent.headers["X-Keel-Signature-256"] == signature(sent.body, SECRET)
    assert Notification.objects.get().provider_sid == "gw-1"
    report = reply({"reference": "gw-1", "status": "delivered"})
    assert report.status_code == 204 and Notification.objects.get().detail == "Provider: delivered."

    assert reply({"from": NUMBER, "message": f"{notification.pk}"}, "wrong").status_code == 403
    assert not TimelineEvent.objects.filter(incident=incident, kind=EventKind.ACK).exists()
    answer = reply({"from": NUMBER, "message": f"{notification.pk} ack"})
    assert answer.status_code == 200 and "Acknowledged" in answer.json()["reply"]
    assert Escalation.objects.get().status == "acknowledged"
    ack = TimelineEvent.objects.get(incident=incident, kind=EventKind.ACK)
    assert ack.author == cast.responder and ack.data["via"] == "sms"


def test_bad_bodies_are_400_not_500(gateway, db):
    body = b"not json"
    answer = Client().post("/hooks/sms-gateway/", body, content_type="application/json",
                           HTTP_X_KEEL_SIGNATURE_256=signature(body, SECRET))  # fmt: skip
    assert answer.status_code == 400
    assert reply({"something": "else"}).status_code == 400


def test_with_the_gateway_alone_sms_is_offered_and_voice_is_not(cast, gateway):
    client = Client()
    client.force_login(cast.responder)
    sms = client.post("/api/v1/contact-methods/", {"kind": "sms", "address": NUMBER},
                      content_type="application/json")  # fmt: skip
    assert sms.status_code == 201 and json.loads(gateway.requests[0].body)["to"] == NUMBER
    voice = client.post("/api/v1/contact-methods/", {"kind": "voice", "address": NUMBER},
                        content_type="application/json")  # fmt: skip
    assert voice.status_code == 400 and "Voice calls need Twilio" in voice.content.decode()
