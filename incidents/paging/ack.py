"""The acknowledge link in every page: signed (Django's signing with SECRET_KEY), expiring
(PAGING_ACK_MAX_AGE seconds), single use (the notification's `ack_used_at`, set by a
conditional update whose row count says who won)."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "keel.paging.ack"


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
        raise BadLink("This acknowledge link has expired; open the incident.", 410) from None
    except signing.BadSignature:
        raise BadLink("This acknowledge link is not valid.", 404) from None
    try:
        return UUID(str(value))
    except ValueError:
        raise BadLink("This acknowledge link is not valid.", 404) from None
