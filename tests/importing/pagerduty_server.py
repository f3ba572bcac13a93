"""A fake PagerDuty REST API v2 on 127.0.0.1, serving the fixture account in
tests/importing/data/pagerduty/ (a real HTTP server, as the importer meets the real one).

Built from PagerDuty's published OpenAPI document (github.com/PagerDuty/api-schema,
reference/REST/openapiv3.json) and its REST API v2 guides:
- list endpoints (GET /users, /teams, /teams/{id}/members, /schedules, /escalation_policies,
  /services, /maintenance_windows, /schedules/{id}/overrides) use classic pagination:
  `limit` and `offset` in, {<list name>: [...], limit, offset, more, total} out. This
  server answers at most PAGE_SIZE items a page, as PagerDuty may answer fewer than the
  limit asked, so the importer must follow `more`;
- GET /schedules/{id} answers {"schedule": {..., schedule_layers, teams}} with the top
  layer first; with since and until it adds final_schedule.rendered_schedule_entries,
  rendered here by pagerduty_render.py;
- GET /services lists integrations as references unless `include[]=integrations`;
- GET /maintenance_windows?filter=open answers the ongoing and future windows;
- auth is "Authorization: Token token=<key>" with "Accept:
  application/vnd.pagerduty+json;version=2"; a wrong key gets 401 with PagerDuty's error
  object {"error": {"message", "code"}} (code 2006, "Authentication failed", in
  PagerDuty's REST API error code list);
- faults, once each when `faults` is on: the first GET /schedules answers 429 with
  `Retry-After: 7` (PagerDuty's rate limit answer), the first GET /escalation_policies 503.

`mismatch=True` renders the final schedule with an override /overrides does not list
(data/pagerduty/mismatch.json), as if someone added it between the two reads.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .fake_api import FakeApi, JsonHandler
from .pagerduty_render import final_schedule, parse

DATA = Path(__file__).parent / "data" / "pagerduty"
TOKEN = "y_NbAkKc66ryYTWUXYEu"
PAGE_SIZE = 2
LISTS = ("users", "teams", "schedules", "escalation_policies", "services", "maintenance_windows")


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def reference(thing: dict, kind: str) -> dict:
    return {"id": thing["id"], "type": f"{kind}_reference", "summary": thing.get("name", "")}


class PagerDutyServer(FakeApi):
    def __init__(self, *, mismatch: bool = False, faults: bool = True) -> None:
        self.account = load("account.json")
        self.extra = load("mismatch.json")["final_only_overrides"] if mismatch else {}
        self.requests: list[str] = []
        self.faults = {"/schedules": 429, "/escalation_policies": 503} if faults else {}
        fake = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:
                fake.requests.append(self.path)
                url = urlsplit(self.path)
                query = {k: v if k.endswith("[]") else v[0] for k, v in parse_qs(url.query).items()}
                if self.headers.get("Authorization", "") != f"Token token={TOKEN}":
                    error = {"message": "Authentication failed", "code": 2006}
                    return self.answer(401, {"error": error})
                status = fake.faults.pop(url.path, None)
                if status == 429:
                    error = {"message": "Rate Limit Exceeded", "code": 2020}
                    return self.answer(429, {"error": error}, {"Retry-After": "7"})
                if status:
                    return self.answer(status, {"error": {"message": "Service Unavailable"}})
                return self.answer(*fake.route(url.path, query))

        self.listen(Handler)

    def route(self, path: str, query: dict) -> tuple[int, dict]:
        not_found = 404, {"error": {"message": "Not Found", "code": 2100}}
        match path.strip("/").split("/"):
            case ["services"]:
                return 200, self.page("services", self.services(query), query)
            case ["maintenance_windows"]:
                return 200, self.page("maintenance_windows", self.maintenance(query), query)
            case [name] if name in LISTS:
                return 200, self.page(name, self.account[name], query)
            case ["teams", team_id, "members"]:
                return 200, self.page("members", self.account["members"].get(team_id, []), query)
            case ["schedules", schedule_id]:
                return self.schedule(schedule_id, query)
            case ["schedules", schedule_id, "overrides"]:
                overrides = self.account["overrides"].get(schedule_id, [])
                since, until = parse(query["since"]), parse(query["until"])
                listed = [
                    o for o in overrides if parse(o["end"]) > since and parse(o["start"]) < until
                ]
                return 200, self.page("overrides", listed, query)
        return not_found

    def page(self, name: str, items: list[dict], query: dict) -> dict:
        offset = int(query.get("offset", 0))
        limit = min(int(query.get("limit", 25)), PAGE_SIZE)
        return {
            name: items[offset : offset + limit],
            "limit": limit,
            "offset": offset,
            "more": offset + limit < len(items),
            "total": None,
        }

    def services(self, query: dict) -> list[dict]:
        expanded = "integrations" in query.get("include[]", [])
        return [
            {**s, "integrations": s["integrations"] if expanded
             else [reference(i, i["type"].removesuffix("_integration") + "_integration")
                   for i in s["integrations"]]}
            for s in self.account["services"]
        ]  # fmt: skip

    def maintenance(self, query: dict) -> list[dict]:
        windows = self.account["maintenance_windows"]
        if query.get("filter") != "open":
            return windows
        now = datetime.now().astimezone()
        return [w for w in windows if parse(w["end_time"]) > now]

    def schedule(self, schedule_id: str, query: dict) -> tuple[int, dict]:
        schedule = next((s for s in self.account["schedules"] if s["id"] == schedule_id), None)
        if schedule is None:
            return 404, {"error": {"message": "Not Found", "code": 2100}}
        answer = dict(schedule)
        if "since" in query and "until" in query:
            since, until = parse(query["since"]), parse(query["until"])
            overrides = self.account["overrides"].get(schedule_id, []) + self.extra.get(
                schedule_id, []
            )
            entries = final_schedule(schedule, overrides, since, until)
            answer["final_schedule"] = {
                "name": "Final Schedule",
                "rendered_schedule_entries": entries,
            }
        return 200, {"schedule": answer}
