"""A real HTTP server on 127.0.0.1 playing a browser's push service (RFC 8030): it takes
`POST /push/<id>`, checks the VAPID Authorization (RFC 8292: `vapid t=<JWT>,k=<key>`, an
ES256 JWT whose `aud` is this origin), decrypts the aes128gcm body (RFC 8188/8291) with
http_ece and the subscription's own private key, and records what the browser would get.
It answers 201 Created, or 410 Gone for a subscription marked gone."""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    """A subscription as a browser makes it: its own P-256 key pair and auth secret."""

    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def to_json(self) -> dict[str, Any]:  # PushSubscription.toJSON()
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64url(public),
                                                    "auth": b64url(self.auth)}}  # fmt: skip


@dataclass
class Push:
    path: str
    headers: dict[str, str]
    claims: dict[str, Any]  # the VAPID JWT's claims (its signature checked)
    vapid_key: str  # the `k` of the Authorization header
    payload: dict[str, Any] | None  # decrypted, None if it could not be


class PushService:
    def __init__(self) -> None:
        self.browsers: dict[str, Browser] = {}
        self.gone: set[str] = set()
        self.pushes: list[Push] = []
        self.refused: list[str] = []  # why requests were refused (bad VAPID, bad body)
        lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                browser = service.browsers.get(self.path)
                if browser is None or self.path in service.gone:
                    return self._answer(410 if browser else 404)
                try:
                    push = service.check(self.path, dict(self.headers.items()), body, browser)
                except (AssertionError, ValueError, KeyError) as exc:
                    with lock:
                        service.refused.append(f"{type(exc).__name__}: {exc}")
                    return self._answer(403 if "vapid" in str(exc).lower() else 400)
                with lock:
                    service.pushes.append(push)
                self._answer(201)

            def log_message(self, format: str, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def browser(self, name: str) -> Browser:
        path = f"/push/{name}"
        self.browsers[path] = Browser(self.url + path)
        return self.browsers[path]

    def check(self, path: str, headers: dict[str, str], body: bytes, browser: Browser) -> Push:
        auth = headers.get("Authorization", "")
        assert auth.startswith("vapid t="), "VAPID Authorization header missing"
        assert Vapid02.verify(auth), "VAPID signature does not verify"
        params = dict(part.split("=", 1) for part in auth[len("vapid ") :].split(","))
        claims = json.loads(unb64url(params["t"].split(".")[1]))
        assert claims["aud"] == self.url, f"VAPID aud {claims['aud']} is not {self.url}"
        assert headers.get("Content-Encoding") == "aes128gcm", "not aes128gcm"
        assert int(headers["TTL"]) >= 0
        plain = http_ece.decrypt(body, private_key=browser.key, auth_secret=browser.auth,
                                 version="aes128gcm")  # fmt: skip
        return Push(path, headers, claims, params["k"], json.loads(plain))

    def __enter__(self) -> PushService:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
