"""ntfy (https://ntfy.sh, or a team's own server): a page is one JSON publish.

ntfy's "Publish as JSON" (https://docs.ntfy.sh/publish/#publish-as-json) POSTs to the
server's root a body naming the topic: {"topic", "title", "message", "priority", "tags",
"click", "actions"}, with an access token as `Authorization: Bearer tk_...`
(https://docs.ntfy.sh/publish/#access-tokens). Action buttons
(https://docs.ntfy.sh/publish/#action-buttons): `view` opens a URL; `http` makes a request
from the phone itself, without opening anything, so Acknowledge is an `http` action that
POSTs to the page's signed, single-use ack URL (no login, no CSRF token: see
incidents/paging/views.py). Self-contained: a pure builder and a sender through
incidents/outbound.py (whose private-address rules apply to ntfy servers too)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from incidents import mailing, outbound

DEFAULT_SERVER = "https://ntfy.sh"
# ntfy's own rule for topic names (server/server.go, topicRegex).
TOPIC = re.compile(r"^[-_A-Za-z0-9]{1,64}$")
# An access token goes in a header: printable ASCII, no spaces.
TOKEN = re.compile(r"^[!-~]*$")
TOKEN_ERROR = "An access token is printable characters without spaces (tk_…)."  # noqa: S105 (a message, not a password)
# ntfy's priorities: 5 "max" gets through Do Not Disturb in the ntfy app.
PRIORITY = {"SEV1": 5, "SEV2": 4}
DEFAULT_PRIORITY = 3
TAGS = {"SEV1": "rotating_light", "SEV2": "warning"}  # emoji shortcodes ntfy shows
TITLE_LIMIT = 250
MESSAGE_LIMIT = 3000  # ntfy keeps up to 4,096 bytes of message by default


class BadAddress(ValueError):
    """An address that is not `https://server/topic`."""


def split(address: str) -> tuple[str, str]:
    """(server root URL, topic) of `https://host[/prefix]/topic`; BadAddress otherwise."""
    try:
        parts = urlsplit(address.strip())
    except ValueError:
        raise BadAddress("Give the topic's URL, like https://ntfy.sh/your-topic.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadAddress("Give the topic's URL, like https://ntfy.sh/your-topic.")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise BadAddress("Give only the server and topic, like https://ntfy.sh/your-topic.")
    prefix, _, topic = parts.path.rstrip("/").rpartition("/")
    if not TOPIC.match(topic):
        raise BadAddress(
            "The topic (the last part of the URL) must be 1 to 64 letters, digits, - or _."
        )
    return urlunsplit((parts.scheme, parts.netloc, prefix + "/", "", "")), topic


def publish_body(
    topic: str,
    *,
    ref: str,
    title: str,
    severity: str,
    status: str,
    service: str | None,
    url: str,
    ack_url: str,
) -> dict[str, Any]:
    """ntfy's JSON publish for one page: bounded text, priority by severity, an `http`
    Acknowledge action (unless `ack_url` is empty: a test page) and a `view` Open incident
    action."""
    on = f" on {mailing.one_line(service, 100)}" if service else ""
    message = mailing.shorten(
        f"{mailing.plain(title, MESSAGE_LIMIT)}\n\nSeverity {severity}, {status}{on}.",
        MESSAGE_LIMIT,
    )
    return {
        "topic": topic,
        "title": mailing.one_line(f"[{severity}] {ref} {mailing.one_line(title, 200)}",
                                  TITLE_LIMIT),
        "message": message,
        "priority": PRIORITY.get(severity, DEFAULT_PRIORITY),
        "tags": [TAGS.get(severity, "bell"), ref],
        "click": url,
        "actions": [
            # `clear`: the notification goes away once acknowledged.
            *([{"action": "http", "label": "Acknowledge", "url": ack_url, "method": "POST",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
                "body": "action=acknowledge", "clear": True}] if ack_url else []),
            {"action": "view", "label": "Open incident", "url": url},
        ],
    }  # fmt: skip


def send(address: str, token: str, body: dict[str, Any]) -> outbound.Result:
    """Publish `body` (from publish_body) to the server of `address`."""
    try:
        server, _topic = split(address)
    except BadAddress as exc:
        return outbound.Result("failed", str(exc))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return outbound.post_json(server, body, headers=headers)
