"""Duplicate deliveries racing each other, and Redis going away: one alert, one incident,
every delivery stored before its 2xx."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from incidents.alerts.models import Alert, Kind
from incidents.models import Incident

from ..helpers import is_postgres
from ..servers import free_port
from .helpers import make_integration, payload, post

SENDERS = 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_deliveries_of_one_key_make_one_alert_and_one_incident(ops_service):
    if not is_postgres():
        pytest.skip("needs PostgreSQL's concurrent writers (set DATABASE_URL)")
    _integration, key = make_integration(ops_service, Kind.PAGERDUTY)
    body = payload("pagerduty_trigger", routing_key=key)
    start = threading.Barrier(SENDERS)
    codes: list[int] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            start.wait()
            codes.append(post("/v2/enqueue", body, Client()).status_code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert codes == [202] * SENDERS
    alert = Alert.objects.get()
    assert alert.count == SENDERS
    incident = Incident.objects.get()
    assert alert.incident == incident
    assert incident.events.filter(kind="alert", data__action="fired").count() == 1
    assert incident.events.filter(kind="declared").count() == 1


@pytest.fixture
def private_redis():
    """A Redis server of the test's own, which the test can stop."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield process, f"redis://127.0.0.1:{port}/0"
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_alerts_are_stored_and_answered_2xx_while_redis_is_down(
    ops_service, private_redis, settings
):
    process, redis_url = private_redis
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url]},
        }
    }
    _integration, key = make_integration(ops_service, Kind.PAGERDUTY)
    body = payload("pagerduty_trigger", routing_key=key)
    assert post("/v2/enqueue", body).status_code == 202  # Redis up: counted by the limiter

    process.terminate()
    process.wait(timeout=10)
    for _ in range(3):
        response = post("/v2/enqueue", body)
        assert response.status_code == 202, response.content
    second = payload("pagerduty_trigger", routing_key=key, dedup_key="disk-full")
    assert post("/v2/enqueue", second).status_code == 202

    assert Alert.objects.get(dedup_key="samplekeyhere").count == 4
    assert Alert.objects.get(dedup_key="disk-full").incident is not None
    assert Incident.objects.count() == 2
