"""A real Celery worker process on the `paging` queue, as the Procfile runs it, on the test
database (tests/paging/test_worker.py and the browser's paging test use it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from keel.celery import app as celery_app
from tests.servers import ROOT, shared_database_url

MINUTE_SECONDS = "2"  # a paging "minute" (PAGING_MINUTE_SECONDS) unless a test says otherwise


def start_worker(broker: str | None = None, **env_extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({
        "DATABASE_URL": shared_database_url(), "DB_POOL": "false", "CONN_MAX_AGE": "0",
        "DEBUG": "true", "OUTBOUND_ALLOW_PRIVATE": "true",
        "PAGING_MINUTE_SECONDS": MINUTE_SECONDS, **env_extra,
    })  # fmt: skip
    if broker:
        env["REDIS_URL"] = broker
    celery = Path(sys.executable).with_name("celery")
    return subprocess.Popen(
        [str(celery), "-A", "keel", "worker", "-Q", "paging", "-n", "paging-test@%h",
         "--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--loglevel", "WARNING"],
        cwd=ROOT, env=env,
    )  # fmt: skip


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=5)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def purge() -> None:
    """Drop whatever earlier tests left queued for paging (the queue is shared)."""
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_declare("paging", durable=True)
        connection.default_channel.queue_purge("paging")
