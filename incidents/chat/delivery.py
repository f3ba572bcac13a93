"""Sending a channel's pending deliveries: one message per incident, at most one message per
second per channel, with bounded retries, and channels disabled when the workspace refuses
them for good.

`send_next(channel_id)` does one send (or none) and says when to run again; tasks.py runs it
and schedules the next run. All the state is in the database (rows claimed with conditional
updates), so any number of workers may run it at once, and running it twice is harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from audit.signals import tracked_update
from incidents import mailing, outbound
from incidents.models import EventKind, Incident, TimelineEvent

from . import blocks
from .models import ChatChannel, ChatDelivery, ChatEvent, ChatThread

log = logging.getLogger(__name__)

MIN_INTERVAL = timedelta(seconds=1)  # Slack: about one message per second per channel
SENDING_DEADLINE = timedelta(minutes=2)  # a claimed row not finished by then was a crash
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(minutes=10)
# The errors that mean "never again" for an incoming webhook (Slack's documented ones).
PERMANENT_ERRORS = ("invalid_payload", "action_prohibited", "channel_not_found",
                    "channel_is_archived", "no_service", "no_team", "team_disabled",
                    "invalid_token")  # fmt: skip


@dataclass(frozen=True)
class SendReport:
    sent: int  # deliveries told in this run (0: nothing was due, or the channel must wait)
    again_at: datetime | None  # when to run again (None: nothing left)


def backoff(attempts: int) -> timedelta:
    """2 s, 4 s, 8 s ... up to ten minutes after the nth failed attempt."""
    base = settings.CHAT_RETRY_BASE_SECONDS
    return min(timedelta(seconds=base * 2 ** (attempts - 1)), MAX_BACKOFF)


def incident_facts(incident: Incident) -> blocks.IncidentFacts:
    commander = incident.commander
    return blocks.IncidentFacts(
        ref=incident.ref,
        title=incident.title,
        severity=incident.severity,
        status=incident.status,
        commander=commander.name if commander else None,
        url=settings.SITE_URL + reverse("incidents:detail", args=[incident.ref]),
    )


def postmortem_facts(incident: Incident) -> blocks.PostmortemFacts:
    """The published postmortem as its timeline event tells it (postmortems records the
    summary and its page's path there; chat never reads postmortems' own tables)."""
    data: dict = {}
    events = TimelineEvent.objects.filter(incident=incident, kind=EventKind.POSTMORTEM)
    for event in events.order_by("-seq")[:20]:
        if isinstance(event.data, dict) and "published" in event.data.values():
            data = event.data
            break
    path, summary = data.get("url"), data.get("summary")
    ours = isinstance(path, str) and path.startswith("/") and not path.startswith("//")
    url = settings.SITE_URL + path if ours else incident_facts(incident).url
    return blocks.PostmortemFacts(
        title=incident.title, summary=summary if isinstance(summary, str) else "", url=url
    )


def slack_error(result: outbound.Result) -> str:
    """Slack answers an incoming webhook's errors with a bare word (`channel_not_found`)."""
    word = result.body.strip().splitlines()[0] if result.body.strip() else ""
    return word[:60] if word.replace("_", "").isalnum() else ""


def recover_stuck(channel_id: int, now: datetime) -> None:
    """Rows claimed by a worker that died mid-send go back to pending."""
    ChatDelivery.objects.filter(
        channel_id=channel_id, status=ChatDelivery.Status.SENDING, sending_until__lt=now
    ).update(status=ChatDelivery.Status.PENDING, sending_until=None)


def next_due(channel_id: int, now: datetime) -> datetime | None:
    """When this channel next has something to send (None: nothing pending)."""
    soonest = ChatDelivery.objects.filter(
        channel_id=channel_id, status=ChatDelivery.Status.PENDING
    ).aggregate(soonest=Min("next_attempt_at"))["soonest"]
    return None if soonest is None else max(soonest, now)


def claim_slot(channel_id: int, now: datetime) -> bool:
    """Take this channel's next one-second slot; False if a message went out less than a
    second ago (the row count says whether we won)."""
    return bool(
        ChatChannel.objects.active()
        .filter(pk=channel_id)
        .filter(Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=now - MIN_INTERVAL))
        .update(last_sent_at=now)
    )


def claim_rows(channel_id: int, now: datetime) -> list[ChatDelivery]:
    """The due rows of the incident waiting longest, claimed as `sending`."""
    with transaction.atomic():
        due = ChatDelivery.objects.filter(
            channel_id=channel_id, status=ChatDelivery.Status.PENDING, next_attempt_at__lte=now
        )
        first = due.order_by("created_at", "pk").values_list("incident_id", flat=True).first()
        if first is None:
            return []
        rows = list(
            due.filter(incident_id=first)
            .order_by("created_at", "pk")
            .select_for_update(skip_locked=True)
        )
        ChatDelivery.objects.filter(pk__in=[r.pk for r in rows]).update(
            status=ChatDelivery.Status.SENDING, sending_until=now + SENDING_DEADLINE
        )
    return rows


def send_next(channel_id: int, now: datetime | None = None) -> SendReport:
    now = now or timezone.now()
    recover_stuck(channel_id, now)
    channel = ChatChannel.objects.active().filter(pk=channel_id).first()
    if channel is None:
        return SendReport(0, None)
    due = next_due(channel_id, now)
    if due != now:
        return SendReport(0, due)
    if not claim_slot(channel_id, now):
        channel.refresh_from_db(fields=["last_sent_at"])
        return SendReport(0, channel.last_sent_at + MIN_INTERVAL)
    rows = claim_rows(channel_id, now)
    if rows:
        tell(channel, rows, now)
    later = next_due(channel_id, now)
    return SendReport(len(rows), max(later, now + MIN_INTERVAL) if later else None)


