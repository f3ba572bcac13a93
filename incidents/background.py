"""One background thread per process that does the work handed to it, in the order given.

For after-commit hooks whose work is slow but must not hold up the request that made the
change (the live room's broadcast). `put()` only appends to a queue: it is quick and never
fails. The thread starts on first use (and again in a forked child), takes whatever has
queued up, and calls `work(item, following)` for each item in order, where `following`
is the rest of that batch, so work may skip what a later item supersedes. A failing item
is logged in one line and the next one goes on. The thread owns an event loop, kept for
its life, so async clients (the channel layer's Redis pool) are reused between items.

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
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from django.db import close_old_connections

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
BATCH = 100  # items taken from the queue at a time
EXIT_WAIT_SECONDS = 2.0


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
        self._queue: queue.SimpleQueue[T] = queue.SimpleQueue()
        self._unfinished = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def put(self, item: T) -> None:
        """Queue `item`; the thread calls work(item, ...) soon, after what was queued before."""
        with self._idle:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
            self._unfinished += 1
        self._queue.put(item)

    def flush(self, timeout: float) -> bool:
        """Wait until everything queued so far is done; False if `timeout` s passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._unfinished == 0, timeout)

    def run(self, awaitable: Awaitable[R]) -> R:
        """Run a coroutine on the thread's event loop; only from inside `work`."""
        if self._loop is None or threading.current_thread() is not self._thread:
            raise RuntimeError(f"{self.name}: run() is for the worker thread")
        return self._loop.run_until_complete(awaitable)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            for index, item in enumerate(batch):
                try:
                    self.work(item, batch[index + 1 :])
                except Exception as error:
                    log.warning("%s: %r failed: %r", self.name, item, error)
                finally:
                    # Between items, as a request does when it ends: give back the
                    # database connection (or keep it, within CONN_MAX_AGE).
                    close_old_connections()
                    with self._idle:
                        self._unfinished -= 1
                        self._idle.notify_all()
