"""The one way HTTP leaves Keel: pages to webhooks, chat messages, `response_url` replies.

Every delivery is a POST of a payload that its destination module built in a pure function.
This module only carries it and says how it went, so that callers (Celery tasks) can decide
what to do next without knowing HTTP:

- `delivered`: a 2xx answer;
- `retry`: worth trying again later (a timeout, a connection failure, 408, 425, 429, a 5xx),
  with `retry_after` when the receiver said when (Retry-After);
- `failed`: trying again will not help (another 4xx, a redirect, a refused destination, a
  malformed URL).

Safety: redirects are never followed (a 3xx is a failure: a receiver that moved must be
reconfigured, and a redirect could point anywhere). Destinations that resolve to private,
loopback, link-local or otherwise non-public addresses are refused unless
OUTBOUND_ALLOW_PRIVATE is set (tests and `make run` set it). The name is resolved once,
checked, and the connection goes to that checked address (the Host header and TLS name stay
the original), so a DNS answer that changes between the check and the connection cannot
smuggle a request inside. An IPv6 address that carries an IPv4 one (IPv4-mapped or
-compatible, 6to4 `2002::/16`, NAT64 `64:ff9b::/96`) is judged by the IPv4 address it
reaches, and the local-use NAT64 prefix `64:ff9b:1::/48` is inside someone's network.

What a refusal says is plain ("does not resolve", "private addresses are not allowed"): the
person testing a contact method sees it, and it must not turn the check into a way to read
the internal DNS (resolved addresses and resolver errors go to the log only).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit, urlunsplit

import certifi
import httpx
from django.conf import settings

log = logging.getLogger(__name__)

USER_AGENT = "Keel (incident response; +https://github.com/keel)"
RETRYABLE_STATUS = {408, 425, 429}
MAX_RETRY_AFTER = timedelta(hours=1)

Outcome = Literal["delivered", "retry", "failed"]


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    detail: str  # a sentence for the timeline and the logs
    status_code: int | None = None
    retry_after: timedelta | None = None  # only with outcome "retry", when the receiver said
    # The start of the receiver's answer: Slack names its errors there (`channel_not_found`).
    body: str = ""

    @property
    def delivered(self) -> bool:
        return self.outcome == "delivered"


class RefusedDestination(Exception):
    """A URL Keel will not send to (answered as a permanent failure)."""


def signature(body: bytes, secret: str) -> str:
    """`sha256=<hex HMAC-SHA256 of the body>`, as receivers of Keel's webhooks verify it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# RFC 6052's well-known NAT64 prefix (the IPv4 address is the last 32 bits) and RFC 8215's
