"""One page to one contact method. Each destination's message is built by a pure function
(`webhook_payload`, `slack_payload`, `email_message`) that tests read; `deliver` carries it
(webhooks and Slack through incidents/outbound.py, email through Django's email backend)
and answers with an outbound.Result."""

from __future__ import annotations

import json
import logging
import smtplib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from incidents import outbound

from . import phone
from .models import PHONE_KINDS, ContactKind

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


def webhook_payload(page: Page) -> dict[str, Any]:
    """The contract's webhook body (DESIGN.md, Contracts: Paging)."""
    return {
        "type": "page",
        "delivery_id": page.delivery_id,
        "step": page.step,
        "incident": {
            "ref": page.ref,
            "title": page.title,
            "severity": page.severity,
            "status": page.status,
            "url": page.url,
            "service": page.service,
        },
        "ack_url": page.ack_url,
    }


def headline(page: Page) -> str:
    service = f" on {page.service}" if page.service else ""
    return f"[{page.severity}] {page.ref} {page.title}{service}"


def slack_payload(page: Page) -> dict[str, Any]:
    text = f"Page: {headline(page)}"
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}},
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "Open the room"},
                     "url": page.url},
                    {"type": "button", "text": {"type": "plain_text", "text": "Acknowledge"},
                     "url": page.ack_url, "style": "primary"},
                ],
            },
        ],
    }  # fmt: skip


def email_message(page: Page) -> tuple[str, str]:
    """(subject, body)."""
    subject = f"Page: {headline(page)}"
    body = (
        f"You are being paged for {page.ref}: {page.title}\n\n"
        f"Severity: {page.severity}\nStatus: {page.status}\n"
        f"Service: {page.service or '-'}\nEscalation step: {page.step}\n\n"
        f"Acknowledge (stops the escalation): {page.ack_url}\n"
        f"Incident room: {page.url}\n"
    )
    return subject, body


def deliver(kind: str, address: str, secret: str, page: Page) -> outbound.Result:
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
    subject, body = email_message(page)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
    except smtplib.SMTPRecipientsRefused as exc:
        return outbound.Result("failed", f"The mail server refused {address} ({exc}).")
    except (smtplib.SMTPException, OSError) as exc:
        return outbound.Result("retry", f"Could not hand the mail over ({exc}); will try again.")
    return outbound.Result("delivered", "Handed to the mail server.")
