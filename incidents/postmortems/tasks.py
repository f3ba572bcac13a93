from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import reminders


@shared_task
def remind_due_action_items() -> int:
    """Beat, every 15 minutes: remind owners of action items due today or overdue."""
    return reminders.remind(timezone.localdate())