# local-use one (never globally routed; Python before 3.12.4 calls it global).
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a packet to `ip` ends up at, for the forms that embed one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64 or (ip in IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(address: str) -> bool:
    """Is `address` (an IP address as text) one that Keel may send to without
    OUTBOUND_ALLOW_PRIVATE: global itself, and so is any IPv4 address it carries."""
    ip = ipaddress.ip_address(address)
    if not ip.is_global:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in LOCAL_NAT64:
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None and not embedded.is_global:
            return False
    return True


def check_destination(url: str) -> tuple[str, str, str]:
    """Validate `url` and resolve its host. Returns (the url with the checked address in
    place of the name, the Host header to send, the name for TLS). Raises RefusedDestination
    with a reason."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedDestination(f"{url!r} is not a valid URL ({exc}).") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedDestination(f"{url!r} is not an http(s) URL.")
    if parts.username or parts.password:
        raise RefusedDestination("URLs with a user name or password are not sent to.")
    host = parts.hostname
    try:
        infos = socket.getaddrinfo(host, port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError) as exc:
        log.info("outbound: %s does not resolve (%s)", host, exc)
        raise RefusedDestination(f"The address does not resolve: no such host {host}.") from None
    addresses = sorted({info[4][0].split("%", 1)[0] for info in infos})
    if not settings.OUTBOUND_ALLOW_PRIVATE:
        for address in addresses:
            if not is_public(address):
                log.warning(
                    "outbound: %s refused, it resolves to %s (set OUTBOUND_ALLOW_PRIVATE=true "
                    "to allow deliveries inside your network)", host, address,
                )  # fmt: skip
                raise RefusedDestination(
                    f"{host} is a private or local address, and private addresses are not "
                    "allowed: use an address reachable from the internet."
                )
    address = addresses[0]
    netloc = f"[{address}]" if ":" in address else address
    if port:
        netloc += f":{port}"
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return pinned, parts.netloc, host


def _retry_after(value: str | None) -> timedelta | None:
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        delay = timedelta(seconds=int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        delay = when - datetime.now(UTC)
    return max(timedelta(0), min(delay, MAX_RETRY_AFTER))


BODY_EXCERPT = 200


def classify(response: httpx.Response, body_chars: int = BODY_EXCERPT) -> Result:
    code = response.status_code
    body = response.text[:body_chars]
    if 200 <= code < 300:
        return Result("delivered", f"Delivered ({code}).", code, body=body)
    if code in RETRYABLE_STATUS or code >= 500:
        return Result(
            "retry",
            f"The receiver answered {code}; will try again.",
            code,
            _retry_after(response.headers.get("Retry-After")),
            body,
        )
    if 300 <= code < 400:
        where = response.headers.get("Location", "elsewhere")
        return Result(
            "failed", f"The receiver redirects ({code}) to {where}; fix the URL.", code, body=body
        )
    return Result("failed", f"The receiver refused it ({code}).", code, body=body)


@cache
def tls_context() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle costs ~15 ms, on every page."""
    return ssl.create_default_context(cafile=certifi.where())


def post_json(
    url: str,
    payload: Any,
    *,
    headers: dict[str, str] | None = None,
    secret: str | None = None,
    body: bytes | None = None,
) -> Result:
    """POST `payload` as JSON to `url` and say how it went. With `secret`, the body is signed
    in X-Keel-Signature-256. Never raises for anything the network or receiver does."""
    data = body if body is not None else json.dumps(payload, separators=(",", ":")).encode()
    sent_headers = {"Content-Type": "application/json", **(headers or {})}
    if secret:
        sent_headers["X-Keel-Signature-256"] = signature(data, secret)
    return post_bytes(url, data, sent_headers)


def post_form(
    url: str, fields: dict[str, str], *, auth: tuple[str, str], body_chars: int = 4000
) -> Result:
    """POST `fields` form-encoded with HTTP Basic auth (Twilio's REST API); the answer's
    body is kept (up to `body_chars`) for the caller to read ids from."""
    data = urlencode(fields).encode()
    basic = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": f"Basic {basic}",
        "Accept": "application/json",
    }
    return post_bytes(url, data, headers, body_chars=body_chars)


def post_bytes(
    url: str, data: bytes, headers: dict[str, str], *, body_chars: int = BODY_EXCERPT
) -> Result:
    """POST `data` with `headers` to `url`. Never raises for anything the network does."""
    return send("POST", url, headers, data=data, body_chars=body_chars)


def get(url: str, headers: dict[str, str], *, body_chars: int = 4_000_000) -> Result:
    """GET `url` (an importer reading another tool's API); the answer's body is kept, up
    to `body_chars`. Never raises for anything the network does."""
    return send("GET", url, headers, body_chars=body_chars)


def send(
    method: str,
    url: str,
    headers: dict[str, str],
    *,
    data: bytes | None = None,
    body_chars: int = BODY_EXCERPT,
) -> Result:
    """The one place requests leave (checked destination, timeouts, no redirects)."""
    try:
        target, host_header, host = check_destination(url)
    except RefusedDestination as exc:
        return Result("failed", str(exc))
    sent_headers = {"User-Agent": USER_AGENT, "Host": host_header, **headers}
    timeout = httpx.Timeout(
        settings.OUTBOUND_READ_TIMEOUT, connect=settings.OUTBOUND_CONNECT_TIMEOUT
    )
    try:
        with httpx.Client(
            timeout=timeout, follow_redirects=False, trust_env=False, verify=tls_context()
        ) as client:
            response = client.request(
                method,
                target,
                content=data,
                headers=sent_headers,
                extensions={"sni_hostname": host},
            )
    except httpx.TimeoutException:
        return Result("retry", f"{host} did not answer in time; will try again.")
    except httpx.TransportError as exc:
        log.info("outbound %s to %s: %r", method, host, exc)
        return Result("retry", f"Could not reach {host}; will try again.")
    result = classify(response, body_chars)
    log.info("outbound %s to %s: %s", method, host, result.detail)
    return result
