"""Web Push devices: a person's browsers that asked for notifications ("Enable
notifications on this device"), each a PushSubscription with its webpush contact method.
Sending is providers/webpush.py's; this module keeps the records: it adds and removes
devices, and removes one its push service says is gone (404/410), telling its owner."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction

from incidents import mailing, outbound

from .models import ContactKind, ContactMethod, NotificationRule, PushSubscription
from .providers import webpush

log = logging.getLogger(__name__)


def vapid_subject() -> str:
    return settings.VAPID_SUBJECT or f"mailto:{settings.DEFAULT_FROM_EMAIL}"


def subscribe(user, endpoint: str, p256dh: str, auth: str, name: str) -> PushSubscription:
    """Store the browser's subscription for `user` (webpush.check_keys first). The same
    browser subscribing again updates its device; a browser that another person had
    subscribed (a shared computer, a new sign-in) becomes this person's: a push endpoint is
    one browser profile, and it pages whoever enabled notifications there last."""
    with transaction.atomic():
        found = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
        if found is not None and found.user_id == user.pk:
            found.p256dh, found.auth, found.name = p256dh, auth, name
            found.save(update_fields=["p256dh", "auth", "name"])
            ContactMethod.objects.filter(pk=found.contact_method_id).update(
                failed_at=None, failure=""
            )
            return found
        if found is not None:
            found.contact_method.delete()  # and the subscription with it
        method = ContactMethod.objects.create(user=user, kind=ContactKind.WEBPUSH,
                                              address=endpoint)  # fmt: skip
        NotificationRule.objects.create(contact_method=method, delay_minutes=0)
        return PushSubscription.objects.create(
            user=user, contact_method=method, name=name, endpoint=endpoint,
            p256dh=p256dh, auth=auth,
        )  # fmt: skip


def remove(subscription: PushSubscription) -> None:
    subscription.contact_method.delete()  # the subscription goes with its method


def push(endpoint: str, payload: dict[str, Any], now: datetime) -> outbound.Result:
    """Send `payload` to the device with this endpoint; a device its push service says is
    gone is removed and its owner told by email."""
    device = PushSubscription.objects.select_related("user").filter(endpoint=endpoint).first()
    if device is None:
        return outbound.Result("failed", "This device was removed.")
    result = webpush.send(
        endpoint, device.p256dh, device.auth, payload,
        private_key=settings.VAPID_PRIVATE_KEY, subject=vapid_subject(), now=now,
    )  # fmt: skip
    if result.status_code in webpush.GONE:
        forget(device, result.status_code)
        return outbound.Result(
            "failed",
            f"The push service no longer knows {device.name} ({result.status_code}); "
            "the device was removed.",
            result.status_code,
        )
    return result


def forget(device: PushSubscription, status: int) -> None:
    name, owner = device.name, device.user
    remove(device)
    log.info("push subscription %s of %s is gone (%s): removed", device.pk, owner.pk, status)
    subject = f"Keel: notifications on {mailing.one_line(name, 100)} stopped"
    body = (
        f"Keel can no longer send notifications to the device you named "
        f"“{mailing.plain(name, 100)}”: its push service answered {status}, which means the "
        "browser's subscription expired or was withdrawn (site data cleared, notifications "
        "blocked, the app uninstalled). Keel removed it, so pages no longer try it.\n\n"
        "To get pages on that device again, open your Keel profile there and choose "
        f"“Enable notifications on this device”: {settings.SITE_URL}/accounts/profile/\n"
    )
    mailing.send(subject, body, [owner.email])
