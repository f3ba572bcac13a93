"""Real ASGI servers for tests: uvicorn, as in production, on the test database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shared_database_url() -> str:
    """The test database, as a DATABASE_URL another process can use."""
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    return f"postgres://{auth}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


class AsgiServer:
    """One uvicorn process serving keel.asgi on 127.0.0.1:`port`; can be stopped and
    started again on the same port (to cut every socket connected to it)."""

    def __init__(self, database_url: str, port: int | None = None) -> None:
        self.database_url = database_url
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> AsgiServer:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
        env.update(
            DATABASE_URL=self.database_url,
            DEBUG="true",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            CONN_MAX_AGE="0",
            OUTBOUND_ALLOW_PRIVATE="true",  # the tests' receivers listen on 127.0.0.1
        )
        uvicorn = Path(sys.executable).with_name("uvicorn")
        self.process = subprocess.Popen(
            [str(uvicorn), "keel.asgi:application", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        for _ in range(200):
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                if self.process.poll() is not None:
                    break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the ASGI server on port {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
