"""One background thread per process that does the work handed to it, in the order given.

For after-commit hooks whose work is slow but must not hold up the request that made the
change (the live room's broadcast). `put()` only appends to a queue: it is quick and never
fails. The thread starts on first use (and again in a forked child), takes whatever has
queued up, and calls `work(item, following)` for each item in order, where `following`
is the rest of that batch, so work may skip what a later item supersedes. A failing item
is logged in one line and the next one goes on.

Async work (`run()`) goes back to the event loop of the code that queued the item when it
is still running: in a web process, the ASGI server's, as before the work moved here, so
that the channel layer's I/O and its per-recipient serialising happen on that loop rather
than on a second thread contending with it for the GIL. Without such a loop (a Celery
worker, a management command), the thread's own event loop, kept for its life, runs it.

Work queued here lives only in this process's memory: it is lost if the process dies
before the thread gets to it. Use this only for work whose loss is tolerable because the
database is the record (a browser that missed a broadcast catches up by seq when it says
hello again). At a normal exit the process waits briefly for the queue to drain.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Generic, TypeVar

from asgiref.sync import SyncToAsync
from django.db import close_old_connections

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
BATCH = 100  # items taken from the queue at a time
EXIT_WAIT_SECONDS = 2.0
HOME_WAIT_SECONDS = 10.0  # for a coroutine handed to the queuing code's event loop
HOME_POLL_SECONDS = 0.05  # how often that wait checks the loop still runs


def _calling_event_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop whose sync_to_async thread this is (the ASGI server's, in a request),
    as asgiref records it for its own async_to_sync; None outside one."""
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    return getattr(SyncToAsync.threadlocal, "main_event_loop", None)


class BackgroundWorker(Generic[T]):
    def __init__(self, name: str, work: Callable[[T, Sequence[T]], None]) -> None:
        self.name, self.work = name, work
        self._reset()
        os.register_at_fork(after_in_child=self._reset)
        atexit.register(self.flush, EXIT_WAIT_SECONDS)

    def _reset(self) -> None:
        # Also in a forked child: the parent's thread did not come along, and its lock may
        # have been held by a thread that no longer exists.
        self._idle = threading.Condition()
        self._queue: queue.SimpleQueue[tuple[T, asyncio.AbstractEventLoop | None]]
        self._queue = queue.SimpleQueue()
        self._unfinished = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._home: asyncio.AbstractEventLoop | None = None  # the current item's

    def put(self, item: T) -> None:
        """Queue `item`; the thread calls work(item, ...) soon, after what was queued before."""
        with self._idle:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
            self._unfinished += 1
        self._queue.put((item, _calling_event_loop()))

    def flush(self, timeout: float) -> bool:
        """Wait until everything queued so far is done; False if `timeout` s passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._unfinished == 0, timeout)

    def run(self, make: Callable[[], Awaitable[R]]) -> R:
        """Run the coroutine `make()` returns, on the event loop of the code that queued the
        current item if it still runs, else on this thread's; only from inside `work`."""
        if self._loop is None or threading.current_thread() is not self._thread:
            raise RuntimeError(f"{self.name}: run() is for the worker thread")
        home = self._home
        if home is not None and home.is_running():
            future = asyncio.run_coroutine_threadsafe(make(), home)
            # Wait in short slices: when that loop stops before running the coroutine (a
            # server shutting down, a test ending), run it here at once rather than
            # after the whole wait.
            deadline = time.monotonic() + HOME_WAIT_SECONDS
            while True:
                try:
                    return future.result(HOME_POLL_SECONDS)
                except FutureTimeout:
                    if not home.is_running():
                        break
                    if time.monotonic() >= deadline:
                        raise
            if not home.is_closed():
                future.cancel()  # a closed loop cannot take the cancellation
        return self._loop.run_until_complete(make())

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            items = [item for item, _home in batch]
            for index, (item, self._home) in enumerate(batch):
                try:
                    self.work(item, items[index + 1 :])
                except Exception as error:
                    log.warning("%s: %r failed: %r", self.name, item, error)
                finally:
                    # Between items, as a request does when it ends: give back the
                    # database connection (or keep it, within CONN_MAX_AGE).
                    close_old_connections()
                    with self._idle:
                        self._unfinished -= 1
                        self._idle.notify_all()
