"""Fixtures: the shared cast (see tests/helpers.py) and a service."""

from __future__ import annotations

import pytest
import redis
from channels.layers import channel_layers
from django.conf import settings

from incidents import live
from incidents.models import Service
from keel.celery import app as celery_app

from .helpers import Cast, make_cast
from .servers import AsgiServer, shared_database_url


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Argon2 is deliberately slow; the tests create many people and test no hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def no_presence_from_earlier_runs():
    """Each run's test database numbers incidents from 1 again: forget the live rooms'
    presence (lists, versions, locks) that earlier runs left in Redis for those numbers."""
    with redis.Redis.from_url(settings.REDIS_URL) as client:
        for key in client.scan_iter("keel:presence:*", count=1000):
            client.delete(key)


@pytest.fixture(autouse=True)
def live_room_broadcasts_sent():
    """The live room broadcasts from a sender thread: let it finish what a test queued, so
    that nothing of one test runs into the next, or into dropping the test database."""
    yield
    # 30 s: one CI run saw the sender thread still draining after 10 s (test_live_broadcast).
    live.flush(timeout=30)
    # channels keeps one layer per process, and channels_redis keeps asyncio locks in it that
    # belong to the event loop that made them. Every async test runs its own loop: a lock a
    # cancelled consumer of an earlier test still held failed later tests with "bound to a
    # different event loop". A fresh layer for each test.
    channel_layers.backends.clear()


@pytest.fixture
def cast(db) -> Cast:
    """One team ("Ops") with an admin, a responder and a viewer; an outsider who responds
    for another team; and a staff user. Fixed values, no randomness."""
    return make_cast()


@pytest.fixture
def service(db) -> Service:
    return Service.objects.create(name="checkout", description="Cart and checkout")


@pytest.fixture
def two_servers(transactional_db):
    """Two production-style ASGI server processes sharing the test database and Redis."""
    database = shared_database_url()
    servers = [AsgiServer(database).start(), AsgiServer(database).start()]
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def eager():
    """Celery tasks run in-process, at once (countdowns and ETAs ignored)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before
