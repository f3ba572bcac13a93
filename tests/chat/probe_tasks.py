"""A task on the default queue for tests/chat/test_worker.py: it stands in for paging's
work (posting to a receiver) to show that a hanging chat workspace never delays it."""

from __future__ import annotations

from celery import shared_task

from incidents import outbound


@shared_task(name="tests.probe", ignore_result=True)
def probe(url: str) -> None:
    outbound.post_json(url, {"probe": True})
