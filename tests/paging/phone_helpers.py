"""Shared by the phone tests: a local server playing Twilio (the `twilio` fixture), a number
of the responder's, and inbound webhooks signed as Twilio signs them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from incidents.paging.models import (
    ContactKind,
    ContactMethod,
    NotificationRule,
)

from .fake_twilio import FakeTwilio, sign, twilio_settings

NUMBER = "+14155550123"
SITE = "http://localhost:8000"


@pytest.fixture(name="twilio")
def twilio_fixture(settings):
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
