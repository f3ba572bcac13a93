"""A made-up on-call tool ("toy") with a trivial API, served by a real HTTP server on
127.0.0.1, and the Source that reads it: the engine's, the command's and the import page's
tests import through it without depending on any vendor's importer.

The toy API (invented here, no vendor's):
  GET /api/account                       -> {"document": <a configuration document>}
  GET /api/schedules/<id>/final?start=&end= -> {"shifts": [{"email", "start", "end"}]}
Every request needs "Authorization: Bearer <token>"; another token gets 401.

The server renders its one schedule itself (a weekly rotation in UTC, hand-offs Mondays
09:00), by its own arithmetic, not Keel's. `mismatch` makes it render the turns in the
other order, which the comparison must report."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from incidents.importing.client import SourceClient
from incidents.importing.sources.base import Account

TOKEN = "toy-token"
FIRST_HANDOFF = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
TURNS = ["ana@example.com", "ben@example.com"]


def account_document() -> dict:
    return {
        "version": 1,
        "people": [{"email": e, "name": e.split("@")[0].title()} for e in TURNS],
        "teams": [
            {
                "name": "Toys",
                "slug": "toys",
                "source": "toy:team-1",
                "members": [{"email": e, "role": "responder"} for e in TURNS],
                "schedules": [
                    {
                        "name": "Primary",
                        "source": "toy:sched-1",
                        "time_zone": "UTC",
                        "layers": [
                            {"participants": TURNS, "shift_length": 1, "shift_unit": "weeks",
                             "handoff_time": "09:00", "start_date": "2026-11-02"}
                        ],
                    }
                ],
                "escalation_policies": [
                    {"name": "Toy policy", "source": "toy:pol-1", "repeat": 1,
                     "steps": [{"delay_minutes": 5, "targets": [{"schedule": "Primary"}]}]}
                ],
                "services": [
                    {"name": "toy-shop", "source": "toy:svc-1", "escalation_policy": "Toy policy",
                     "integrations": [{"kind": "generic", "name": "toy", "source": "toy:int-1"}]}
                ],
            }
        ],
        "notes": [{"object": "service toy-shop", "reason": "Toy urgency rules have no match.",
                   "instead": "Every alert opens an incident."}],
    }  # fmt: skip


def rendered(start: datetime, end: datetime, turns: list[str]) -> list[dict]:
    """The toy tool's own final schedule: week k after FIRST_HANDOFF is turns[k % n]."""
    week = timedelta(weeks=1)
    k = max(0, (start - FIRST_HANDOFF) // week)
    shifts = []
    while FIRST_HANDOFF + k * week < end:
        a, b = FIRST_HANDOFF + k * week, FIRST_HANDOFF + (k + 1) * week
        shifts.append(
            {"email": turns[k % len(turns)], "start": max(a, start).isoformat(),
             "end": min(b, end).isoformat()}
        )  # fmt: skip
        k += 1
    return shifts


class ToyServer:
    def __init__(self, *, mismatch: bool = False) -> None:
        self.requests: list[str] = []
        turns = list(reversed(TURNS)) if mismatch else TURNS
        toy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                toy.requests.append(self.path)
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self.answer(401, {"error": "invalid token"})
                if url.path == "/api/account":
                    return self.answer(200, {"document": account_document()})
                if url.path == "/api/schedules/sched-1/final":
                    start = datetime.fromisoformat(query["start"])
                    end = datetime.fromisoformat(query["end"])
                    return self.answer(200, {"shifts": rendered(start, end, turns)})
                return self.answer(404, {"error": "not found"})

            def answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def __enter__(self) -> ToyServer:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class ToySource:
    name = "toy"
    default_url = "http://127.0.0.1:9/api/"  # nothing listens there: tests give --url

    def auth_headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def read(self, client: SourceClient, *, now: datetime) -> Account:
        document = client.get("account")["document"]
        return Account(document=document, notes=list(document["notes"]))

    def oncall(self, client: SourceClient, account: Account, *, start: datetime, end: datetime):
        found = []
        for team in account.document["teams"]:
            for schedule in team["schedules"]:
                tool_id = schedule["source"].removeprefix("toy:")
                answer = client.get(
                    f"schedules/{tool_id}/final",
                    {"start": start.isoformat(), "end": end.isoformat()},
                )
                found.append(
                    {"schedule": schedule["name"], "team": team["slug"],
                     "source": schedule["source"], "shifts": answer["shifts"]}
                )  # fmt: skip
        return found


SOURCE = ToySource()
