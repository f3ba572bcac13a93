"""The authorization table's rows for Web Push (joined into tests/authz_table.py): the
manifest and service worker are public; push subscriptions are each person's own, and
nobody else learns they exist."""

from __future__ import annotations

from types import SimpleNamespace

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from incidents.paging import devices
from incidents.paging.models import PushSubscription
from incidents.paging.providers.webpush import b64url

# A fixed browser key (any valid P-256 point will do) and 16-byte auth secret.
P256DH = b64url(
    ec.derive_private_key(123456789, ec.SECP256R1())
    .public_key()
    .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
)
AUTH = b64url(bytes(range(16)))
API = "/api/v1/push-subscriptions/"


def phone(ctx: SimpleNamespace) -> PushSubscription:
    """The responder's phone (what reads look for, what removal removes)."""
    found = PushSubscription.objects.filter(endpoint="https://push.example/responder").first()
    return found or devices.subscribe(ctx.cast.responder, "https://push.example/responder",
                                      P256DH, AUTH, "Responder's Pixel")  # fmt: skip


def rows(Endpoint, expected: dict) -> list:
    e = SimpleNamespace(**expected)
    own = {**e.OPEN_TO_SIGNED_IN, "viewer": 404, "admin": 404, "outsider": 404}
    return [
        Endpoint("web app manifest", "get", lambda c: "/manifest.webmanifest", e.PUBLIC,
                 shows=lambda c: "standalone"),
        Endpoint("service worker", "get", lambda c: "/sw.js", e.PUBLIC,
                 shows=lambda c: "notificationclick"),
        Endpoint("list push subscriptions", "get", lambda c: (phone(c), API)[1],
                 e.OPEN_TO_SIGNED_IN, shows=lambda c: "Responder's Pixel",
                 sees=frozenset({"responder"})),
        Endpoint("add push subscription", "post", lambda c: API,
                 {**e.OPEN_TO_SIGNED_IN, "viewer": 201, "responder": 201, "admin": 201,
                  "outsider": 201},
                 body=lambda c: {"endpoint": "https://push.example/new", "name": "New phone",
                                 "keys": {"p256dh": P256DH, "auth": AUTH}},
                 effect=lambda c: PushSubscription.objects.filter(
                     user=c.user, endpoint="https://push.example/new").exists()),
        Endpoint("push subscription detail", "get", lambda c: f"{API}{phone(c).pk}/", own,
                 shows=lambda c: "Responder's Pixel"),
        Endpoint("remove push subscription", "delete", lambda c: f"{API}{phone(c).pk}/",
                 {**own, "responder": 204},
                 effect=lambda c: not PushSubscription.objects.filter(
                     endpoint="https://push.example/responder").exists()),
    ]  # fmt: skip
