"""The acknowledge link in every page: signed (Django's signing with SECRET_KEY), expiring
(PAGING_ACK_MAX_AGE seconds), single use (the notification's `ack_used_at`, set by a
conditional update whose row count says who won). Through it the paged person acknowledges,
escalates or snoozes, as themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse

from incidents import lifecycle
from incidents.models import Incident

from .models import ContactKind, Notification

SALT = "keel.paging.ack"
ACTIONS = ("acknowledge", "escalate", "snooze")
# Pages whose notification carries an Acknowledge button (the timeline says so).
PUSH_KINDS = (ContactKind.NTFY, ContactKind.WEBPUSH)
# A used or expired link says only that: nothing of the incident it was about.
USED = "This link was already used."
EXPIRED = "This link has expired."


class BadLink(Exception):
    """A link that was tampered with, expired, or names no page."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def token_for(delivery_id: UUID | str) -> str:
    return signing.dumps(str(delivery_id), salt=SALT, compress=False)


def url_for(delivery_id: UUID | str) -> str:
    return settings.SITE_URL + reverse("paging:ack", args=[token_for(delivery_id)])


def delivery_of(token: str) -> UUID:
    """The delivery id a valid, unexpired token names; BadLink otherwise."""
    try:
        value = signing.loads(token, salt=SALT, max_age=settings.PAGING_ACK_MAX_AGE)
    except signing.SignatureExpired:
        raise BadLink(EXPIRED, 410) from None
    except signing.BadSignature:
        raise BadLink("This acknowledge link is not valid.", 404) from None
    try:
        return UUID(str(value))
    except ValueError:
        raise BadLink("This acknowledge link is not valid.", 404) from None


def use(
    notification: Notification, action: str, now: datetime, minutes: Any = None, via: str = ""
) -> str:
    """The paged person acts through the page's link: acknowledge, escalate or snooze,
    through lifecycle and credited to them (the person the page was sent to; the link, not a
    team role, lets them). Single use: only the request whose conditional update sets
    `ack_used_at` acts, and a refused move leaves the link unused. Returns what to tell
    them; LifecycleError for bad minutes. `via`: "sms" or "voice" when the page's reply or
    keypress acts rather than its link (the timeline says so)."""
    incident = Incident.objects.get(pk=notification.incident_id)
    who = notification.user
    try:
        with transaction.atomic():
            won = Notification.objects.filter(pk=notification.pk, ack_used_at__isnull=True).update(
                ack_used_at=now
            )
            if not won:
                raise BadLink(USED, 410)
            if action == "escalate":
                lifecycle.escalate(incident, who, by_link=True, data={"via": via} if via else None)
                return "Escalated: the next step is being paged now."
            if action == "snooze":
                event = lifecycle.snooze(incident, who, minutes, by_link=True)
                return f"Snoozed for {event.data['minutes']} minutes: you will be paged again."
            delivery = {"delivery_id": str(notification.delivery_id)}
            if via:
                delivery["via"] = via
            elif notification.kind in PUSH_KINDS:  # the button on the notification itself
                delivery["via"] = "push"
            lifecycle.acknowledge(incident, who, by_link=True, data=delivery)
            return "Acknowledged. Paging has stopped."
    except lifecycle.Conflict:
        if action == "escalate":
            return "Nothing to escalate to: this paging has no step left. Open the incident."
        return "Nothing to do: paging had already stopped."
