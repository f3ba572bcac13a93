"""Fixtures for the live room's async tests."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db import connection


def close_this_threads_connection() -> None:
    connection.close()


@pytest.fixture
async def sync_thread_db_closed():
    """After the test, close the database connection of the thread that runs sync code
    for async tests. channels' close_old_connections does not reach it (the connection
    lives in the call's context), and a connection left open keeps the test database from
    being dropped at the end of the run."""
    yield
    await database_sync_to_async(close_this_threads_connection)()
