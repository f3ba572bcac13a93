"""Web Push (RFC 8030) to a browser's push service, encrypted for the subscription
(RFC 8291, aes128gcm, by pywebpush/http_ece) and signed with the server's VAPID key
(RFC 8292, by py_vapid). pywebpush only builds the request here: it is sent through
incidents/outbound.py like every other page, so the private-address rules, timeouts and the
delivered/retry/failed answer are the same. A push service's 404 or 410 means the
subscription is gone (`gone`). Self-contained: no Keel models."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import WebPusher

from incidents import outbound

GONE = {404, 410}  # RFC 8030 section 7.3: the subscription expired or was removed
TTL = timedelta(hours=1)  # how long the push service keeps a page for an offline device
CLAIM_LIFETIME = timedelta(hours=12)  # VAPID's `exp` is at most 24 h ahead (RFC 8292)
PAYLOAD_LIMIT = 3000  # bytes before encryption; push services take 4,096 after it


class BadKeys(ValueError):
    """Subscription keys that are not a P-256 public key and a 16-byte secret."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise BadKeys("Not base64url.") from None


def check_keys(p256dh: str, auth: str) -> None:
    """Refuse keys the browser cannot have made (before they are stored, not at page time)."""
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(p256dh))
    except ValueError:
        raise BadKeys("keys.p256dh must be a P-256 public key (65 bytes, base64url).") from None
    if len(unb64url(auth)) != 16:
        raise BadKeys("keys.auth must be 16 bytes, base64url.")


def new_vapid_keys() -> tuple[str, str]:
    """(public, private), base64url: the public key as browsers take it
    (`applicationServerKey`), the private one as a raw 32-byte scalar."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(public), b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def request_for(
    endpoint: str,
    p256dh: str,
    auth: str,
    payload: dict[str, Any],
    *,
    private_key: str,
    subject: str,
    now: datetime,
) -> tuple[bytes, dict[str, str]]:
    """The encrypted body and the headers of one push message."""
    data = json.dumps(payload, separators=(",", ":")).encode()
    pusher = WebPusher({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}})
    body = pusher.encode(data, "aes128gcm")["body"]
    parts = urlsplit(endpoint)
    claims = {
        "sub": subject,
        "aud": f"{parts.scheme}://{parts.netloc}",
        "exp": int((now + CLAIM_LIFETIME).timestamp()),
    }
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Encoding": "aes128gcm",
        "TTL": str(int(TTL.total_seconds())),
        "Urgency": "high",  # a page: deliver now, even to a device saving power
        **Vapid.from_string(private_key).sign(claims),
    }
    return body, headers


def send(
    endpoint: str,
    p256dh: str,
    auth: str,
    payload: dict[str, Any],
    *,
    private_key: str,
    subject: str,
    now: datetime,
) -> outbound.Result:
    if not private_key:
        return outbound.Result(
            "failed", "Web Push is not set up: set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY."
        )
    body, headers = request_for(
        endpoint, p256dh, auth, payload, private_key=private_key, subject=subject, now=now
    )
    return outbound.post_json(endpoint, None, body=body, headers=headers)
