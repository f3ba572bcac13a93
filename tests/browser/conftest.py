"""A real ASGI server (uvicorn, as in production) on the test database, and headless
Chromium driven by Playwright. Tests here use `transactional_db` so the server sees
the data they create."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from ..servers import AsgiServer, shared_database_url

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def asgi_server(django_db_setup, django_db_blocker) -> Iterator[str]:
    with django_db_blocker.unblock():
        server = AsgiServer(shared_database_url()).start()
    yield server.url
    server.stop()


# Module scope: Playwright's loop must be gone before other modules' asyncio tests run.
@pytest.fixture(scope="module")
def chromium():
    if not shutil.which(CHROMIUM):
        message = f"{CHROMIUM} is not installed: `make test` installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the tests' ORM calls are
    # still plain synchronous code, so Django's async-safety guard must stand aside.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def new_page(chromium):
    """Pages in fresh browser contexts (separate cookies, like separate people)."""
    contexts = []

    def make():
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def fast_password_hashing():
    """The server checks passwords with the real hashers, so the tests here use them too."""
