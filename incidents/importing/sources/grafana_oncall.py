"""Grafana OnCall (public API v1: Grafana Cloud's "OnCall API URL", or a self-hosted
engine such as http://oncall:8080), read with an API token ("Authorization: <token>",
made in OnCall > Settings > API tokens by an admin) and turned into Keel's document.

What maps how (the fake server in tests/importing/grafana_oncall_server.py cites the
published shapes):
- users -> people by email (username as the name, timezone); their `teams` -> team
  members, role admin -> admin, editor -> responder, viewer -> viewer; someone a
  schedule or chain names but not in its team is added as a responder (Keel's schedules
  and policies take team members only);
- teams -> teams (slug from the name); schedules, chains and integrations without a team
  (OnCall's teams are optional) go to a team named "No team", noted;
- web and calendar schedules -> schedules in their time zone; their
  rolling_users / recurrent_event shifts -> layers ordered by `level` (Keel's last layer
  is on top, as OnCall's highest level wins): frequency x interval -> turn length,
  `start` in the shift's zone -> hand-off and first day, a shift shorter than its period
  (by_day, or a short duration) -> restrictions; override and single_event shifts still
  to end -> overrides. iCal schedules, monthly frequencies, turns of several people and
  recurrent events are noted;
- escalation chains + escalation policies -> escalation policies: notify
  steps between waits are one step, the waits after it its delay; repeat_escalation ->
  repeat (5, OnCall's limit), noted;
- integrations -> one service each, paged through the default route's
  escalation chain, with Keel's closest integration (alertmanager -> alertmanager,
  grafana / grafana_alerting -> grafana, the rest -> generic).
Everything else is a Note (what, why, and what Keel does instead).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from django.utils.text import slugify

from ..client import SourceClient, SourceError
from ..document import ScheduleShifts, SourceShift
from .base import Account
from .common import account_of, add_missing_members, imported_oncall
from .grafana_oncall_mapping import (
    KINDS,
    ROLES,
    Reading,
    escalation_policy,
    layer,
    override,
    override_end,
)

MAX_PAGES = 1000  # a `next` link that never ends is not followed for ever
API = "api/v1/"
TOOL = "Grafana OnCall"
NO_TEAM = "no-team"  # the source id of the team for objects without one


def path(client: SourceClient, name: str) -> str:
    """`name` under /api/v1/, whether the URL given was the OnCall API URL or already
    ended in /api/v1."""
    return name if client.base_url.endswith("/" + API) else API + name


def pages(client: SourceClient, name: str, params: dict | None = None) -> list[dict]:
    """Every result of a list, page by page while `next` says there is another. Only the
    next link's query is used, on the URL the token was given for: the token never goes
    to a host a link names."""
    page = listed(client, name, params)
    results, seen = list(page["results"]), set()
    while link := page.get("next"):
        query = {key: values[0] for key, values in parse_qs(urlsplit(link).query).items()}
        key = tuple(sorted(query.items()))
        if key in seen or len(seen) >= MAX_PAGES:
            raise SourceError(f"Grafana OnCall's {name} list never ended; stopped reading it.")
        seen.add(key)
        page = listed(client, name, query)
        results.extend(page["results"])
    return results


def listed(client: SourceClient, name: str, params: dict | None) -> dict:
    page = client.get(path(client, name), params)
    if not isinstance(page, dict) or not isinstance(page.get("results"), list):
        raise SourceError(
            f"{client.url(path(client, name))} did not answer as Grafana OnCall's API: give "
            "the OnCall API URL (Grafana Cloud: OnCall > Settings > API tokens shows it; "
            "self-hosted: the OnCall engine, e.g. http://oncall:8080)."
        )
    return page


def team_document(team: dict, users: list[dict], reading: Reading) -> dict:
    members = [
        {"email": reading.email(u["id"]), "role": ROLES.get(u.get("role") or "", "viewer")}
        for u in users
        if team["id"] in (u.get("teams") or [])
    ]
    slug = reading.unique("slug", slugify(team["name"])[:45] or team["id"].lower())
    reading.team_slugs[team["id"]] = slug
    return {
        "name": team["name"],
        "slug": slug,
        "description": "",
        "source": f"grafana-oncall:{team['id']}",
        "members": members,
        "schedules": [],
        "escalation_policies": [],
        "services": [],
    }


def team_of(thing: dict, teams: dict[str, dict], users: list[dict], reading: Reading) -> dict:
    """The document team of an OnCall object; OnCall's teams are optional, so objects
    without one (or with one the API did not list) share a team named "No team", whose
    members are the users in no team."""
    team = teams.get(thing.get("team_id") or "")
    if team is not None:
        return team
    if NO_TEAM not in teams:
        nobody = {"id": NO_TEAM, "name": "No team"}
        teams[NO_TEAM] = team_document(nobody, [], reading)
        teams[NO_TEAM]["members"] = [
            {"email": reading.email(u["id"]), "role": ROLES.get(u.get("role") or "", "viewer")}
            for u in users
            if not u.get("teams")
        ]
        reading.note(
            "team No team",
            "Some schedules, escalation chains or integrations belong to no team in Grafana "
            "OnCall; every Keel schedule, policy and service belongs to one.",
            "They are in a team named No team, with the users who are in no team: rename it "
            "or move them in Keel.",
        )
    return teams[NO_TEAM]


def schedule_shifts(client: SourceClient, schedule: dict, shifts: dict[str, dict]) -> list[dict]:
    """The schedule's shifts: those its `shifts` lists (linked through the API) and those
    the schedule_id filter finds (rotations made in the web UI are not in `shifts`)."""
    found = [shifts[i] for i in schedule.get("shifts") or [] if i in shifts]
    listed = {s["id"] for s in found}
    for shift in pages(client, "on_call_shifts/", {"schedule_id": schedule["id"]}):
        if shift["id"] not in listed:
            found.append(shift)
            listed.add(shift["id"])
    return found


def schedule_document(
    schedule: dict, shifts: list[dict], team: dict, reading: Reading, now: datetime
) -> dict:
    label = f"schedule {schedule['name']} ({team['slug']})"
    zone = schedule.get("time_zone") or "UTC"
    if schedule.get("ical_url_overrides"):
        reading.note(
            label,
            "It takes overrides from an iCal calendar.",
            "Those overrides are not imported: add them in Keel.",
        )
    rotations, overrides = [], []
    for shift in shifts:
        if shift["type"] in ("override", "single_event"):
            end = override_end(shift, ZoneInfo(shift.get("time_zone") or zone))
            if end > now and (found := override(shift, zone, label, reading)):
                if shift["type"] == "single_event":
                    reading.note(
                        f"{label} event {shift.get('name')}",
                        "A single event is on call once, at its level.",
                        "Imported as an override (on top of every layer).",
                    )
                overrides.append(found)
            continue
        rotations.append(shift)
    rotations.sort(key=lambda s: s.get("level") or 0)  # stable: equal levels keep order
    layers = [found for s in rotations if (found := layer(s, zone, label, reading, now))]
    people = [e for found in layers for e in found["participants"]] + [o["user"] for o in overrides]
    add_missing_members(team, people, reading, label, TOOL)
    return {
        "name": schedule["name"],
        "source": f"grafana-oncall:{schedule['id']}",
        "time_zone": zone,
        "layers": layers,
        "overrides": overrides,
    }


def services_of(
    client: SourceClient, teams: dict, users: list[dict], chains: dict, reading: Reading
) -> None:
    for integration in pages(client, "integrations/"):
        label = f"integration {integration['name']}"
        team = team_of(integration, teams, users, reading)
        chain_id = (integration.get("default_route") or {}).get("escalation_chain_id")
        owner, policy = chains.get(chain_id or "", (None, None))
        if owner is not team:
            reading.note(
                label,
                "Its default route pages no escalation chain of its team.",
                "The service has no escalation policy: choose one in Keel.",
            )
            policy = None
        kind = KINDS.get(integration.get("type", ""), "generic")
        if kind == "generic":
            reading.note(
                label,
                f"Keel has no receiver for OnCall's {integration.get('type')} integration.",
                "A generic JSON integration: point the sender at its URL and key.",
            )
        name = reading.service_name(integration["name"], label, "integration")
        team["services"].append(
            {"name": name, "source": f"grafana-oncall:{integration['id']}",
             "description": f"Imported from the Grafana OnCall {integration.get('type')} "
                            "integration.",
             "escalation_policy": policy,
             "integrations": [{"kind": kind, "name": integration["name"],
                               "source": f"grafana-oncall:{integration['id']}:integration"}]}
        )  # fmt: skip
    imported = {s["source"].removeprefix("grafana-oncall:"): s for t in teams.values()
                for s in t["services"]}  # fmt: skip
    for route in pages(client, "routes/"):
        service = imported.get(route.get("integration_id") or "")
        if service is None or route.get("is_the_last_route"):
            continue
        chain = chains.get(route.get("escalation_chain_id") or "", (None, "no chain"))[1]
        reading.note(
            f"service {service['name']} route {route.get('routing_regex')!r}",
            f"OnCall sends the alerts it matches to {chain}; Keel sends every alert of a "
            "service to one escalation policy.",
            "The default route's escalation chain is used for all of them.",
        )


def final_shifts(
    client: SourceClient, schedule_id: str, start: datetime, end: datetime
) -> list[SourceShift]:
    """OnCall's own final shifts (overrides applied, highest level first) in [start, end);
    end_date is a whole day, asked one day on so the answer covers `end`."""
    results = pages(
        client,
        f"schedules/{schedule_id}/final_shifts",
        {"start_date": start.date().isoformat(),
         "end_date": (end + timedelta(days=1)).date().isoformat()},
    )  # fmt: skip
    shifts: list[SourceShift] = []
    for shift in results:
        begin = max(datetime.fromisoformat(shift["shift_start"].replace("Z", "+00:00")), start)
        finish = min(datetime.fromisoformat(shift["shift_end"].replace("Z", "+00:00")), end)
        if begin < finish and shift.get("user_email"):
            shifts.append(
                {"email": shift["user_email"].strip().lower(), "start": begin.isoformat(),
                 "end": finish.isoformat()}
            )  # fmt: skip
    return shifts


class GrafanaOnCallSource:
    name = "grafana-oncall"
    title = "Grafana OnCall"
    default_url = ""  # each Grafana Cloud stack and self-hosted engine has its own

    def auth_headers(self, token: str) -> dict[str, str]:
        return {"Authorization": token}

    def read(self, client: SourceClient, *, now: datetime) -> Account:
        users = pages(client, "users/")
        reading = Reading({u["id"]: u["email"] for u in users})
        teams = {t["id"]: team_document(t, users, reading) for t in pages(client, "teams/")}
        shifts = {s["id"]: s for s in pages(client, "on_call_shifts/")}
        for schedule in pages(client, "schedules/"):
            team = team_of(schedule, teams, users, reading)
            label = f"schedule {schedule['name']}"
            if schedule.get("type") == "ical":
                reading.note(
                    label,
                    "Its shifts come from an iCal calendar, which Keel does not read.",
                    "Not imported: build its layers in Keel.",
                )
                continue
            found = schedule_shifts(client, schedule, shifts)
            team["schedules"].append(schedule_document(schedule, found, team, reading, now))
            reading.schedule_team[schedule["id"]] = (team, schedule["name"])
        steps: dict[str, list[dict]] = {}
        for step in pages(client, "escalation_policies/"):
            steps.setdefault(step["escalation_chain_id"], []).append(step)
        chains: dict[str, tuple[dict, str]] = {}
        for chain in pages(client, "escalation_chains/"):
            team = team_of(chain, teams, users, reading)
            policy = escalation_policy(chain, steps.get(chain["id"], []), team, reading)
            paged = [t["user"] for s in policy["steps"] for t in s["targets"] if "user" in t]
            where = f"escalation chain {chain['name']} ({team['slug']})"
            add_missing_members(team, paged, reading, where, TOOL)
            team["escalation_policies"].append(policy)
            chains[chain["id"]] = (team, chain["name"])
        services_of(client, teams, users, chains, reading)
        people = [
            {"email": reading.email(u["id"]), "name": u.get("username") or "",
             "time_zone": u.get("timezone") or ""}
            for u in users
        ]  # fmt: skip
        return account_of(people, list(teams.values()), reading)

    def oncall(
        self, client: SourceClient, account: Account, *, start: datetime, end: datetime
    ) -> list[ScheduleShifts]:
        """OnCall's own final shifts of each imported schedule."""
        return imported_oncall(
            account, self.name, lambda schedule_id: final_shifts(client, schedule_id, start, end)
        )


SOURCE = GrafanaOnCallSource()
