"""Slack's v0 request signing: is this request really from the workspace?

Slack signs every request it sends (slash commands, button clicks) with the app's signing
secret: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{raw body}">` and
`X-Slack-Request-Timestamp`. A request older than five minutes is refused too, so a recorded
request cannot be replayed later. Pure: no Django, the clock is an argument.
"""

from __future__ import annotations

import hashlib
import hmac
import time

VERSION = "v0"
MAX_AGE_SECONDS = 5 * 60


class BadSignature(Exception):
    """The request is not verifiably from Slack; the message says why (answered as 401)."""


def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    """The `X-Slack-Signature` value for `body` sent at `timestamp` (Unix seconds)."""
    base = f"{VERSION}:{timestamp}:".encode() + body
    return f"{VERSION}=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    now: float | None = None,
) -> None:
    """Raise BadSignature unless `signature` is Slack's v0 signature of `body` at
    `timestamp`, and `timestamp` is within five minutes of `now`."""
    if not timestamp or not signature:
        raise BadSignature(
            "The X-Slack-Signature and X-Slack-Request-Timestamp headers are missing."
        )
    # Twelve digits reach the year 33658; Python refuses to read more than 4,300 at all.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise BadSignature("X-Slack-Request-Timestamp is not a Unix time.")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        raise BadSignature("The request is more than five minutes old (or from the future).")
    expected = sign(secret, timestamp, body)
    # Constant time, so the comparison does not tell an attacker how much they got right.
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise BadSignature("The signature does not match the request.")
