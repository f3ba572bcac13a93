"""SMS pages through Twilio (a local server playing its REST API; inbound webhooks signed with
the twilio package's RequestValidator): the reply code acknowledges or escalates, a forged or
stale signature is 403, STOP stops, a failed SMS moves on to the next rule, one SMS a
minute, one segment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
from .fake_twilio import sign
from .helpers import make_policy
from .phone_helpers import (
    NUMBER,
    SITE,
    api,
    hook,
    phone_of,
    sms_in,
    twilio_fixture,  # noqa: F401 (the `twilio` fixture)
)

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
