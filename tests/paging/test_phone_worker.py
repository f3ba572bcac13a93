"""End to end with a real Celery worker on the `paging` queue and a local server playing
Twilio: an alert pages by SMS, the reply acknowledges and the escalation stops; a call's
keypress 2 escalates, and the worker pages the next step at once."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest

from incidents.models import Service
from incidents.paging.models import ContactKind, Escalation
from tests.helpers import declare
from tests.receivers import Receiver

from .fake_twilio import ACCOUNT, FROM, TOKEN, FakeTwilio, twilio_settings
from .helpers import make_policy, webhook_for
from .phone_helpers import SITE, hook, phone_of, sms_in
from .test_worker import paging_settings, wait_for  # noqa: F401 (a fixture)
from .worker import MINUTE_SECONDS, purge, start_worker, stop


@pytest.fixture
def twilio_worker(cast, paging_settings):  # noqa: F811
    purge()
    with FakeTwilio() as fake:
        twilio_settings(paging_settings, fake)
        paging_settings.SITE_URL = SITE
        worker = start_worker(
            TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_AUTH_TOKEN=TOKEN, TWILIO_FROM_NUMBER=FROM,
            TWILIO_API_BASE=fake.url, SITE_URL=SITE,
        )  # fmt: skip
        try:
            yield fake, worker
        finally:
            stop(worker)


def test_an_alert_pages_by_sms_and_the_reply_ack_stops_the_escalation(cast, twilio_worker):
    fake, worker = twilio_worker
    with Receiver() as receiver:
        checkout = Service.objects.create(name="checkout")
        make_policy(cast.team, (2, [{"user": cast.responder.pk}]), (2, [{"user": cast.admin.pk}]),
                    service=checkout)  # fmt: skip
        phone_of(cast.responder)
        webhook_for(cast.admin, f"{receiver.url}/admin")
        incident = declare(cast, actor=None, services=[checkout])  # as an alert does
        wait_for(lambda: fake.messages(), worker)
        code = re.search(r"Reply (\d+) to ack", fake.messages()[0].fields["Body"]).group(1)
        answer = sms_in(f"{code} ack")
        assert "Acknowledged" in answer.content.decode()
        assert Escalation.objects.get(incident=incident).status == "acknowledged"
        time.sleep(3 * float(MINUTE_SECONDS))  # past when step 2 would have paged
        assert receiver.requests == [] and len(fake.messages()) == 1


def test_a_call_pressing_2_escalates_and_the_worker_pages_the_next_step(cast, twilio_worker):
    fake, worker = twilio_worker
    with Receiver() as receiver:
        checkout = Service.objects.create(name="checkout")
        make_policy(cast.team, (30, [{"user": cast.responder.pk}]),
                    (30, [{"user": cast.admin.pk}]), service=checkout)  # fmt: skip
        phone_of(cast.responder, kind=ContactKind.VOICE)
        webhook_for(cast.admin, f"{receiver.url}/admin")
        declare(cast, actor=None, services=[checkout])
        wait_for(lambda: fake.calls(), worker)
        call = fake.calls()[0]
        query = urlsplit(call.fields["Url"]).query
        twiml = hook("/hooks/twilio/voice/", {"CallSid": call.sid}, query=query)
        assert "Press 1 to acknowledge" in twiml.content.decode()  # the TwiML Twilio fetches
        pressed = hook("/hooks/twilio/voice/", {"CallSid": call.sid, "Digits": "2"}, query=query)
        assert "Escalated" in pressed.content.decode()
        wait_for(lambda: receiver.requests, worker)  # step 2, long before its 30 minutes
        assert [r.path for r in receiver.requests] == ["/admin"]
