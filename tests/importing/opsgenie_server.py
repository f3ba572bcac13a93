"""A fake Opsgenie REST API v2 on 127.0.0.1, serving the fixture account in
tests/importing/data/opsgenie/ (a real HTTP server, as the importer meets the real one).

Built from Opsgenie's published OpenAPI document, github.com/opsgenie/opsgenie-oas:
- every answer has the BaseResponse envelope {data, took, requestId} (definitions/
  common.yaml); lists that page (ListUsersResponse, definitions/user.yaml) add
  `totalCount` and `paging` {first, last, next, prev} links; `offset`/`limit` as in
  parameters/user.yaml. This server gives at most PAGE_SIZE users a page whatever the
  limit asked, so the importer must follow `paging.next`;
- GET /v2/users, /v2/teams, /v2/teams/{id} (Team with members [{user {id, username},
  role}], definitions/team.yaml, teamMember.yaml), /v2/teams/{id}/routing-rules
  (TeamRoutingRule), /v2/schedules?expand=rotation (Schedule with ScheduleRotation,
  TimeRestrictionInterval), /v2/schedules/{id}/overrides (ScheduleOverride),
  /v2/schedules/{id}/timeline?date&interval&intervalUnit (ScheduleTimeline: see
  opsgenie_timeline.py), /v2/escalations (Escalation, EscalationRule, EscalationRepeat),
  /v2/integrations (IntegrationMeta), /v2/maintenance?type=non-expired (MaintenanceMeta)
  and /v2/maintenance/{id} (Maintenance with rules);
- auth is "Authorization: GenieKey <key>"; a key that is not a UUID gets 422 {"message":
  "Key format is not valid!"} and an unknown one 401 {"message": "Could not
  authenticate"} (the answers Opsgenie gives: opsgenie/opsgenie-lamp#50,
  streaak/keyhacks#124); responses/common.yaml lists 401, 422 and 429 (TooManyRequest);
- faults, once each when `faults` is on: the first GET /v2/schedules answers 429 with
  `Retry-After: 7`, the first GET /v2/escalations answers 503.

`mismatch=True` renders the timeline with an override the overrides endpoint does not list
(data/opsgenie/mismatch.json), as if someone added it between the two reads: the
comparison after an import must report it.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .fake_api import FakeApi, JsonHandler
from .opsgenie_timeline import parse, timeline

DATA = Path(__file__).parent / "data" / "opsgenie"
KEY = "5c3b9e7a-0f2d-4c1b-9a8e-6d4f2b1c0e9a"
PAGE_SIZE = 2


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def add_months(at: datetime, months: int) -> datetime:
    month = at.month - 1 + months
    return at.replace(year=at.year + month // 12, month=month % 12 + 1)


class OpsgenieServer(FakeApi):
    def __init__(self, *, mismatch: bool = False, faults: bool = True) -> None:
        self.account = load("account.json")
        self.extra_overrides = load("mismatch.json")["timelineOnlyOverrides"] if mismatch else {}
        self.requests: list[str] = []
        self.link_base: str | None = None  # paging links naming another host, when set
        self.faults = {"/v2/schedules": 429, "/v2/escalations": 503} if faults else {}
        fake = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:
                fake.requests.append(self.path)
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                refused = fake.refusal(self.headers.get("Authorization", ""))
                if refused:
                    return self.answer(*refused)
                status = fake.faults.pop(url.path, None)
                if status == 429:
                    message = "You are making too many requests! Please slow down."
                    return self.answer(429, {"message": message}, {"Retry-After": "7"})
                if status:
                    return self.answer(status, {"message": "Service Unavailable"})
                found = fake.route(url.path, query, f"http://{self.headers['Host']}")
                if found is None:
                    return self.answer(404, {"message": "Could not find resource"})
                return self.answer(200, found)

            def answer(self, status: int, body: dict, headers: dict | None = None) -> None:
                body = {**body, "took": 0.012, "requestId": str(uuid.uuid4())}
                super().answer(status, body, headers)

        self.listen(Handler)

    def refusal(self, authorization: str) -> tuple[int, dict] | None:
        key = authorization.removeprefix("GenieKey ").strip()
        try:
            uuid.UUID(key)
        except ValueError:
            return 422, {"message": "Key format is not valid!"}
        if not authorization.startswith("GenieKey ") or key != KEY:
            return 401, {"message": "Could not authenticate"}
        return None

    def route(self, path: str, query: dict, base: str) -> dict | None:
        account = self.account
        parts = path.strip("/").split("/")
        if parts[:1] != ["v2"]:
            return None
        match parts[1:]:
            case ["users"]:
                return self.users_page(query, base)
            case ["teams"]:
                teams = [{k: v for k, v in t.items() if k != "members"} for t in account["teams"]]
                return {"data": teams, "expandable": ["member"]}
            case ["teams", team_id]:
                team = next((t for t in account["teams"] if t["id"] == team_id), None)
                return team and {"data": team, "expandable": []}
            case ["teams", team_id, "routing-rules"]:
                return {"data": account["routingRules"].get(team_id, [])}
            case ["schedules"]:
                expand = "rotation" in query.get("expand", "").split(",")
                schedules = [
                    s if expand else {k: v for k, v in s.items() if k != "rotations"}
                    for s in account["schedules"]
                ]
                return {"data": schedules, "expandable": ["rotation"]}
            case ["schedules", schedule_id, "overrides"]:
                return {"data": account["overrides"].get(schedule_id, [])}
            case ["schedules", schedule_id, "timeline"]:
                return self.timeline(schedule_id, query)
            case ["escalations"]:
                return {"data": account["escalations"]}
            case ["integrations"]:
                return {"data": account["integrations"]}
            case ["maintenance"]:
                listed = [
                    {k: v for k, v in m.items() if k != "rules"}
                    for m in account["maintenance"]
                    if query.get("type", "all") == "all" or m["status"] != "past"
                ]
                return {"data": listed}
            case ["maintenance", maintenance_id]:
                found = next((m for m in account["maintenance"] if m["id"] == maintenance_id), None)
                return found and {"data": found}
        return None

    def users_page(self, query: dict, base: str) -> dict:
        users = self.account["users"]
        base = self.link_base or base
        offset = int(query.get("offset", 0))
        limit = min(int(query.get("limit", 100)), PAGE_SIZE)
        paging = {
            "first": f"{base}/v2/users?limit={limit}&offset=0",
            "last": f"{base}/v2/users?limit={limit}&offset={(len(users) - 1) // limit * limit}",
        }
        if offset + limit < len(users):
            paging["next"] = f"{base}/v2/users?limit={limit}&offset={offset + limit}"
        if offset > 0:
            paging["prev"] = f"{base}/v2/users?limit={limit}&offset={max(0, offset - limit)}"
        page = users[offset : offset + limit]
        return {"data": page, "totalCount": len(users), "paging": paging}

    def timeline(self, schedule_id: str, query: dict) -> dict | None:
        schedule = next((s for s in self.account["schedules"] if s["id"] == schedule_id), None)
        if schedule is None:
            return None
        start = parse(query["date"]) if "date" in query else datetime.now(UTC)
        interval = int(query.get("interval", 1))
        unit = query.get("intervalUnit", "weeks")
        if unit == "months":
            end = add_months(start, interval)
        else:
            end = start + timedelta(**{unit: interval})
        overrides = self.account["overrides"].get(schedule_id, [])
        overrides = overrides + self.extra_overrides.get(schedule_id, [])
        data = timeline(schedule, overrides, start, end)
        return {"data": data, "expandable": ["base", "forwarding", "override"]}
