"""Twilio: SMS through the Messages API, voice through the Calls API (TwiML from Keel's
voice hook), inbound webhooks verified with X-Twilio-Signature.

The requests go through incidents/outbound.py (not the twilio package's REST client), so
TWILIO_API_BASE can point at a regional edge or a test server and the private-address rule
applies; the `twilio` package gives the request validator and the TwiML builders.

Twilio's published shapes (https://www.twilio.com/docs/messaging/api/message-resource,
https://www.twilio.com/docs/voice/api/call-resource; the paths as listed in
twilio/twilio-go rest/api/v2010/docs/AccountsMessagesApi.md):
- POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json, form fields To, From, Body,
  StatusCallback; 201 with JSON {"sid": "SM…", "status": "queued", …}. Status callbacks POST
  MessageSid and MessageStatus (queued, sent, delivered, undelivered, failed) and ErrorCode.
- POST {base}/2010-04-01/Accounts/{AccountSid}/Calls.json, form fields To, From, Url (the
  TwiML to run when answered), StatusCallback, MachineDetection; 201 with {"sid": "CA…",
  "status": "queued"}. Status callbacks POST CallSid and CallStatus (queued, ringing,
  in-progress, completed, busy, failed, no-answer, canceled), and AnsweredBy with machine
  detection (human, machine_start, fax, unknown…).
- Errors: JSON {"code", "message", "more_info", "status"}; 429 when sending too fast.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.urls import reverse
from twilio.request_validator import RequestValidator

from incidents import outbound

from .base import SMS, VOICE, Sent


def api_url(resource: str) -> str:
    account = settings.TWILIO_ACCOUNT_SID
    return f"{settings.TWILIO_API_BASE}/2010-04-01/Accounts/{account}/{resource}.json"


def status_url() -> str:
    return settings.SITE_URL + reverse("paging:twilio-status")


def sid_of(result: outbound.Result) -> str:
    """The "sid" of Twilio's answer ("" when the answer is not Twilio's JSON)."""
    try:
        answer = json.loads(result.body)
    except ValueError:
        return ""
    sid = answer.get("sid") if isinstance(answer, dict) else None
    return sid if isinstance(sid, str) else ""


def explained(result: outbound.Result) -> outbound.Result:
    """Twilio's error message (e.g. 21211 "The 'To' number is not a valid phone number") in
    the detail people read, instead of only the status code."""
    if result.delivered:
        return outbound.Result(
            "delivered", "Twilio accepted it.", result.status_code, body=result.body
        )
    try:
        answer = json.loads(result.body)
    except ValueError:
        return result
    if isinstance(answer, dict) and answer.get("message"):
        detail = f"{result.detail} Twilio: {answer['message']} (code {answer.get('code')})."
        return outbound.Result(
            result.outcome, detail[:300], result.status_code, result.retry_after, result.body
        )
    return result


class Twilio:
    name = "twilio"
    kinds = (SMS, VOICE)

    def _post(self, resource: str, fields: dict[str, str]) -> Sent:
        auth = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        result = explained(outbound.post_form(api_url(resource), fields, auth=auth))
        return Sent(result, sid_of(result) if result.delivered else "")

    def send_sms(self, to: str, body: str) -> Sent:
        fields = {
            "To": to, "From": settings.TWILIO_FROM_NUMBER, "Body": body,
            "StatusCallback": status_url(),
        }  # fmt: skip
        return self._post("Messages", fields)

    def call(self, to: str, answer_url: str) -> Sent:
        fields = {
            "To": to, "From": settings.TWILIO_FROM_NUMBER, "Url": answer_url,
            "StatusCallback": status_url(),
            # A voicemail is not a person: the hook hangs up on a machine, and the
            # escalation goes on as if nobody answered.
            "MachineDetection": "Enable",
        }  # fmt: skip
        return self._post("Calls", fields)


def signed(url: str, fields, signature: str) -> bool:
    """Is `signature` (X-Twilio-Signature) Twilio's for `url` and the form `fields`, with our
    auth token? (HMAC-SHA1 of the URL followed by each field name and value, sorted.)"""
    if not settings.TWILIO_AUTH_TOKEN or not signature:
        return False
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, fields, signature)
