"""One page to one contact method. Each destination's message is built by a pure function
(`webhook_payload`, `slack_payload`, `email_message`, `ntfy_body`, `webpush_payload`) that
tests read; `deliver` carries it (webhooks, Slack, ntfy and Web Push through
incidents/outbound.py, by way of providers/ for the last two; email through Django's email
backend) and answers with an outbound.Result. Whatever an alert put in the title (line breaks,
control characters, lone surrogates, 100 KB), each builder makes a valid message of bounded
size, and `deliver` never raises: a failure is a Result that says why."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from incidents import mailing, outbound

from . import devices, phone
from .models import PHONE_KINDS, ContactKind
from .providers import ntfy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Page:
    """What a page says, whichever way it goes."""

    delivery_id: str
    step: int
    ref: str
    title: str
    severity: str
    status: str
    service: str | None
    url: str
    ack_url: str
    bundled: int = 1  # how many identical pages this one message stands for
    # Why this person gets the page when it is a fallback (always by email, fallback.py).
    fallback: str = ""


TITLE_LIMIT = 1000  # characters of the title in a webhook or a mail body
HEADLINE_LIMIT = 200
# The interactivity endpoint (incidents/chat/actions.py) answers clicks by action_id: a page's
# buttons carry ids it knows (the values of incidents/chat/blocks.py OPEN_ROOM and
# ACKNOWLEDGE; paging may not import chat, tests check they agree). Both are link buttons:
# Open the room needs nothing; Acknowledge also acknowledges as the clicker once they have
# linked their Slack account, and otherwise the ack page it opens does it.
SLACK_OPEN_ROOM = "keel_open_room"
SLACK_ACKNOWLEDGE = "keel_acknowledge"
SLACK_SECTION_LIMIT = 2900  # Slack refuses a section text over 3,000 characters


def slack_escape(text: str) -> str:
    """Slack's mrkdwn escaping: only &, < and > are special."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_payload(page: Page) -> dict[str, Any]:
    """The contract's webhook body (DESIGN.md, Contracts: Paging)."""
    return {
        "type": "page",
        "delivery_id": page.delivery_id,
        "step": page.step,
        "incident": {
            "ref": page.ref,
            "title": mailing.plain(page.title, TITLE_LIMIT),
            "severity": page.severity,
            "status": page.status,
            "url": page.url,
            "service": mailing.one_line(page.service, 100) if page.service else None,
        },
        "ack_url": page.ack_url,
    }


def headline(page: Page) -> str:
    """One line, bounded: `[SEV2] INC-7 <title> on <service>`."""
    service = f" on {mailing.one_line(page.service, 100)}" if page.service else ""
    title = mailing.one_line(page.title, HEADLINE_LIMIT)
    return mailing.one_line(f"[{page.severity}] {page.ref} {title}{service}", 2 * HEADLINE_LIMIT)


def slack_payload(page: Page) -> dict[str, Any]:
    text = slack_escape(f"Page: {headline(page)}")
    section = f"*{text}*"
    value = f"{page.ref}:"  # chat's button value: the incident, and no channel of ours
    return {
        "text": text,
        "blocks": [
            {"type": "section",
             "text": {"type": "mrkdwn", "text": mailing.shorten(section, SLACK_SECTION_LIMIT)}},
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "Open the room"},
                     "action_id": SLACK_OPEN_ROOM, "value": value, "url": page.url},
                    {"type": "button", "text": {"type": "plain_text", "text": "Acknowledge"},
                     "action_id": SLACK_ACKNOWLEDGE, "value": value, "url": page.ack_url,
                     "style": "primary"},
                ],
            },
        ],
    }  # fmt: skip


def email_message(page: Page) -> tuple[str, str]:
    """(subject, body): the subject one line of bounded length, the body valid text."""
    subject = mailing.one_line(f"Page: {headline(page)}")
    title = mailing.plain(page.title, TITLE_LIMIT)
    why = f"{mailing.plain(page.fallback, 1000)}\n\n" if page.fallback else ""
    body = (
        f"{why}You are being paged for {page.ref}: {title}\n\n"
        f"Severity: {page.severity}\nStatus: {page.status}\n"
        f"Service: {mailing.one_line(page.service or '-', 100)}\n"
        f"Escalation step: {page.step}\n\n"
        f"Acknowledge (stops the escalation): {page.ack_url}\n"
        f"Incident room: {page.url}\n"
    )
    return subject, body


def push_ack_url(page: Page) -> str:
    """A test page has nothing to acknowledge: its notification has no Acknowledge button."""
    return "" if page.status == "test" else page.ack_url


def ntfy_body(address: str, page: Page) -> dict[str, Any]:
    """ntfy's JSON publish for this page (providers/ntfy.py)."""
    _server, topic = ntfy.split(address)
    return ntfy.publish_body(
        topic, ref=page.ref, title=page.title, severity=page.severity, status=page.status,
        service=page.service, url=page.url, ack_url=push_ack_url(page),
    )  # fmt: skip


def webpush_payload(page: Page) -> dict[str, Any]:
    """What Keel's service worker (static/sw.js) shows: a notification titled with the
    severity, ref and title, Acknowledge (a POST to `ack_url`) and Open (`url`). Bounded:
    push services take at most 4 KB."""
    title = mailing.one_line(f"[{page.severity}] {page.ref} {page.title}", HEADLINE_LIMIT)
    on = f" on {mailing.one_line(page.service, 100)}" if page.service else ""
    return {
        "type": "page", "ref": page.ref, "severity": page.severity, "title": title,
        "body": mailing.one_line(f"{page.status.capitalize()}{on}. Step {page.step}.", 300),
        "url": page.url, "ack_url": push_ack_url(page), "delivery_id": page.delivery_id,
    }  # fmt: skip


def deliver(kind: str, address: str, secret: str, page: Page) -> outbound.Result:
    """Send the page; never raises (a page that cannot even be built is a failure that
    says why, recorded on its notification like any other)."""
    try:
        return _deliver(kind, address, secret, page)
    except Exception as exc:
        log.exception("page %s by %s could not be sent", page.delivery_id, kind)
        reason = mailing.one_line(f"{type(exc).__name__}: {exc}", 200)
        return outbound.Result("failed", f"The page could not be built or sent ({reason}).")


def _deliver(kind: str, address: str, secret: str, page: Page) -> outbound.Result:
    if kind in PHONE_KINDS:  # SMS and voice: through the configured provider (phone.py)
        return phone.deliver(kind, address, page, timezone.now())
    if kind == ContactKind.WEBHOOK:
        body = json.dumps(webhook_payload(page), separators=(",", ":")).encode()
        return outbound.post_json(
            address, None, body=body, secret=secret,
            headers={"X-Keel-Delivery": page.delivery_id},
        )  # fmt: skip
    if kind == ContactKind.SLACK:
        return outbound.post_json(address, slack_payload(page))
    if kind == ContactKind.NTFY:
        return ntfy.send(address, secret, ntfy_body(address, page))
    if kind == ContactKind.WEBPUSH:
        return devices.push(address, webpush_payload(page), datetime.now(UTC))
    subject, body = email_message(page)
    sent = mailing.send(subject, body, [address])
    if sent.outcome == "retry":
        return outbound.Result("retry", f"{sent.detail} Will try again.")
    return outbound.Result(sent.outcome, sent.detail)  # type: ignore[arg-type]
