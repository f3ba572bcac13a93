"""`manage.py phone_simulator`: try SMS and voice pages without a Twilio account. It plays
Twilio on loopback: Keel's Messages.json / Calls.json requests are printed (and answered
as Twilio does, 201 with a "sid"), and what you type is sent back to Keel as the phone
would, signed as Twilio signs it:

    reply 1234 ack     an SMS from the last number paged (or texted a code)
    press 1            a key in the last call (after fetching and printing its TwiML)
    status failed      a status callback for the last message or call (delivered, failed…)

Point Keel at it (in .env, then `make run` in another terminal):
    TWILIO_ACCOUNT_SID=AC00000000000000000000000000000000
    TWILIO_AUTH_TOKEN=simulator
    TWILIO_FROM_NUMBER=+15005550006
    TWILIO_API_BASE=http://127.0.0.1:8025

It signs for and posts to the address `make run` serves (http://127.0.0.1:8000, which
`make run` also gives Keel as SITE_URL), or SITE_URL when the environment sets it, or
--site-url: Keel checks each signature over its own SITE_URL, so the two must agree.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand
from twilio.request_validator import RequestValidator


class Command(BaseCommand):
    help = "Play Twilio on loopback so SMS and voice pages can be tried without an account."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8025)
        parser.add_argument(
            "--site-url", default=os.environ.get("SITE_URL", "http://127.0.0.1:8000"),
            help="Keel's SITE_URL (default: $SITE_URL, else make run's http://127.0.0.1:8000)",
        )  # fmt: skip

    def handle(self, *args, **options) -> None:
        self.last: dict[str, str] = {}
        self.site = options["site_url"].rstrip("/")
        command = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                fields = dict(parse_qsl(self.rfile.read(length).decode()))
                kind = "call" if self.path.endswith("/Calls.json") else "sms"
                sid = ("CA" if kind == "call" else "SM") + uuid.uuid4().hex
                command.last.update(kind=kind, sid=sid, to=fields.get("To", ""),
                                    url=fields.get("Url", ""))  # fmt: skip
                what = fields.get("Body") or f"a call; its TwiML at {fields.get('Url')}"
                command.stdout.write(f"\n[{kind} to {fields.get('To')}] {what}\n> ", ending="")
                body = json.dumps({"sid": sid, "status": "queued", "to": fields.get("To")})
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, format: str, *args) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", options["port"]), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.stdout.write(f"Playing Twilio at http://127.0.0.1:{options['port']} for "
                          f"{self.site}. Commands: reply <text> | press <key> | "
                          "status <status>. Ctrl-D to stop.")  # fmt: skip
        try:
            while True:
                line = input("> ").strip()
                verb, _, rest = line.partition(" ")
                if verb in ("reply", "press", "status"):
                    self.stdout.write(getattr(self, verb)(rest.strip()))
        except (EOFError, KeyboardInterrupt):
            server.shutdown()

    def post(self, url: str, fields: dict[str, str]) -> str:
        validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
        signature = validator.compute_signature(url, fields)
        path = urlsplit(url)
        local = f"{path.path}?{path.query}" if path.query else path.path
        target = self.site + local
        answer = httpx.post(target, data=fields, headers={"X-Twilio-Signature": signature})
        return f"{answer.status_code} {answer.text}"

    def reply(self, text: str) -> str:
        number = self.last.get("to", "")
        fields = {"From": number, "To": settings.TWILIO_FROM_NUMBER, "Body": text,
                  "MessageSid": "SM" + uuid.uuid4().hex,
                  "AccountSid": settings.TWILIO_ACCOUNT_SID}  # fmt: skip
        return self.post(self.site + "/hooks/twilio/sms/", fields)

    def press(self, key: str) -> str:
        if not self.last.get("url"):
            return "No call yet."
        fields = {"CallSid": self.last["sid"], "From": settings.TWILIO_FROM_NUMBER,
                  "To": self.last["to"], "AccountSid": settings.TWILIO_ACCOUNT_SID}  # fmt: skip
        spoken = self.post(self.last["url"], fields)
        return f"{spoken}\n{self.post(self.last['url'], {**fields, 'Digits': key})}"

    def status(self, status: str) -> str:
        key = ("CallSid", "CallStatus") if self.last.get("kind") == "call" else (
            "MessageSid", "MessageStatus")  # fmt: skip
        fields = {key[0]: self.last.get("sid", ""), key[1]: status}
        return self.post(self.site + "/hooks/twilio/status/", fields)
