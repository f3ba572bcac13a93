"""One lock order, a bounded wait for each lock, and a retry for the transaction that
loses a deadlock anyway (STYLE.md point 13; pretix's approach).

The order. A write path that locks more than one row takes them in this order:

1. an alert: the firing alert of a key (FOR UPDATE), or the one it inserts;
2. that alert's integration, FOR NO KEY UPDATE: it serialises "which incident does this
   Alertmanager group join?";
3. the incident ref counter (declaring a new incident, lifecycle.next_number);
4. incidents, FOR NO KEY UPDATE, by ascending primary key (lifecycle; merge takes its two
   in that order);
5. what hangs off an incident: its timeline events (strike_note), escalations,
   notifications. Paging locks an escalation or its notifications (mostly with SKIP
   LOCKED) before it records on the incident; no holder of an incident lock ever waits for
   an escalation or notification row (lifecycle never touches them), so that closes no
   cycle. Keep it so.

Two PostgreSQL facts the order depends on:

- Django makes foreign keys DEFERRABLE INITIALLY DEFERRED, so they are checked at COMMIT,
  and each check takes FOR KEY SHARE on the row referred to: a new incident's team, each of
  its services (the incident-services link), a new alert's integration. FOR KEY SHARE waits
  only for FOR UPDATE (or a delete). So a lock that only serialises work is FOR NO KEY
  UPDATE (`select_for_update(no_key=True)`), and it names its own table (`of=("self",)`):
  a plain FOR UPDATE on a query that joins (and a default ordering by a related model
  joins it) locks the joined rows too.
- A transaction holds the ref counter from its first incident number until it commits.

The burst deadlock was both at once: the group lock was a plain FOR UPDATE ordered by the
integration's service, so it locked the service row too; a transaction holding it waited
for the ref counter, while the transaction holding the ref counter waited, at COMMIT, for
FOR KEY SHARE on that service row (its new incident's link) and on the integration.

Even in one order, PostgreSQL may still pick a victim (or a serialization failure under a
stricter isolation level). `atomic_with_retries` redoes such a transaction a few times with
a short jittered backoff; it is only for a whole transaction that is safe to redo (it
re-reads what it decides on, and queues side effects with on_commit, which a rollback
discards). Inside a bigger transaction it runs once: only the whole could be redone.
`retried` does the same for a function that is one transaction by itself (lifecycle's
writers).
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import OperationalError, connection, transaction

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 4
BACKOFF_SECONDS = 0.05  # doubled after each attempt, jittered
# How long one statement may wait for a lock (settings.LOCK_TIMEOUT_SECONDS): beyond this
# something holds a lock far longer than any write path here should, and a clear error (a
# 503 with Retry-After on the hooks) beats a request hanging until the sender gives up.
# Lock timeouts are not retried: waiting again is what just failed.
LOCK_NOT_AVAILABLE = "55P03"
DEADLOCK = "40P01"
SERIALIZATION_FAILURE = "40001"
RETRIED = {DEADLOCK, SERIALIZATION_FAILURE}
# What "busy, retry in a moment" looks like once retries are spent: a 503, never a 500.
CONTENDED = RETRIED | {LOCK_NOT_AVAILABLE}


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of a database error (Django wraps the driver's error as the cause)."""
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, OperationalError) and sqlstate(error) in RETRIED


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt `attempt + 1` (attempt counts from 1)."""
    return BACKOFF_SECONDS * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)


def bound_lock_waits() -> None:
    """Call first thing in a transaction: no statement in it waits more than LOCK_TIMEOUT
    for a lock (PostgreSQL; SQLite has no row locks)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            seconds = settings.LOCK_TIMEOUT_SECONDS
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{seconds * 1000:.0f}"])


def _redo(call: Callable[[], T], name: str) -> T:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return call()
        except OperationalError as error:
            if attempt == ATTEMPTS or not is_retryable(error):
                raise
            log.warning(
                "transaction %s lost to a concurrent one (%s), attempt %d of %d; redoing it",
                name, sqlstate(error), attempt, ATTEMPTS,
            )  # fmt: skip
            time.sleep(backoff(attempt))
    raise AssertionError("unreachable")


def atomic_with_retries(fn: Callable[..., T], *args, **kwargs) -> T:
    """`fn(*args, **kwargs)` in a transaction of its own, redone when PostgreSQL chose it
    as a deadlock victim or reported a serialization failure, at most ATTEMPTS times."""
    if connection.in_atomic_block:
        with transaction.atomic():
            return fn(*args, **kwargs)

    def attempt() -> T:
        with transaction.atomic():
            bound_lock_waits()
            return fn(*args, **kwargs)

    return _redo(attempt, getattr(fn, "__qualname__", repr(fn)))


def retried(fn: Callable[..., T]) -> Callable[..., T]:
    """For a function that is one whole transaction by itself (lifecycle's writers): called
    outside any transaction, it is redone as atomic_with_retries redoes; inside one, it runs
    once and whoever owns the transaction decides."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs) -> T:
        if connection.in_atomic_block:
            return fn(*args, **kwargs)
        return _redo(lambda: fn(*args, **kwargs), fn.__qualname__)

    return wrapper
