"""Voice pages through Twilio: the call's TwiML (fetched from Keel's voice hook) speaks the
page; 1 acknowledges, 2 escalates, 3 repeats; a voicemail is no answer; a forged keypress
is 403."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from incidents.models import EventKind, Service, TimelineEvent
from incidents.paging import delivery, escalate
from incidents.paging.models import (
    ContactKind,
    Escalation,
    Notification,
)

from ..helpers import declare
from .fake_twilio import TOKEN, sign
from .helpers import make_policy
from .phone_helpers import (
    NUMBER,
    SITE,
    api,
    hook,
    phone_of,
    twilio_fixture,  # noqa: F401 (the `twilio` fixture)
)

# --- A call and its keys ---------------------------------------------------------------------


@pytest.fixture
def called(cast, twilio, committed):
    checkout = Service.objects.create(name="checkout")
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), (5, [{"user": cast.admin.pk}]),
                service=checkout)  # fmt: skip
    phone_of(cast.responder, kind=ContactKind.VOICE)
    incident = declare(cast, actor=None, services=[checkout])
    escalation = Escalation.objects.get(incident=incident)
    escalate.run_step(escalation.pk, str(escalation.token), datetime.now(UTC))
    notification = Notification.objects.get()
    delivery.send(notification.pk, datetime.now(UTC))
    (call,) = twilio.calls()
    return incident, call


def keys(call, digits: str = "", **more: str):
    fields = {"CallSid": call.sid, "From": "+15005550006", "To": NUMBER, **more}
    if digits:
        fields["Digits"] = digits
    return hook("/hooks/twilio/voice/", fields, query=urlsplit(call.fields["Url"]).query)


def test_a_call_speaks_the_page_and_offers_the_keys(called):
    _incident, call = called
    assert call.fields["MachineDetection"] == "Enable" and call.fields["To"] == NUMBER
    assert "page" in parse_qs(urlsplit(call.fields["Url"]).query)
    twiml = keys(call).content.decode()
    assert "<Gather" in twiml and 'numDigits="1"' in twiml
    assert "incident INC" in twiml and "Press 1 to acknowledge, 2 to escalate now" in twiml
    assert "<Gather" in keys(call, "3").content.decode()  # 3: hear it again
    assert Escalation.objects.get().status == "active"


def test_pressing_1_acknowledges_from_a_phone_call(called, cast):
    incident, call = called
    assert "Acknowledged" in keys(call, "1").content.decode()
    assert Escalation.objects.get().status == "acknowledged"
    ack = TimelineEvent.objects.get(incident=incident, kind=EventKind.ACK)
    assert ack.author == cast.responder and ack.data["via"] == "voice"


def test_pressing_2_escalates(called, cast):
    incident, call = called
    assert "Escalated" in keys(call, "2").content.decode()
    event = TimelineEvent.objects.filter(incident=incident, kind="page").last()
    assert event.data["action"] == "escalate" and event.data["via"] == "voice"


def test_a_voicemail_is_hung_up_on_and_counts_as_no_answer(called):
    _incident, call = called
    assert "<Hangup" in keys(call, AnsweredBy="machine_start").content.decode()
    report = hook("/hooks/twilio/status/", {"CallSid": call.sid, "CallStatus": "completed",
                  "AnsweredBy": "machine_end_beep"})  # fmt: skip
    assert report.status_code == 204
    assert Notification.objects.get().status == "failed"
    assert Escalation.objects.get().status == "active"


def test_a_forged_keypress_is_403(called):
    _incident, call = called
    fields = {"CallSid": call.sid, "Digits": "1"}
    query = urlsplit(call.fields["Url"]).query
    forged = hook("/hooks/twilio/voice/", fields, signature=sign(SITE + "/hooks/twilio/voice/",
                  fields, token=TOKEN + "x"), query=query)  # fmt: skip
    assert forged.status_code == 403
    assert Escalation.objects.get().status == "active"


def test_a_test_page_calls_and_says_it_is_a_test(cast, twilio):
    method = phone_of(cast.responder, kind=ContactKind.VOICE)
    answer = api(cast.responder).post(f"/api/v1/contact-methods/{method.pk}/test/")
    assert answer.json()["outcome"] == "delivered"
    (call,) = twilio.calls()
    spoken = hook("/hooks/twilio/voice/", {"CallSid": call.sid},
                  query=urlsplit(call.fields["Url"]).query)  # fmt: skip
    assert "This is a test call from Keel" in spoken.content.decode()
