"""One apply at a time. Two applies of the same document at once (a double-clicked Apply,
a cron job overlapping a person) would both find an object missing and both create it;
the second one is refused at once instead, and can simply be run again.

A PostgreSQL session-level advisory lock: it is released when the apply ends, or when its
connection goes if the process dies. SQLite (a laptop checkout) runs one writer anyway."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# An arbitrary 64-bit key naming "an import is applying" among the app's advisory locks.
APPLY_LOCK = 0x4B45454C494D5054  # "KEELIMPT"


class ImportBusy(RuntimeError):
    """Another apply is running."""


@contextmanager
def one_apply_at_a_time() -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [APPLY_LOCK])
        (taken,) = cursor.fetchone()
    if not taken:
        raise ImportBusy(
            "Another import or apply_config is applying right now; nothing was changed. "
            "Run this one again when it has finished."
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [APPLY_LOCK])
