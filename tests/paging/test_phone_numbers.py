"""Phone numbers as contact methods: E.164 through phonenumbers, a one-time code (wrong,
expired, reused), only verified numbers paged, not offered without a provider (the profile
says why)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import time_machine

from incidents.models import Service
from incidents.paging import escalate
from incidents.paging.models import (
    ContactMethod,
    Escalation,
    Notification,
)

from ..helpers import declare
from .helpers import make_policy
from .phone_helpers import (
    NUMBER,
    api,
    code_in,
    hook,
    phone_of,
    twilio_fixture,  # noqa: F401 (the `twilio` fixture)
)


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
    # Nothing goes to the number; the step reached nobody, so the team's admins are paged
    # by email instead (fallback.py).
    assert not twilio.sent
    assert not Notification.objects.filter(contact_method=method).exists()
    assert list(Notification.objects.values_list("user", "fallback")) == [(cast.admin.pk, True)]


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


def test_an_unverified_number_gets_no_test_page(cast, twilio):
    method = phone_of(cast.responder)
    ContactMethod.objects.filter(pk=method.pk).update(verified_at=None)
    answer = api(cast.responder).post(f"/api/v1/contact-methods/{method.pk}/test/")
    assert answer.json()["outcome"] == "failed" and not twilio.sent
