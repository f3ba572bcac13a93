"""Chat's Celery tasks, on their own `chat` queue (never the paging queue): a slow or
failing workspace must not hold up anything else."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.utils import timezone

from incidents import outbound

from . import delivery

log = logging.getLogger(__name__)


@shared_task(name="chat.deliver_channel", ignore_result=True)
def deliver_channel(channel_id: int) -> None:
    """Send what is due on one channel, then queue the next run when more is waiting."""
    report = delivery.send_next(channel_id)
    if report.again_at is not None:
        schedule(channel_id, report.again_at)


def schedule(channel_id: int, when) -> None:
    now = timezone.now()
    if delivery.claim_wake(channel_id, when, now):
        deliver_channel.apply_async((channel_id,), eta=when)


@shared_task(name="chat.sweep", ignore_result=True)
def sweep() -> None:
    """Beat, every minute: send what was accepted while Redis was down, what a crashed
    worker left mid-send, and retries whose queued wake-up was lost."""
    for channel_id in delivery.pending_channels():
        deliver_channel.delay(channel_id)


@shared_task(name="chat.respond", ignore_result=True, bind=True, max_retries=3)
def respond(self, response_url: str, payload: dict[str, Any]) -> None:
    """A later reply to a slash command or button through its `response_url`."""
    result = outbound.post_json(response_url, payload)
    if result.outcome == "retry":
        raise self.retry(countdown=2 ** (self.request.retries + 1))
    if not result.delivered:
        log.info("reply to %s not delivered: %s", response_url[:40], result.detail)
