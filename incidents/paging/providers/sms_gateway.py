"""A generic HTTP SMS gateway, for a self-hosted gateway or another vendor without code:

- a page is `POST SMS_GATEWAY_URL` with JSON {"to": "+E.164", "message": text, "reference":
  an id} and `Authorization: Bearer SMS_GATEWAY_TOKEN`; with SMS_GATEWAY_SECRET the body is
  also signed in X-Keel-Signature-256, as Keel's webhooks are. Any 2xx is accepted; a JSON
  answer's "id" is kept as the message's id.
- replies come to `POST /hooks/sms-gateway/` as JSON {"from": "+E.164", "message": text}
  signed `X-Keel-Signature-256: sha256=<hex HMAC-SHA256 of the body with
  SMS_GATEWAY_SECRET>`; a delivery report is {"reference" or "id", "status": "delivered" |
  "failed"} to the same hook.
"""

from __future__ import annotations

import hmac
import json
import uuid

from django.conf import settings

from incidents import outbound

from .base import SMS, Sent


def payload(to: str, body: str, reference: str) -> dict[str, str]:
    return {"to": to, "message": body, "reference": reference}


class Gateway:
    name = "sms_gateway"
    kinds = (SMS,)

    def send_sms(self, to: str, body: str) -> Sent:
        reference = str(uuid.uuid4())
        headers = {}
        if settings.SMS_GATEWAY_TOKEN:
            headers["Authorization"] = f"Bearer {settings.SMS_GATEWAY_TOKEN}"
        result = outbound.post_json(
            settings.SMS_GATEWAY_URL, payload(to, body, reference), headers=headers,
            secret=settings.SMS_GATEWAY_SECRET or None,
        )  # fmt: skip
        if not result.delivered:
            return Sent(result)
        try:
            answer = json.loads(result.body)
        except ValueError:
            answer = None
        sid = answer.get("id") if isinstance(answer, dict) else None
        return Sent(result, str(sid)[:64] if sid else reference)

    def call(self, to: str, answer_url: str) -> Sent:
        return Sent(outbound.Result("failed", "The SMS gateway cannot place calls."))


def signed(body: bytes, signature: str) -> bool:
    if not settings.SMS_GATEWAY_SECRET or not signature:
        return False
    return hmac.compare_digest(outbound.signature(body, settings.SMS_GATEWAY_SECRET), signature)
