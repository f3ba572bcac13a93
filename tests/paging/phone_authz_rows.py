"""The authorization table's rows for phone paging (joined into tests/authz_table.py):
verifying a number is its owner's alone (nobody else learns it exists); the inbound hooks
take no session at all, only the provider's signature, so an unsigned request is 403 for
everyone and acknowledges nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from incidents.paging import phone
from incidents.paging.models import ContactKind, ContactMethod, Escalation

CODE = "123456"


def unverified(ctx: SimpleNamespace) -> ContactMethod:
    """The responder's new number, with CODE sent to it."""
    method, _created = ContactMethod.objects.get_or_create(
        user=ctx.cast.responder, kind=ContactKind.SMS, address="+14155550123"
    )
    if not method.code_hash and method.verified_at is None:
        method.code_hash, method.code_sent_at = phone._hash(method, CODE), datetime.now(UTC)
        method.save(update_fields=["code_hash", "code_sent_at"])
    return method


def verified(ctx: SimpleNamespace) -> bool:
    return ContactMethod.objects.filter(address="+14155550123", verified_at__isnull=False).exists()


def acknowledged(ctx: SimpleNamespace) -> bool:
    return Escalation.objects.filter(incident_id=ctx.pk, status="acknowledged").exists()


def rows(Endpoint, expected: dict) -> list:
    e = SimpleNamespace(**expected)
    own = {**e.OPEN_TO_SIGNED_IN, "viewer": 404, "admin": 404, "outsider": 404}
    own_page = {"anonymous": 302, "viewer": 404, "responder": 302, "admin": 404, "outsider": 404}
    unsigned = dict.fromkeys(e.PEOPLE, 403)
    return [
        Endpoint("verify a phone number", "post",
                 lambda c: f"/api/v1/contact-methods/{unverified(c).pk}/verify/", own,
                 body=lambda c: {"code": CODE}, effect=verified),
        Endpoint("verify a phone number form", "post",
                 lambda c: f"/paging/contact-methods/{unverified(c).pk}/verify/", own_page,
                 body=lambda c: {"code": CODE}, page=True, effect=verified),
        Endpoint("twilio sms hook, unsigned", "post", lambda c: "/hooks/twilio/sms/", unsigned,
                 body=lambda c: {"From": "+14155550123", "Body": "1 ack"}, page=True,
                 effect=acknowledged),
        Endpoint("twilio voice hook, unsigned", "post", lambda c: "/hooks/twilio/voice/",
                 unsigned, body=lambda c: {"Digits": "1"}, page=True, effect=acknowledged),
        Endpoint("twilio status hook, unsigned", "post", lambda c: "/hooks/twilio/status/",
                 unsigned, body=lambda c: {"MessageSid": "SMx", "MessageStatus": "failed"},
                 page=True, effect=acknowledged),
        Endpoint("sms gateway hook, unsigned", "post", lambda c: "/hooks/sms-gateway/",
                 unsigned, body=lambda c: {"from": "+14155550123", "message": "1 ack"},
                 page=True, effect=acknowledged),
    ]  # fmt: skip
