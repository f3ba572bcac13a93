"""End to end with a real Celery worker process on the `paging` queue, as the Procfile runs
it, and a local HTTP server recording pages. A paging "minute" is 2 seconds here
(PAGING_MINUTE_SECONDS), so escalations run in real time, quickly.

- alert -> step 1 pages the person on call -> no ack -> step 2 pages the next -> the ack
  link stops everything; signatures verified with each webhook's secret;
- crash: the worker is SIGKILLed mid-send, restarted, and the auditor resends the page with
  the same delivery id: every page arrives, none under two ids;
- outage: Redis is stopped, an alert is still accepted, Redis comes back, and the auditor
  has the page delivered once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from urllib.parse import urlsplit

import pytest
import redis
from django.test import Client
from django.utils import timezone

from incidents.models import Service
from incidents.paging import tasks
from incidents.paging.models import Escalation, Notification
from keel.celery import app as celery_app
from tests.helpers import declare
from tests.oncall.helpers import make_schedule
from tests.receivers import Answer, Receiver
from tests.servers import ROOT, free_port

from .helpers import make_policy, signed_correctly, webhook_for
from .worker import MINUTE_SECONDS, purge, start_worker, stop

WAIT_SECONDS = 60  # an upper bound for a slow CI machine, not a measurement


def wait_for(condition, worker: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert worker is None or worker.poll() is None, "the Celery worker exited"
        assert time.monotonic() < deadline, "nothing arrived"
        time.sleep(0.05)


def use_broker(url: str) -> None:
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def paging_settings(settings, transactional_db):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.PAGING_MINUTE_SECONDS = float(MINUTE_SECONDS)
    settings.PAGING_AUDIT_GRACE_SECONDS = 0
    return settings


def delivery_ids(receiver: Receiver) -> list[str]:
    return [r.headers["X-Keel-Delivery"] for r in receiver.requests]


def test_alert_pages_step_one_then_step_two_and_the_ack_link_stops_it(cast, paging_settings):
    purge()
    worker = start_worker()
    try:
        with Receiver() as receiver:
            checkout = Service.objects.create(name="checkout")
            on_call = make_schedule(cast.team, [cast.responder])
            make_policy(cast.team, (2, [{"schedule": on_call.pk}]), (2, [{"user": cast.admin.pk}]),
                        repeat=2, service=checkout)  # fmt: skip
            secrets = {
                "/responder": webhook_for(cast.responder, f"{receiver.url}/responder").secret,
                "/admin": webhook_for(cast.admin, f"{receiver.url}/admin").secret,
            }
            incident = declare(cast, actor=None, services=[checkout])  # as an alert does
            wait_for(lambda: len(receiver.requests) >= 2, worker)
            assert [r.path for r in receiver.requests] == ["/responder", "/admin"]
            for request in receiver.requests:
                assert signed_correctly(request, secrets[request.path])
            ack_url = json.loads(receiver.requests[1].body)["ack_url"]
            answer = Client().post(urlsplit(ack_url).path)
            assert answer.status_code == 200
            escalation = Escalation.objects.get(incident=incident)
            assert escalation.status == "acknowledged"
            incident.refresh_from_db()
            assert incident.status == "investigating"
            seen = len(receiver.requests)
            # The policy would have paged again two "minutes" later: wait past that.
            time.sleep(3 * float(MINUTE_SECONDS))
            assert len(receiver.requests) == seen <= 3
            assert len(set(delivery_ids(receiver))) == len(receiver.requests)
    finally:
        stop(worker)


def test_a_worker_killed_mid_send_loses_no_page_and_sends_none_twice(cast, paging_settings):
    purge()
    deadline = {"PAGING_SEND_DEADLINE_SECONDS": "2"}
    worker = start_worker(**deadline)
    try:
        with Receiver() as receiver:
            receiver.answer(Answer(delay=30))  # the first page hangs: the worker is mid-send
            checkout = Service.objects.create(name="checkout")
            first, second = [{"user": cast.responder.pk}], [{"user": cast.admin.pk}]
            make_policy(cast.team, (2, first), (2, second), service=checkout)
            webhook_for(cast.responder, f"{receiver.url}/responder")
            webhook_for(cast.admin, f"{receiver.url}/admin")
            declare(cast, actor=None, services=[checkout])
            wait_for(lambda: receiver.requests, worker)
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            assert Notification.objects.get().status == "sending"
            worker = start_worker(**deadline)
            # Beat's auditor finds the page stuck in "sending" past its deadline.
            wait_for(lambda: Notification.objects.filter(deadline__lt=timezone.now()).exists())
            tasks.audit()
            wait_for(lambda: Notification.objects.filter(status="delivered").count() == 2, worker)
            ids = delivery_ids(receiver)
            expected = {str(n.delivery_id) for n in Notification.objects.all()}
            assert set(ids) == expected  # every page arrived ...
            # ... the retried one under its first delivery id, so the receiver can drop it.
            # (Step 2 falls due two paging minutes in: on a busy machine it may go out before
            # the resend, so the order is not asserted.)
            assert len(ids) == 3 and ids.count(ids[0]) == 2
    finally:
        stop(worker)


@pytest.fixture
def private_redis():
    """A Redis server of the test's own, which the test stops and starts again."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"

    def start() -> subprocess.Popen:
        server = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(lambda: _pings(url))
        return server

    before = celery_app.conf.broker_url
    use_broker(url)
    state = {"server": None}
    yield url, state, start
    if state["server"] is not None:
        state["server"].terminate()
        state["server"].wait()
    use_broker(before)


def _pings(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url).ping())
    except redis.ConnectionError:
        return False


def test_with_redis_down_an_alert_is_accepted_and_paged_once_when_it_is_back(
    cast, paging_settings, private_redis
):
    url, state, start_redis = private_redis
    with Receiver() as receiver:
        checkout = Service.objects.create(name="checkout")
        make_policy(cast.team, (30, [{"user": cast.responder.pk}]), service=checkout)
        webhook_for(cast.responder, f"{receiver.url}/responder")
        incident = declare(cast, actor=None, services=[checkout])  # Redis is not running
        assert incident.pk and Escalation.objects.filter(incident=incident).exists()
        state["server"] = start_redis()
        worker = start_worker(broker=url)
        try:
            tasks.audit()  # beat's next tick
            wait_for(lambda: receiver.requests, worker)
            tasks.audit()  # and the one after: the page is not sent again
            wait_for(lambda: Notification.objects.filter(status="delivered").exists(), worker)
            time.sleep(1)
            assert len(receiver.requests) == 1
            assert incident.events.filter(kind="page", data__action="delivered").count() == 1
        finally:
            stop(worker)


def test_the_procfile_runs_a_paging_worker_of_its_own():
    """Pages never wait behind chat or anything else: one worker consumes `paging` only, and
    no other worker line takes paging work."""
    lines = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ": " in line
    )
    assert " -Q paging " in lines["paging"]
    assert all("paging" not in lines[name] for name in ("worker", "chat"))
