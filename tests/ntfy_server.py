"""A real HTTP server on 127.0.0.1 playing an ntfy server's publish API as its documentation
describes it (https://docs.ntfy.sh/publish/#publish-as-json): `POST /` with a JSON body
naming the `topic`; a protected topic needs `Authorization: Bearer <token>`
(https://docs.ntfy.sh/publish/#access-tokens), else 403 with ntfy's error JSON; success is
200 with the stored message as JSON. It records what was published; a test can make it
answer a status instead (to play an outage)."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class NtfyServer:
    def __init__(self, protected: dict[str, str] | None = None) -> None:
        self.protected = protected or {}  # topic -> the token it needs
        self.published: list[dict[str, Any]] = []  # accepted messages, as ntfy stores them
        self.requests: list[tuple[str, dict[str, str], bytes]] = []  # (path, headers, body)
        self.outages: deque[int] = deque()  # statuses to answer next, instead of publishing
        lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    server.requests.append((self.path, dict(self.headers.items()), body))
                    outage = server.outages.popleft() if server.outages else None
                if outage:
                    return self._answer(
                        outage, {"code": outage * 100, "http": outage, "error": "unavailable"}
                    )
                if self.path != "/":
                    return self._answer(404, {"code": 40401, "http": 404, "error": "not found"})
                try:
                    message = json.loads(body)
                    topic = message["topic"]
                except (ValueError, KeyError, TypeError):
                    return self._answer(
                        400,
                        {"code": 40024, "http": 400, "error": "invalid request: body must be JSON"},
                    )
                needed = server.protected.get(topic)
                if needed and self.headers.get("Authorization") != f"Bearer {needed}":
                    return self._answer(403, {"code": 40301, "http": 403, "error": "forbidden"})
                stored = {
                    "id": secrets.token_hex(6),
                    "time": int(time.time()),
                    "event": "message",
                    **message,
                }
                with lock:
                    server.published.append(stored)
                self._answer(200, stored)

            def log_message(self, format: str, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> NtfyServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
