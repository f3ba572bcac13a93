"""`tracked_update`: wrap a QuerySet.update() of fields the audit log tracks (an update()
sends no save signals, so the log would not see it otherwise):

    with tracked_update(ChatChannel, [channel.pk]):
        ChatChannel.objects.filter(pk=channel.pk).update(slack_channel_id=...)

This module imports nothing of Keel's, so any app may use it; audit/recorder.py listens.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.dispatch import Signal

updating = Signal()  # sender: the model; pks: the rows about to change
updated = Signal()  # sender: the model; the change is made


@contextmanager
def tracked_update(model: type, pks: list[Any]) -> Iterator[None]:
    updating.send(sender=model, pks=pks)
    yield
    updated.send(sender=model)
