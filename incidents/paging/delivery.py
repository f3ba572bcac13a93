"""Sending one notification, at most once per attempt, and never lost.

GoAlert's message model: a Notification is written (pending) before anything is sent; a
sender claims it by moving it to `sending` with a deadline, in a short transaction of its
own; then sends; then records the outcome. A crash between claim and outcome leaves a row
in `sending` past its deadline, which the auditor sends again with the *same* delivery id,
so a receiver that keeps the ids it saw drops the repeat. A worker that finds the row
locked, or not due, or already past `sending`, does nothing.

Identical pending pages for one person and incident on one method are bundled: the claim
takes them all and one message stands for them.

Never stuck, never silent: a page that cannot be built or sent fails with its reason (on the
row, in the timeline, in the room's panel); a row still `sending` past its deadline after
PAGING_MAX_ATTEMPTS tries (its sender crashed every time) is marked failed rather than sent
into the same crash again; and when every page of a step has failed, fallback.py pages the
team's admins.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from incidents import lifecycle, mailing
from incidents.models import Incident

from . import ack, engine, fallback, senders
from .models import (
    ContactKind,
    ContactMethod,
    EscalationStatus,
    Notification,
    NotificationStatus,
)

log = logging.getLogger(__name__)
N = NotificationStatus
STOPPED = {EscalationStatus.ACKNOWLEDGED, EscalationStatus.STOPPED}
FALLBACK_HOW = "email (fallback to the team's admins)"


def sendable(now: datetime) -> Q:
    """Pending and due, or stuck in `sending` past its deadline (its sender died) with tries
    left (without any, `give_up_stuck` marks it failed)."""
    return Q(status=N.PENDING, due_at__lte=now) | Q(
        status=N.SENDING, deadline__lt=now, attempts__lt=settings.PAGING_MAX_ATTEMPTS
    )


def give_up_stuck(now: datetime) -> int:
    """Mark failed, and say so, every row stuck in `sending` past its deadline that has had
    all its tries: its sender never finished (it crashed or hung every time), and sending
    it again would only crash again. Returns how many."""
    stuck = Notification.objects.filter(
        status=N.SENDING, deadline__lt=now, attempts__gte=settings.PAGING_MAX_ATTEMPTS,
        bundled_into__isnull=True,
    ).values_list("pk", flat=True)  # fmt: skip
    failed = 0
    for pk in list(stuck):
        with transaction.atomic():
            lead = (
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=pk, status=N.SENDING, deadline__lt=now)
                .select_related("user")
                .first()
            )
            if lead is None:
                continue
            give_up(lead)
        failed += 1
        if not lead.fallback:
            fallback.after_failure(lead.escalation_id, lead.loop, lead.step, now)
    return failed


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


def give_up(lead: Notification) -> None:
    """Fail the row and the pages bundled into it, and say so (holding the row's lock)."""
    detail = (
        f"Gave up after {lead.attempts} attempts: the sender never finished "
        "(it crashed or timed out each time)."
    )
    rows = Notification.objects.filter(Q(pk=lead.pk) | Q(bundled_into=lead), status=N.SENDING)
    rows.update(status=N.FAILED, detail=detail)
    incident = Incident.objects.get(pk=lead.incident_id)
    how = FALLBACK_HOW if lead.fallback else lead.get_kind_display().lower()
    lifecycle.record(
        incident, None, "page",
        f"Page to {lead.user.name} by {how} failed (step {lead.step}): {detail}",
        {"action": "failed", "step": lead.step, "loop": lead.loop, "user": lead.user.email,
         "user_name": lead.user.name, "method": lead.kind,
         "delivery_id": str(lead.delivery_id), "gave_up": True},
    )  # fmt: skip


def fallback_note(lead: Notification, incident: Incident) -> str:
    """Why an admin gets a fallback page: the step's "reached nobody" event says."""
    if not lead.fallback:
        return ""
    said = (
        incident.events.filter(
            kind="page", data__action="unreachable", data__nobody=True,
            data__escalation=lead.escalation_id, data__loop=lead.loop, data__step=lead.step,
        )
        .values_list("body", flat=True)
        .first()
    )  # fmt: skip
    return (
        f"Nobody was reached for {incident.ref}, so you are paged as an admin of its team. "
        f"{said or ''}"
    ).strip()


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
        fallback=fallback_note(lead, incident),
    )


def send(notification_id: int, now: datetime) -> datetime | None:
    """Send the notification if it is due; returns when to try again (a retry), or None."""
    rows = claim(notification_id, now)
    if not rows:
        return None
    lead = rows[0]
    incident = Incident.objects.get(pk=lead.incident_id)
    method = ContactMethod.objects.filter(pk=lead.contact_method_id).first()
    try:
        result = _deliver(lead, method, incident, len(rows))
    except Exception as exc:  # whatever it was, it is recorded, never left `sending`
        log.exception("page %s could not be sent", lead.delivery_id)
        reason = mailing.one_line(f"{type(exc).__name__}: {exc}", 200)
        result = senders.outbound.Result("failed", f"The page could not be sent ({reason}).")
    return record(rows, method, incident, result, now)


def _deliver(lead: Notification, method, incident: Incident, bundled: int):
    if lead.fallback:  # to a team admin's account address
        page = page_of(lead, incident, bundled)
        return senders.deliver(ContactKind.EMAIL, lead.user.email, "", page)
    if method is None:
        return senders.outbound.Result("failed", "The contact method was removed.")
    page = page_of(lead, incident, bundled)
    return senders.deliver(method.kind, method.address, method.secret, page)


def record(rows, method, incident, result, now: datetime) -> datetime | None:
    lead = rows[0]
    ids = [row.pk for row in rows]
    how = method.get_kind_display().lower() if method else lead.kind
    if lead.fallback:
        how = FALLBACK_HOW
    who = lead.user.name
    # The reason may quote what a receiver or the mail server said: stored text only.
    detail = mailing.plain(result.detail, 300) or result.outcome
    result = senders.outbound.Result(result.outcome, detail, result.status_code, result.retry_after)
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
    if not result.delivered and again is None and not lead.fallback:
        fallback.after_failure(lead.escalation_id, lead.loop, lead.step, now)
    return again


def fallbacks_for(notification_id: int) -> list[int]:
    """The fallback pages waiting after this notification's step reached nobody."""
    row = Notification.objects.filter(pk=notification_id, status=N.FAILED).first()
    if row is None or row.fallback:
        return []
    return fallback.fallbacks_to_send(row.escalation_id, row.loop, row.step)


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