def tell(channel: ChatChannel, rows: list[ChatDelivery], now: datetime) -> None:
    """Send one message for these rows (all about one incident): the incident's state now,
    with what happened since the last message."""
    incident = Incident.objects.select_related("team").get(pk=rows[0].incident_id)
    published = any(r.event == ChatEvent.POSTMORTEM for r in rows)
    message = blocks.incident_message(
        incident_facts(incident),
        [r.headline for r in rows],
        channel.pk,
        postmortem_facts(incident) if published else None,
    )
    thread = ChatThread.objects.filter(channel=channel, incident=incident).first()
    ids = [r.pk for r in rows]
    if thread is not None and thread.usable(now):
        # Replace the message the buttons were clicked on; counts as one of its five uses.
        ChatThread.objects.filter(pk=thread.pk).update(uses=F("uses") + 1)
        result = outbound.post_json(thread.response_url, {"replace_original": True, **message})
        if result.delivered:
            finish(ids, ChatDelivery.Status.DELIVERED, result, now)
            return
        # Expired or used up early: forget it and post a new message in the next slot.
        log.info("response_url for %s in %s stopped working: %s", incident.ref, channel, result)
        ChatThread.objects.filter(pk=thread.pk).update(expires_at=now)
        ChatDelivery.objects.filter(pk__in=ids).update(
            status=ChatDelivery.Status.PENDING, sending_until=None
        )
        return
    if all(r.update_only for r in rows):
        finish(ids, ChatDelivery.Status.SKIPPED, None, now, "No message left to update.")
        return
    result = outbound.post_json(channel.webhook_url, message)
    if result.delivered:
        finish(ids, ChatDelivery.Status.DELIVERED, result, now)
    elif result.outcome == "retry":
        retry(rows, result, now)
    else:
        error = slack_error(result)
        reason = f"{error} ({result.status_code})" if error else result.detail
        finish(ids, ChatDelivery.Status.FAILED, result, now, reason)
        disable(channel, reason, now)


def finish(
    ids: list[int],
    status: str,
    result: outbound.Result | None,
    now: datetime,
    detail: str | None = None,
) -> None:
    ChatDelivery.objects.filter(pk__in=ids).update(
        status=status,
        attempts=F("attempts") + (1 if result else 0),
        status_code=result.status_code if result else None,
        detail=(detail or (result.detail if result else ""))[:300],
        sent_at=now if status == ChatDelivery.Status.DELIVERED else None,
        sending_until=None,
    )


def retry(rows: list[ChatDelivery], result: outbound.Result, now: datetime) -> None:
    """Try again later (Retry-After when the workspace said, else exponential backoff), up
    to MAX_ATTEMPTS; then give up on these rows, not on the channel."""
    for row in rows:
        attempts = row.attempts + 1
        wait = max(result.retry_after or timedelta(0), backoff(attempts))
        gave_up = attempts >= MAX_ATTEMPTS
        ChatDelivery.objects.filter(pk=row.pk).update(
            status=ChatDelivery.Status.FAILED if gave_up else ChatDelivery.Status.PENDING,
            attempts=attempts,
            status_code=result.status_code,
            detail=(f"Gave up after {attempts} attempts: " if gave_up else "") + result.detail,
            next_attempt_at=now + wait,
            sending_until=None,
        )


def disable(channel: ChatChannel, reason: str, now: datetime) -> None:
    """The workspace refused the channel for good: stop posting, and say why on the chat
    page where the team's admins fix it, and mail them. What was still pending is kept for
    the log."""
    with tracked_update(ChatChannel, [channel.pk]):
        disabled = (
            ChatChannel.objects.active()
            .filter(pk=channel.pk)
            .update(state=ChatChannel.State.DISABLED, disabled_reason=reason[:300], disabled_at=now)
        )
    if not disabled:
        return  # another worker got there first and told them already
    log.warning("chat channel %s disabled: %s", channel, reason)
    admins = User.objects.filter(
        memberships__team_id=channel.team_id, memberships__role=Role.ADMIN, is_active=True
    ).values_list("email", flat=True)
    page = settings.SITE_URL + reverse("chat:channel", args=[channel.pk])
    mailing.send(  # never raises: the page says it too, whatever the mail server does
        f"Keel stopped posting to {channel.name}",
        f"The chat workspace refused Keel's message to {channel.name} ({channel.team}) for "
        f"good: {reason}.\n\nNothing is posted there until a team admin fixes the webhook "
        f"URL (or the channel in the workspace) and saves the channel again:\n{page}\n",
        list(admins),
    )


def claim_wake(channel_id: int, when: datetime, now: datetime) -> bool:
    """Only one queued wake-up per channel: set `wake_at` unless an earlier one is queued
    already (the row count says whether this caller should queue it)."""
    return bool(
        ChatChannel.objects.filter(pk=channel_id)
        .filter(Q(wake_at__isnull=True) | Q(wake_at__lte=now) | Q(wake_at__gt=when))
        .update(wake_at=when)
    )


def pending_channels(now: datetime | None = None) -> list[int]:
    """Channels with something due or stuck mid-send, for the sweeper."""
    now = now or timezone.now()
    due = Q(status=ChatDelivery.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=ChatDelivery.Status.SENDING, sending_until__lt=now
    )
    ids = ChatDelivery.objects.filter(due, channel__state=ChatChannel.State.ACTIVE)
    return sorted(set(ids.values_list("channel_id", flat=True)))
