"""Sending one notification, at most once per attempt, and never lost.

GoAlert's message model: a Notification is written (pending) before anything is sent; a
sender claims it by moving it to `sending` with a deadline, in a short transaction of its
own; then sends; then records the outcome. A crash between claim and outcome leaves a row
in `sending` past its deadline, which the auditor sends again with the *same* delivery id,
so a receiver that keeps the ids it saw drops the repeat. A worker that finds the row
locked, or not due, or already past `sending`, does nothing.

Identical pending pages for one person and incident on one method are bundled: the claim
takes them all and one message stands for them.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from incidents import lifecycle
from incidents.models import Incident

from . import ack, engine, senders
from .models import ContactMethod, EscalationStatus, Notification, NotificationStatus

log = logging.getLogger(__name__)
N = NotificationStatus
STOPPED = {EscalationStatus.ACKNOWLEDGED, EscalationStatus.STOPPED}


def sendable(now: datetime) -> Q:
    """Pending and due, or stuck in `sending` past its deadline (its sender died)."""
    return Q(status=N.PENDING, due_at__lte=now) | Q(status=N.SENDING, deadline__lt=now)


def claim(notification_id: int, now: datetime) -> list[Notification]:
    """Claim the notification (and identical pending ones to bundle): [] when there is
    nothing to do. The first row is the one whose delivery id the message carries."""
    with transaction.atomic():
        lead = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(sendable(now), pk=notification_id)
            .select_related("escalation")
            .first()
        )
        if lead is None:
            return []
        # An escalation that ran every step still sends its last step's pages.
        if lead.escalation.status in STOPPED and lead.status == N.PENDING:
            lead.status, lead.detail = N.CANCELLED, "Not sent: the escalation had stopped."
            lead.save(update_fields=["status", "detail"])
            return []
        siblings = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=N.PENDING, due_at__lte=now, incident_id=lead.incident_id,
                user_id=lead.user_id, contact_method_id=lead.contact_method_id,
                escalation__status__in=[EscalationStatus.ACTIVE, EscalationStatus.EXHAUSTED],
            )
            .exclude(pk=lead.pk)
        )  # fmt: skip
        deadline = now + timedelta(seconds=settings.PAGING_SEND_DEADLINE_SECONDS)
        lead.status, lead.deadline, lead.attempts = N.SENDING, deadline, lead.attempts + 1
        lead.save(update_fields=["status", "deadline", "attempts"])
        for row in siblings:
            row.status, row.deadline, row.bundled_into = N.SENDING, deadline, lead
            row.save(update_fields=["status", "deadline", "bundled_into"])
        return [lead, *siblings]


def page_of(lead: Notification, incident: Incident, bundled: int) -> senders.Page:
    service = incident.services.order_by("name").first()
    return senders.Page(
        delivery_id=str(lead.delivery_id),
        step=lead.step,
        ref=incident.ref,
        title=incident.title,
        severity=incident.severity,
        status=incident.status,
        service=service.name if service else None,
        url=settings.SITE_URL + incident.get_absolute_url(),
        ack_url=ack.url_for(lead.delivery_id),
        bundled=bundled,
    )


def send(notification_id: int, now: datetime) -> datetime | None:
    """Send the notification if it is due; returns when to try again (a retry), or None."""
    rows = claim(notification_id, now)
    if not rows:
        return None
    lead = rows[0]
    incident = Incident.objects.get(pk=lead.incident_id)
    method = ContactMethod.objects.filter(pk=lead.contact_method_id).first()
    if method is None:
        result = senders.outbound.Result("failed", "The contact method was removed.")
    else:
        page = page_of(lead, incident, len(rows))
        result = senders.deliver(method.kind, method.address, method.secret, page)
    return record(rows, method, incident, result, now)


def record(rows, method, incident, result, now: datetime) -> datetime | None:
    lead = rows[0]
    ids = [row.pk for row in rows]
    how = method.get_kind_display().lower() if method else lead.kind
    who = lead.user.name
    data = {
        "action": result.outcome, "step": lead.step, "loop": lead.loop, "user": lead.user.email,
        "user_name": who, "method": lead.kind, "delivery_id": str(lead.delivery_id),
        "bundled": len(rows),
    }  # fmt: skip
    again = None
    with transaction.atomic():
        # Only rows still `sending` (an ack may have cancelled nothing here: they are ours).
        current = Notification.objects.filter(pk__in=ids, status=N.SENDING)
        if result.delivered:
            current.update(status=N.DELIVERED, sent_at=now, detail=result.detail[:300])
            body = f"Paged {who} by {how} (step {lead.step})."
            lifecycle.record(incident, None, "page", body, data)
        elif result.outcome == "retry" and lead.attempts < settings.PAGING_MAX_ATTEMPTS:
            base = timedelta(seconds=settings.PAGING_RETRY_BASE_SECONDS)
            again = now + engine.backoff(lead.attempts, result.retry_after, base)
            current.update(
                status=N.PENDING, due_at=again, detail=result.detail[:300], bundled_into=None
            )
        else:
            current.update(status=N.FAILED, detail=result.detail[:300])
            if method is not None and result.outcome == "failed":
                ContactMethod.objects.filter(pk=method.pk).update(
                    failed_at=now, failure=result.detail[:300]
                )
            lifecycle.record(
                incident, None, "page",
                f"Page to {who} by {how} failed (step {lead.step}): {result.detail}",
                data,
            )  # fmt: skip
    return again


def send_test(method_id: int, now: datetime) -> senders.outbound.Result:
    """A test page ("send me a test page"): delivered or not, the method's mark says so."""
    method = ContactMethod.objects.get(pk=method_id)
    page = senders.Page(
        delivery_id=str(uuid.uuid4()), step=0, ref="TEST", title="Test page from Keel",
        severity="SEV4", status="test", service=None, url=settings.SITE_URL,
        ack_url=settings.SITE_URL,
    )  # fmt: skip
    result = senders.deliver(method.kind, method.address, method.secret, page)
    if result.outcome == "failed":
        ContactMethod.objects.filter(pk=method.pk).update(
            failed_at=now, failure=result.detail[:300]
        )
    elif result.delivered:
        ContactMethod.objects.filter(pk=method.pk).update(failed_at=None, failure="")
    return result
