"""Phone providers: SMS and voice pages go out through one of these, behind one small
interface (a module per provider, as healthchecks keeps one per integration):

- `send_sms(to, body)` and, when the provider can call, `call(to, answer_url)` -> Sent: the
  outbound.Result (delivered here means "the provider accepted it") and the provider's id
  for the message or call, which its status callbacks carry back;
- inbound replies, keypresses and status callbacks arrive at the provider's hooks
  (phone_hooks.py), which check its signature and hand plain values to phone.py.

Twilio when TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER are set (SMS and
voice); else the generic gateway when SMS_GATEWAY_URL is set (SMS only); else none, and the
SMS and voice contact methods are not offered.
"""

from __future__ import annotations

from django.conf import settings

from . import sms_gateway, twilio
from .base import SMS, VOICE, Provider, Sent

__all__ = ["SMS", "VOICE", "Provider", "Sent", "for_kind", "offered", "why_not"]


def twilio_configured() -> bool:
    return bool(
        settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER
    )


def gateway_configured() -> bool:
    return bool(settings.SMS_GATEWAY_URL)


def for_kind(kind: str) -> Provider | None:
    """The provider that carries `kind` ("sms" or "voice"), or None when none is set up."""
    if twilio_configured():
        return twilio.Twilio()
    if kind == SMS and gateway_configured():
        return sms_gateway.Gateway()
    return None


def offered() -> list[str]:
    """The phone kinds people may add now."""
    return [kind for kind in (SMS, VOICE) if for_kind(kind) is not None]


def why_not(kind: str) -> str:
    """Why `kind` is not offered, for the profile and the API's refusal."""
    if kind == VOICE and gateway_configured():
        return (
            "Voice calls need Twilio: the SMS gateway only sends texts. Set TWILIO_ACCOUNT_SID, "
            "TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER."
        )
    return (
        "No phone provider is configured on this Keel: set TWILIO_ACCOUNT_SID, "
        "TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER (SMS and voice), or SMS_GATEWAY_URL (SMS)."
    )
