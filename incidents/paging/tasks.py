"""Paging's Celery tasks, on their own `paging` queue (never behind chat). Each loads by
primary key and calls the domain; each is safe to run twice (see escalate.py, delivery.py).
acks_late (settings): a worker killed mid-task leaves its message to be delivered again,
and the auditor covers what the broker lost."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import control, delivery, escalate, reminders
from .models import Escalation, EscalationStatus, Notification

log = logging.getLogger(__name__)


def queue(task, *args, eta: datetime | None = None) -> bool:
    """Queue a task; False (logged) when Redis is down: the rows are the record and the
    auditor queues it later. Never raises into the caller (a lifecycle hook, a request)."""
    try:
        if eta is not None and eta > timezone.now():
            task.apply_async(args, eta=eta)
        else:
            task.apply_async(args)
        return True
    except Exception:
        log.warning("could not queue %s%r; the paging auditor will", task.name, args)
        return False


@shared_task(name="paging.escalate", ignore_result=True)
def run_escalation(escalation_id: int, token: str) -> None:
    run = escalate.run_step(escalation_id, token, timezone.now())
    # The next step is queued first: a worker killed while sending cannot lose it.
    if run.next_due_at is not None:
        queue(run_escalation, escalation_id, token, eta=run.next_due_at)
    # The first page due now goes out from this task, at once (no second trip through the
    # broker); the others are queued so that one slow receiver does not hold up the rest.
    now = timezone.now()
    due = dict(Notification.objects.filter(pk__in=run.notifications).values_list("pk", "due_at"))
    inline = next((pk for pk in run.notifications if due.get(pk) and due[pk] <= now), None)
    for notification_id in run.notifications:
        if notification_id != inline:
            queue_send(notification_id)
    if inline is not None:
        send_notification(inline)


def queue_send(notification_id: int) -> None:
    due = Notification.objects.filter(pk=notification_id).values_list("due_at", flat=True).first()
    if due is not None:
        queue(send_notification, notification_id, eta=due)


@shared_task(name="paging.send", ignore_result=True)
def send_notification(notification_id: int) -> None:
    again = delivery.send(notification_id, timezone.now())
    if again is not None:
        queue(send_notification, notification_id, eta=again)
    # The step reached nobody (every page failed): its fallback pages to the team's admins.
    for pk in delivery.fallbacks_for(notification_id):
        queue_send(pk)


def start_escalation(escalation: Escalation | None) -> None:
    if escalation is not None:
        queue(run_escalation, escalation.pk, str(escalation.token))


@shared_task(name="paging.audit", ignore_result=True)
def audit() -> None:
    """Beat, every minute: start escalations whose hook never ran, run escalations whose
    step is overdue, and send notifications that are due or stuck in `sending` — covering
    a web process that died between its commit and its hook, a lost message, a worker
    killed mid-task, and Redis down when the work should have been queued. A page stuck in
    `sending` with no tries left is marked failed (a sender that crashes every time is not
    sent into the same crash for ever)."""
    now = timezone.now()
    grace = timedelta(seconds=settings.PAGING_AUDIT_GRACE_SECONDS)
    lookback = timedelta(minutes=settings.PAGING_AUDIT_LOOKBACK_MINUTES)
    for incident, policy in escalate.never_started(now - lookback, now - grace):
        start_escalation(escalate.start(incident, now, policy=policy))
    control.settle(now - grace, now)  # acknowledged, but the hook that stops paging never ran
    overdue = Escalation.objects.filter(
        status=EscalationStatus.ACTIVE, next_due_at__lte=now - grace
    ).values_list("pk", "token")
    for pk, token in overdue:
        queue(run_escalation, pk, str(token))
    # Stuck with no tries left: failed, said so, and the admins paged when nobody was reached
    # (their fallback pages, due at once, are among the ones sent just below).
    delivery.give_up_stuck(now - grace)
    stuck = Notification.objects.filter(delivery.sendable(now - grace)).values_list("pk", flat=True)
    for pk in stuck:
        queue(send_notification, pk)


@shared_task(name="paging.remind", ignore_result=True)
def remind() -> None:
    reminders.send_due(timezone.now())
