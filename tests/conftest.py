"""Fixtures: the shared cast (see tests/helpers.py) and a service."""

from __future__ import annotations

import pytest

from incidents.models import Service

from .helpers import Cast, make_cast
from .servers import AsgiServer, shared_database_url


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Argon2 is deliberately slow; the tests create many people and test no hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
