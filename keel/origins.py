"""The WebSocket origin check: the same rule as Django's CSRF origin check.

A browser sends `Origin` with every WebSocket handshake, and cookies go along whatever
page opened the socket, so the origin is what stops another site (or another port on the
same host: a different origin, a different program) from opening the live room with a
signed-in person's session. Channels' AllowedHostsOriginValidator compares the host
only; this compares scheme, host and port, as CsrfViewMiddleware does for forms:

- the Origin equals this request's own `scheme://Host` (ws -> http, wss -> https), with
  the Host in ALLOWED_HOSTS; or
- the Origin is in CSRF_TRUSTED_ORIGINS (exactly, or as a `https://*.example.com` pattern).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import is_same_domain, split_domain_port, validate_host

HTTP_SCHEME = {"ws": "http", "wss": "https"}


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def own_origin(scope: dict[str, Any]) -> str | None:
    """`http(s)://host[:port]` of the request itself, or None if its Host is not allowed."""
    host = _header(scope, b"host")
    if host is None:
        return None
    domain, _port = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]  # as HttpRequest.get_host does
    if not domain or not validate_host(domain, allowed):
        return None
    scheme = HTTP_SCHEME.get(scope.get("scheme", "ws"))
    return f"{scheme}://{host}" if scheme else None


def origin_allowed(scope: dict[str, Any]) -> bool:
    origin = _header(scope, b"origin")
    if not origin:
        return False
    if origin == own_origin(scope):
        return True
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in trusted:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    # "https://*.example.com" trusts example.com's subdomains over https, as for CSRF.
    return any(
        is_same_domain(parsed.netloc, urlsplit(pattern).netloc.lstrip("*"))
        for pattern in trusted
        if "*" in pattern and urlsplit(pattern).scheme == parsed.scheme
    )


class SameOriginValidator:
    """ASGI middleware: refuse a WebSocket handshake whose Origin is not this site."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
