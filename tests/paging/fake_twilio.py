"""A real HTTP server on 127.0.0.1 playing Twilio's REST API as Twilio documents it
(https://www.twilio.com/docs/messaging/api/message-resource,
https://www.twilio.com/docs/voice/api/call-resource): `POST /2010-04-01/Accounts/{Sid}/
Messages.json` and `…/Calls.json`, form-encoded with HTTP Basic auth (account SID, auth
token), answered 201 with JSON carrying a new `sid` ("SM…" / "CA…") and `status` "queued";
401 with Twilio's error JSON for a wrong token. A test can queue other answers (429, 5xx,
Twilio's 400 error JSON). Also signs inbound webhooks as Twilio does, with the twilio
package's own RequestValidator."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

ACCOUNT = "AC" + "0" * 31 + "1"
TOKEN = "test-auth-token-0123456789abcdef"
FROM = "+15005550006"  # Twilio's magic test "From" number


@dataclass
class Sent:
    kind: str  # "Messages" or "Calls"
    fields: dict[str, str]
    sid: str


def twilio_settings(settings, server: FakeTwilio) -> None:
    settings.TWILIO_ACCOUNT_SID = ACCOUNT
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_FROM_NUMBER = FROM
    settings.TWILIO_API_BASE = server.url
    settings.OUTBOUND_ALLOW_PRIVATE = True


def sign(url: str, fields: dict[str, str], token: str = TOKEN) -> str:
    """X-Twilio-Signature for a POST of `fields` to `url`."""
    return RequestValidator(token).compute_signature(url, fields)


def error(status: int, code: int, message: str) -> tuple[int, dict]:
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class FakeTwilio:
    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.forced: deque[tuple[int, dict]] = deque()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                fields = dict(parse_qsl(self.rfile.read(length).decode()))
                expected = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
                prefix = f"/2010-04-01/Accounts/{ACCOUNT}/"
                kind = self.path.removeprefix(prefix).removesuffix(".json")
                with fake._lock:
                    if self.headers.get("Authorization") != f"Basic {expected}":
                        status, body = error(401, 20003, "Authenticate")
                    elif fake.forced:
                        status, body = fake.forced.popleft()
                    elif self.path.startswith(prefix) and kind in ("Messages", "Calls"):
                        sid = ("SM" if kind == "Messages" else "CA") + uuid.uuid4().hex
                        fake.sent.append(Sent(kind, fields, sid))
                        status = 201
                        body = {"account_sid": ACCOUNT, "api_version": "2010-04-01",
                                "to": fields.get("To"), "from": fields.get("From"),
                                "body": fields.get("Body"), "status": "queued", "sid": sid,
                                "uri": f"{prefix}{kind}/{sid}.json"}  # fmt: skip
                    else:
                        status, body = error(404, 20404, "The requested resource was not found")
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def messages(self) -> list[Sent]:
        return [s for s in self.sent if s.kind == "Messages"]

    def calls(self) -> list[Sent]:
        return [s for s in self.sent if s.kind == "Calls"]

    def __enter__(self) -> FakeTwilio:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
