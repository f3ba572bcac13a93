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
from tests.receivers import Answer, Receiver
from tests.servers import ROOT, shared_database_url

WAIT_SECONDS = 60  # an upper bound for a slow CI machine, not a measurement


def start_worker(queue: str, *extra: str, **env_extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DATABASE_URL=shared_database_url(), DB_POOL="false", CONN_MAX_AGE="0", DEBUG="true",
        OUTBOUND_ALLOW_PRIVATE="true", **env_extra,
    )  # fmt: skip
    celery = Path(sys.executable).with_name("celery")
    return subprocess.Popen(
        [str(celery), "-A", "keel", "worker", "-Q", queue, "-n", f"{queue}-test@%h",
         "--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--loglevel", "WARNING", *extra],
        cwd=ROOT, env=env,
    )  # fmt: skip


def stop(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=5)
    except subprocess.TimeoutExpired:  # busy with a hanging request: no need to wait
        worker.kill()
        worker.wait()


def purge(*queues: str) -> None:
    """Drop work that earlier tests queued and nobody consumed."""
    with celery_app.connection_for_write() as connection:
        for queue in queues:
            connection.default_channel.queue_declare(queue, durable=True)
            connection.default_channel.queue_purge(queue)


@pytest.fixture
def chat_worker(transactional_db):
    purge("chat")
    worker = start_worker("chat")
    yield worker
    stop(worker)


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


def test_a_hanging_chat_workspace_does_not_delay_the_other_worker(cast, transactional_db, settings):
    """As the Procfile runs them: the chat worker is stuck on a workspace that does not
    answer, and work on the default queue (where paging runs) still goes out at once."""
    settings.OUTBOUND_ALLOW_PRIVATE = True
    purge("chat", "celery")
    with Receiver() as workspace, Receiver() as pager:
        workspace.answer(Answer(delay=30))  # hangs (the chat worker waits up to 60 s)
        chat = start_worker("chat", OUTBOUND_READ_TIMEOUT="60")
        other = start_worker("celery", "-I", "tests.chat.probe_tasks")
        try:
            ChatChannel.objects.create(team=cast.team, name="#ops", webhook_url=workspace.url)
            declare(cast, actor=None)
            wait_for(lambda: workspace.requests, chat)  # the chat worker is now stuck
            celery_app.send_task("tests.probe", args=[f"{pager.url}/page"], queue="celery")
            wait_for(lambda: pager.requests, other)
            # The page went out while the chat message was still waiting for its answer.
            assert ChatDelivery.objects.get(event="declared").status == "sending"
        finally:
            stop(chat)
            stop(other)


def test_the_procfile_runs_a_chat_worker_of_its_own():
    """A hanging chat workspace can tie up only the chat worker's processes, never the
    worker that runs everything else (paging)."""
    lines = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ": " in line
    )
    assert " -Q chat " in lines["chat"]
    assert "chat" not in lines["worker"]
