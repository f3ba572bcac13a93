"""SMS and voice paging through Twilio (a local server playing its REST API; inbound webhooks
signed with the twilio package's RequestValidator): numbers verified by code before they are
paged, an SMS page's reply code acknowledges or escalates, a call's keys do, a forged or
stale signature is 403, STOP stops, a failed SMS moves on to the next rule."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core import mail
from django.test import Client

from incidents.models import EventKind, Service, TimelineEvent
from incidents.paging import delivery, escalate
from incidents.paging.models import (
    ContactKind,
    ContactMethod,
    Escalation,
    Notification,
    NotificationRule,
)
from incidents.paging.phone import sms_text, units
from incidents.paging.senders import Page

from ..helpers import declare
from .fake_twilio import TOKEN, FakeTwilio, sign, twilio_settings
from .helpers import make_policy

NUMBER = "+14155550123"
SITE = "http://localhost:8000"


@pytest.fixture
def twilio(settings):
    settings.SITE_URL = SITE
    with FakeTwilio() as fake:
        twilio_settings(settings, fake)
        yield fake


def api(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def phone_of(user, kind=ContactKind.SMS, number=NUMBER, delay=0) -> ContactMethod:
    method = ContactMethod.objects.create(
        user=user, kind=kind, address=number, verified_at=datetime.now(UTC)
    )
    NotificationRule.objects.create(contact_method=method, delay_minutes=delay)
    return method


def hook(path: str, fields: dict[str, str], signature: str | None = None, query: str = ""):
    url = SITE + path + (f"?{query}" if query else "")
    signature = sign(url, fields) if signature is None else signature
    target = path + (f"?{query}" if query else "")
    return Client().post(target, fields, HTTP_X_TWILIO_SIGNATURE=signature)


def sms_in(body: str, sender: str = NUMBER, **kwargs):
    fields = {"From": sender, "To": "+15005550006", "Body": body,
              "MessageSid": "SM" + "1" * 32, "AccountSid": "AC" + "0" * 31 + "1"}  # fmt: skip
    return hook("/hooks/twilio/sms/", fields, **kwargs)


# --- Numbers and their codes ----------------------------------------------------------------


def code_in(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def test_a_new_number_gets_a_code_and_is_verified_with_it(cast, twilio):
    answer = api(cast.responder).post(
        "/api/v1/contact-methods/", {"kind": "sms", "address": "+1 415 555 0123"},
        content_type="application/json",
    )  # fmt: skip
    assert answer.status_code == 201, answer.content
    assert answer.json()["verified"] is False and answer.json()["address"] == NUMBER
    (sent,) = twilio.messages()
    assert sent.fields["To"] == NUMBER and sent.fields["From"] == "+15005550006"
    code = code_in(sent.fields["Body"])
    url = f"/api/v1/contact-methods/{answer.json()['id']}/verify/"
    wrong = api(cast.responder).post(url, {"code": "000000" if code != "000000" else "111111"},
                                     content_type="application/json")  # fmt: skip
    assert wrong.status_code == 400 and "not the one" in wrong.content.decode()
    right = api(cast.responder).post(url, {"code": code}, content_type="application/json")
    assert right.status_code == 200 and right.json()["verified"] is True
    again = api(cast.responder).post(url, {"code": code}, content_type="application/json")
    assert again.status_code == 400  # a code works once


def test_an_expired_code_is_refused(cast, twilio):
    answer = api(cast.responder).post(
        "/api/v1/contact-methods/", {"kind": "voice", "address": NUMBER},
        content_type="application/json",
    )  # fmt: skip
    (call,) = twilio.calls()  # a voice number hears its code
    spoken = hook("/hooks/twilio/voice/", {"CallSid": call.sid},
                  query=urlsplit(call.fields["Url"]).query)  # fmt: skip
    code = code_in(spoken.content.decode().replace(" ", ""))
    url = f"/api/v1/contact-methods/{answer.json()['id']}/verify/"
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=11)):
        late = api(cast.responder).post(url, {"code": code}, content_type="application/json")
    assert late.status_code == 400 and "expired" in late.content.decode()
    assert not ContactMethod.objects.get().verified


def test_bad_numbers_are_refused_naming_the_form(cast, twilio):
    for address in ("not a number", "+1555", "0415 555 0123"):
        answer = api(cast.responder).post(
            "/api/v1/contact-methods/", {"kind": "sms", "address": address},
            content_type="application/json",
        )  # fmt: skip
        assert answer.status_code == 400 and "+14155550123" in answer.content.decode()
    assert not ContactMethod.objects.exists() and not twilio.sent


def test_without_a_provider_sms_and_voice_are_not_offered_and_the_profile_says_why(cast):
    answer = api(cast.responder).post(
        "/api/v1/contact-methods/", {"kind": "sms", "address": NUMBER},
        content_type="application/json",
    )  # fmt: skip
    assert answer.status_code == 400 and "TWILIO_ACCOUNT_SID" in answer.content.decode()
    profile = api(cast.responder).get("/accounts/profile/").content.decode()
    assert "SMS and voice calls are not offered" in profile
    assert 'value="sms"' not in profile


def test_an_unverified_number_is_not_paged(cast, twilio, committed):
    checkout = Service.objects.create(name="checkout")
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    method = phone_of(cast.responder)
    ContactMethod.objects.filter(pk=method.pk).update(verified_at=None)
    incident = declare(cast, actor=None, services=[checkout])
    escalation = Escalation.objects.get(incident=incident)
    escalate.run_step(escalation.pk, str(escalation.token), datetime.now(UTC))
    assert not Notification.objects.exists() and not twilio.sent


# --- An SMS page and its reply ---------------------------------------------------------------


@pytest.fixture
def sms_paged(cast, twilio, committed):
    checkout = Service.objects.create(name="checkout")
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), (5, [{"user": cast.admin.pk}]),
                service=checkout)  # fmt: skip
    phone_of(cast.responder)
    incident = declare(cast, actor=None, services=[checkout], title="Checkout errors " * 12)
    escalation = Escalation.objects.get(incident=incident)
    escalate.run_step(escalation.pk, str(escalation.token), datetime.now(UTC))
    notification = Notification.objects.get()
    delivery.send(notification.pk, datetime.now(UTC))
    return incident, Notification.objects.get(pk=notification.pk)


def test_an_sms_page_fits_one_segment_and_says_how_to_reply(sms_paged, twilio):
    incident, notification = sms_paged
    (sent,) = twilio.messages()
    body = sent.fields["Body"]
    assert len(body) <= 160 and body.startswith(f"Keel SEV2 {incident.ref}: Checkout errors")
    assert f"Reply {notification.pk} to ack, {notification.pk} esc to escalate" in body
    assert sent.fields["StatusCallback"] == SITE + "/hooks/twilio/status/"
    assert notification.status == "delivered" and notification.provider_sid == sent.sid


def test_replying_the_code_acknowledges_credited_to_the_numbers_owner(sms_paged, cast):
    incident, notification = sms_paged
    answer = sms_in(f"{notification.pk} ack")
    assert answer.status_code == 200 and answer["Content-Type"] == "text/xml"
    assert "Acknowledged. Paging has stopped." in answer.content.decode()
    assert Escalation.objects.get().status == "acknowledged"
    ack = TimelineEvent.objects.get(incident=incident, kind=EventKind.ACK)
    assert ack.author == cast.responder and ack.data["via"] == "sms"
    page = Client()
    page.force_login(cast.admin)
    assert "acknowledged the incident from SMS" in " ".join(
        page.get(incident.get_absolute_url()).content.decode().split()
    )
    assert "already used" in sms_in(str(notification.pk)).content.decode()


def test_replying_esc_escalates_now(sms_paged, cast):
    incident, notification = sms_paged
    answer = sms_in(f"{notification.pk} ESC")
    assert "Escalated" in answer.content.decode()
    event = TimelineEvent.objects.filter(incident=incident, kind="page").last()
    assert event.data == {"via": "sms", "action": "escalate"} and event.author == cast.responder
    assert Escalation.objects.get().next_due_at <= datetime.now(UTC)


def test_a_stranger_or_a_wrong_code_learns_nothing(sms_paged):
    incident, notification = sms_paged
    stranger = sms_in(f"{notification.pk} ack", sender="+14155550199").content.decode()
    wrong = sms_in(f"{notification.pk + 1000} ack").content.decode()
    assert stranger == wrong and incident.ref not in stranger
    assert Escalation.objects.get().status == "active"


def test_a_forged_or_stale_signature_is_403_and_changes_nothing(sms_paged):
    incident, notification = sms_paged
    url = SITE + "/hooks/twilio/sms/"
    other = {"From": NUMBER, "Body": "hello"}  # signed for another message: replayed
    assert sms_in(f"{notification.pk}", signature=sign(url, other)).status_code == 403
    assert sms_in(f"{notification.pk}", signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    old = sign(url, {"From": NUMBER, "Body": f"{notification.pk}"}, token="an-old-token")
    assert sms_in(f"{notification.pk}", signature=old).status_code == 403
    assert hook("/hooks/twilio/status/", {"MessageSid": notification.provider_sid,
                "MessageStatus": "failed"}, signature="x").status_code == 403  # fmt: skip
    assert Escalation.objects.get().status == "active"
    assert Notification.objects.get().status == "delivered"
    assert not TimelineEvent.objects.filter(incident=incident, kind=EventKind.ACK).exists()


def test_stop_stops_sms_and_tells_the_owner_and_start_turns_them_back_on(sms_paged, cast):
    mail.outbox.clear()
    assert sms_in("STOP").status_code == 200
    method = ContactMethod.objects.get()
    assert method.stopped_at is not None
    assert [m.to for m in mail.outbox] == [[cast.responder.email]]
    assert not ContactMethod.objects.pageable().filter(pk=method.pk).exists()
    assert "back on" in sms_in("start").content.decode()
    assert ContactMethod.objects.pageable().filter(pk=method.pk).exists()


def test_a_failed_sms_is_recorded_and_the_next_rule_goes_at_once(cast, twilio, committed):
    checkout = Service.objects.create(name="checkout")
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    phone_of(cast.responder)
    phone_of(cast.responder, kind=ContactKind.VOICE, number="+14155550124", delay=10)
    incident = declare(cast, actor=None, services=[checkout])
    escalation = Escalation.objects.get(incident=incident)
    now = datetime.now(UTC)
    escalate.run_step(escalation.pk, str(escalation.token), now)
    sms = Notification.objects.get(kind="sms")
    delivery.send(sms.pk, now)
    sms.refresh_from_db()
    delivered = hook("/hooks/twilio/status/", {"MessageSid": sms.provider_sid,
                     "MessageStatus": "delivered"})  # fmt: skip
    assert delivered.status_code == 204
    panel = api(cast.admin).get(f"/incidents/{incident.ref}/paging/").content.decode()
    assert "Provider: delivered." in panel
    assert TimelineEvent.objects.filter(
        body=f"SMS to {cast.responder.name} delivered to the phone."
    ).exists()
    voice = Notification.objects.get(kind="voice")
    assert voice.due_at > now + timedelta(minutes=9)
    failed = hook("/hooks/twilio/status/", {"MessageSid": sms.provider_sid,
                  "MessageStatus": "undelivered", "ErrorCode": "30003"})  # fmt: skip
    assert failed.status_code == 204
    sms.refresh_from_db()
    voice.refresh_from_db()
    assert sms.status == "failed" and "undelivered" in sms.detail
    assert voice.due_at <= datetime.now(UTC)  # the call goes now, not in 10 minutes
    assert TimelineEvent.objects.filter(incident=incident, body__contains="failed").exists()


def test_twilio_busy_or_refusing_is_retried_or_failed(cast, twilio, committed):
    checkout = Service.objects.create(name="checkout")
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    phone_of(cast.responder)
    declare(cast, actor=None, services=[checkout])
    escalation = Escalation.objects.get()
    now = datetime.now(UTC)
    escalate.run_step(escalation.pk, str(escalation.token), now)
    notification = Notification.objects.get()
    twilio.forced.append((429, {"code": 20429, "message": "Too Many Requests", "status": 429}))
    assert delivery.send(notification.pk, now) is not None  # tried again later
    notification.refresh_from_db()
    assert notification.status == "pending" and not twilio.sent
    twilio.forced.append((400, {"code": 21211, "message": f"The 'To' number {NUMBER} is not "
                                "a valid phone number.", "status": 400}))  # fmt: skip
    assert delivery.send(notification.pk, notification.due_at) is None
    notification.refresh_from_db()
    assert notification.status == "failed" and "21211" in notification.detail
    assert NUMBER not in notification.detail  # the number is masked where others read it


def test_at_most_one_sms_a_minute_to_a_number(cast, twilio, committed, settings):
    checkout = Service.objects.create(name="checkout")
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    method = phone_of(cast.responder)
    NotificationRule.objects.create(contact_method=method, delay_minutes=1)
    declare(cast, actor=None, services=[checkout])
    escalation = Escalation.objects.get()
    now = datetime.now(UTC)
    escalate.run_step(escalation.pk, str(escalation.token), now)
    first, second = Notification.objects.order_by("after_minutes")
    delivery.send(first.pk, now)
    Notification.objects.filter(pk=second.pk).update(due_at=now)  # as an escalation's next
    again = delivery.send(second.pk, now + timedelta(seconds=30))
    assert again is not None and len(twilio.messages()) == 1  # waits for its minute
    second.refresh_from_db()
    assert second.status == "pending" and "one SMS or call a minute" in second.detail
    later = now + timedelta(seconds=61)
    Notification.objects.filter(pk=second.pk).update(due_at=later)
    with time_machine.travel(later, tick=False):
        assert delivery.send(second.pk, later) is None
    assert len(twilio.messages()) == 2


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


def test_the_profile_adds_a_number_and_verifies_it_with_the_code(cast, twilio):
    page = api(cast.responder)
    assert 'value="sms"' in page.get("/accounts/profile/").content.decode()
    added = page.post("/paging/contact-methods/", {"kind": "sms", "address": "+1 (415) 555-0123",
                      "delay_minutes": 0})  # fmt: skip
    assert added.status_code == 302
    method = ContactMethod.objects.get(user=cast.responder)
    assert method.address == NUMBER and not method.verified
    profile = page.get("/accounts/profile/").content.decode()
    assert "not verified: not paged yet" in profile
    code = code_in(twilio.messages()[0].fields["Body"])
    url = f"/paging/contact-methods/{method.pk}/verify/"
    assert page.post(url, {"code": "12"}).status_code == 400
    assert page.post(url, {"resend": "on"}).status_code == 302 and len(twilio.messages()) == 2
    assert page.post(url, {"code": code}).status_code == 400  # the first code stopped working
    fresh = code_in(twilio.messages()[1].fields["Body"])
    assert page.post(url, {"code": fresh}).status_code == 302
    method.refresh_from_db()
    assert method.verified


def test_changing_the_number_sends_a_new_code_and_it_is_not_paged_until_verified(cast, twilio):
    method = phone_of(cast.responder)
    answer = api(cast.responder).patch(f"/api/v1/contact-methods/{method.pk}/",
                                       {"address": "+14155550199"},
                                       content_type="application/json")  # fmt: skip
    assert answer.status_code == 200 and answer.json()["verified"] is False
    assert twilio.messages()[0].fields["To"] == "+14155550199"
    assert not ContactMethod.objects.pageable().exists()


def test_an_sms_page_is_one_segment_in_gsm_7_or_in_ucs_2():
    def page(title: str, bundled: int = 1):
        return Page("d", 1, "INC-12", title, "SEV1", "triggered", None, "u", "a", bundled)

    latin = sms_text(page("Checkout errors on every node in eu-west " * 5), "1234")
    assert 150 < units(latin) <= 160 and latin.endswith(
        "... Reply 1234 to ack, 1234 esc to escalate."
    )
    cyrillic = sms_text(page("Сервер упал " * 5), "1234")
    assert units(cyrillic) is None and len(cyrillic) <= 70 and "Сервер" in cyrillic
    bundled = sms_text(page("Disk full", 3), "7")
    assert bundled == "Keel SEV1 INC-12 (+2 more): Disk full Reply 7 to ack, 7 esc to escalate."


def test_a_test_page_calls_and_says_it_is_a_test(cast, twilio):
    method = phone_of(cast.responder, kind=ContactKind.VOICE)
    answer = api(cast.responder).post(f"/api/v1/contact-methods/{method.pk}/test/")
    assert answer.json()["outcome"] == "delivered"
    (call,) = twilio.calls()
    spoken = hook("/hooks/twilio/voice/", {"CallSid": call.sid},
                  query=urlsplit(call.fields["Url"]).query)  # fmt: skip
    assert "This is a test call from Keel" in spoken.content.decode()


def test_an_unverified_number_gets_no_test_page(cast, twilio):
    method = phone_of(cast.responder)
    ContactMethod.objects.filter(pk=method.pk).update(verified_at=None)
    answer = api(cast.responder).post(f"/api/v1/contact-methods/{method.pk}/test/")
    assert answer.json()["outcome"] == "failed" and not twilio.sent
