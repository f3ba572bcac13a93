"""Due reminders for action items, sent from this app's beat task until paging's beat
reminders take over. One reminder per item per due date: a conditional update decides who
sends, so two beat runs (or two workers) never remind twice."""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.db.models import F
from django.urls import reverse

from incidents import lifecycle, mailing
from incidents.models import EventKind

from .models import ActionItem, ActionStatus

log = logging.getLogger(__name__)


def due_items(today: date):
    return ActionItem.objects.filter(
        status=ActionStatus.OPEN, owner__isnull=False, due_date__lte=today
    ).select_related("owner", "postmortem__incident")


def message(item: ActionItem, today: date) -> tuple[str, str]:
    """(subject, body) of a reminder: a pure function tests can read. The subject is one
    line of bounded length whatever the title holds (a line break once stopped the mail)."""
    incident = item.postmortem.incident
    when = "today" if item.due_date == today else f"since {item.due_date.isoformat()}"
    url = settings.SITE_URL + reverse("postmortems:page", args=[incident.ref])
    subject = mailing.one_line(f"[Keel] Action item due {when}: {item.title}")
    body = (
        f'Hello {item.owner.name},\n\nThe action item "{item.title}" from the postmortem of '
        f"{incident.ref} ({incident.title}) is due {when}.\n\n{url}\n\nMark it done, or change "
        "its due date, on the postmortem page."
    )
    return subject, body


def remind(today: date) -> int:
    sent = 0
    for item in due_items(today).exclude(reminded_for=F("due_date")):
        claimed = (
            ActionItem.objects.filter(pk=item.pk, status=ActionStatus.OPEN)
            .exclude(reminded_for=item.due_date)
            .update(reminded_for=item.due_date)
        )
        if not claimed:
            continue
        subject, body = message(item, today)
        mail = mailing.send(subject, body, [item.owner.email])
        title = mailing.one_line(item.title, 200)
        said = (
            f'Reminded {item.owner.name}: action item "{title}" is due.'
            if mail.outcome == "delivered"
            else f'Could not remind {item.owner.name} that action item "{title}" is due: '
            f"{mail.detail}"
        )
        delivered = mail.outcome == "delivered"
        data = {"action_item": item.pk, "delivered": delivered}
        lifecycle.record(item.postmortem.incident, None, EventKind.REMINDER, said, data)
        sent += delivered
    return sent
