"""End to end with a real Celery worker process consuming the `chat` queue, as in
production: a declared incident's message reaches the (local) incoming webhook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from incidents.chat.models import ChatChannel, ChatDelivery
from keel.celery import app as celery_app
from tests.helpers import declare
from tests.receivers import Receiver
from tests.servers import ROOT, shared_database_url

WAIT_SECONDS = 60  # an upper bound for a slow CI machine, not a measurement


@pytest.fixture
def chat_worker(transactional_db):
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_declare("chat", durable=True)
        connection.default_channel.queue_purge("chat")  # work left by earlier tests
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DATABASE_URL=shared_database_url(), DB_POOL="false", CONN_MAX_AGE="0", DEBUG="true",
        OUTBOUND_ALLOW_PRIVATE="true",
    )  # fmt: skip
    celery = Path(sys.executable).with_name("celery")
    worker = subprocess.Popen(
        [str(celery), "-A", "keel", "worker", "-Q", "chat", "--pool", "solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "WARNING"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    yield worker
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def wait_for(condition, worker: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert worker.poll() is None, "the Celery worker exited"
        assert time.monotonic() < deadline, "nothing arrived"
        time.sleep(0.1)


def test_a_declared_incident_reaches_the_channel_through_a_real_worker(cast, chat_worker, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    with Receiver() as receiver:
        ChatChannel.objects.create(
            team=cast.team, name="#ops", webhook_url=f"{receiver.url}/services/T/B/worker"
        )
        incident = declare(cast, actor=None)  # committed: the hook queues to Redis
        wait_for(lambda: receiver.requests, chat_worker)
        message = json.loads(receiver.requests[0].body)
        assert message["text"].startswith(f"{incident.ref} Checkout errors")
        assert receiver.requests[0].path == "/services/T/B/worker"
        wait_for(lambda: ChatDelivery.objects.filter(status="delivered").exists(), chat_worker)


def test_the_procfile_runs_a_chat_worker_of_its_own():
    """A hanging chat workspace can tie up only the chat worker's processes, never the
    worker that runs everything else (paging)."""
    lines = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ": " in line
    )
    assert " -Q chat " in lines["chat"]
    assert "chat" not in lines["worker"]
