"""A fake Grafana OnCall public API (v1) on 127.0.0.1, serving the fixture account in
tests/importing/data/grafana_oncall/ (a real HTTP server, as the importer meets the real
one).

Built from OnCall's published API reference and public API code (github.com/grafana/
oncall):
- docs/sources/oncall-api-reference/users.md, teams.md, schedules.md, on_call_shifts.md,
  escalation_chains.md, escalation_policies.md, integrations.md, routes.md: the objects'
  shapes (users as engine/apps/public_api/serializers/users.py gives them: role, timezone,
  teams)
  (on_call_shifts as engine/apps/public_api/serializers/on_call_shifts.py represents
  them: naive `start`, `duration` in seconds, fields a type does not use left out);
- a web schedule's `shifts` lists only shifts linked through the API (schedules_web.py:
  `shifts` is `custom_shifts`); rotations made in the web UI are found with
  GET /api/v1/on_call_shifts/?schedule_id= (on_call_shifts.md's filter), as here;
- every list is DRF page-number pagination as those docs show: {count, next, previous,
  results, current_page_number, page_size, total_pages}, `next` a whole URL with
  `page=`; this server gives PAGE_SIZE results a page, so the importer must follow it;
- GET /api/v1/schedules/{id}/final_shifts?start_date&end_date (schedules.md, "Export a
  schedule's final shifts"): rendered here by grafana_oncall_render.py, for the days
  start_date to end_date inclusive; a missing date is a 400 as OnCall answers it;
- auth is the bare token in "Authorization" (each doc's curl); a wrong one gets 403
  {"detail": "Invalid token."}: engine/apps/auth_token/auth.py ApiTokenAuthentication
  raises AuthenticationFailed("Invalid token.") and, having no authenticate_header,
  DRF answers it 403;
- faults, once each when `faults` is on: the first GET /api/v1/schedules/ answers 429
  with `Retry-After: 7` (OnCall's throttles are DRF's, which send Retry-After), the first
  GET /api/v1/escalation_chains/ answers 502.

`mismatch=True` renders final shifts with an override on_call_shifts does not list
(data/grafana_oncall/mismatch.json), as if someone added it between the two reads.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from .fake_api import FakeApi, JsonHandler
from .grafana_oncall_render import final_shifts

DATA = Path(__file__).parent / "data" / "grafana_oncall"
TOKEN = "c0ffee5eed1e4b7a9d2f8e6c3b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a"
PAGE_SIZE = 2
LISTS = ("users", "teams", "schedules", "on_call_shifts", "escalation_chains",
         "escalation_policies", "integrations", "routes")  # fmt: skip


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text())


class GrafanaOnCallServer(FakeApi):
    def __init__(self, *, mismatch: bool = False, faults: bool = True) -> None:
        self.account = load("account.json")
        self.extra_shifts = load("mismatch.json")["finalShiftsOnlyShifts"] if mismatch else {}
        self.requests: list[str] = []
        self.link_base: str | None = None  # `next` links naming another host, when set
        self.faults = (
            {"/api/v1/schedules/": 429, "/api/v1/escalation_chains/": 502} if faults else {}
        )
        fake = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:
                fake.requests.append(self.path)
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if self.headers.get("Authorization", "") != TOKEN:
                    return self.answer(403, {"detail": "Invalid token."})
                status = fake.faults.pop(url.path, None)
                if status == 429:
                    detail = "Request was throttled. Expected available in 7 seconds."
                    return self.answer(429, {"detail": detail}, {"Retry-After": "7"})
                if status:
                    return self.answer(status, {"detail": "Bad Gateway"})
                base = fake.link_base or f"http://{self.headers['Host']}"
                return self.answer(*fake.route(url.path, query, base))

        self.listen(Handler)

    def route(self, path: str, query: dict, base: str) -> tuple[int, dict]:
        parts = path.strip("/").split("/")
        if parts[:2] != ["api", "v1"]:
            return 404, {"detail": "Not found."}
        match parts[2:]:
            case [name] if name in LISTS and isinstance(self.account[name], dict):
                return 200, self.account[name]  # a test's stand-in for some other API
            case ["on_call_shifts"] if "schedule_id" in query:
                shifts = self.shifts_of(query["schedule_id"])
                return 200, self.page(shifts, path, query, base)
            case [name] if name in LISTS:
                return 200, self.page(self.account[name], path, query, base)
            case ["schedules", schedule_id, "final_shifts"]:
                return self.final(schedule_id, path, query, base)
        return 404, {"detail": "Not found."}

    def page(self, items: list[dict], path: str, query: dict, base: str) -> dict:
        number = int(query.get("page", 1))
        total = max(1, -(-len(items) // PAGE_SIZE))

        def link(page: int) -> str | None:
            if not 1 <= page <= total:
                return None
            return f"{base}{path}?{urlencode({**query, 'page': page})}"

        return {
            "count": len(items),
            "next": link(number + 1),
            "previous": link(number - 1),
            "results": items[(number - 1) * PAGE_SIZE : number * PAGE_SIZE],
            "current_page_number": number,
            "page_size": PAGE_SIZE,
            "total_pages": total,
        }

    def final(self, schedule_id: str, path: str, query: dict, base: str) -> tuple[int, dict]:
        schedule = next((s for s in self.account["schedules"] if s["id"] == schedule_id), None)
        if schedule is None:
            return 404, {"detail": "Not found."}
        try:
            first = date.fromisoformat(query["start_date"])
            last = date.fromisoformat(query["end_date"])
        except (KeyError, ValueError):
            return 400, {"detail": "start_date and end_date are required ISO 8601 dates"}
        start = datetime.combine(first, datetime.min.time(), UTC)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
        shifts = self.shifts_of(schedule_id) + self.extra_shifts.get(schedule_id, [])
        users = {u["id"]: u for u in self.account["users"]}
        results = final_shifts(schedule, shifts, users, start, end)
        return 200, self.page(results, path, query, base)

    def shifts_of(self, schedule_id: str) -> list[dict]:
        """A schedule's shifts: those its `shifts` lists (made through the API) and those
        made in the web UI, which only the schedule_id filter finds."""
        schedule = next((s for s in self.account["schedules"] if s["id"] == schedule_id), {})
        ids = (schedule.get("shifts") or []) + self.account["web_schedule_shifts"].get(
            schedule_id, []
        )
        return [s for s in self.account["on_call_shifts"] if s["id"] in ids]
