"""The background worker hands async work back to the event loop of the code that queued
it. When that loop stops before running the work (a server shutting down, a test ending),
the work runs on the worker's own loop at once, not after the whole wait for the loop."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from asgiref.sync import sync_to_async

from incidents.background import HOME_WAIT_SECONDS, BackgroundWorker


def test_work_for_a_loop_that_stopped_before_running_it_runs_on_the_worker_thread() -> None:
    started = threading.Event()
    ran_on: list[str] = []

    async def where() -> str:
        return threading.current_thread().name

    def work(item: str, following: object) -> None:
        started.set()
        ran_on.append(worker.run(where))

    worker = BackgroundWorker("background-test", work)

    async def queue_then_stop() -> None:
        await sync_to_async(worker.put)("item")  # queued from this loop's sync thread
        # Hold the loop while the worker hands it the coroutine, then stop it at once
        # (as an interrupted server does): it never runs what it was handed.
        assert started.wait(5)
        time.sleep(0.3)
        raise KeyboardInterrupt

    loop = asyncio.new_event_loop()
    with pytest.raises(KeyboardInterrupt):
        loop.run_until_complete(queue_then_stop())
    loop.close()

    assert worker.flush(HOME_WAIT_SECONDS / 2), "the work waited for a loop that had stopped"
    assert ran_on == ["background-test"]
