"""PagerDuty (REST API v2, https://api.pagerduty.com), read with a read-only REST API key
("Authorization: Token token=<key>") and turned into Keel's document.

What maps how (the fake server in tests/importing/pagerduty_server.py cites the published
shapes):
- users -> people by email (name, time_zone); team members -> members, role manager ->
  admin, responder -> responder, observer -> viewer; someone a schedule or policy names
  but not in its team is added as a responder (Keel's schedules and policies take team
  members only);
- schedules -> schedules of their first team, in their time zone; a schedule of no team
  goes to a team named "No team", noted. Layers: GET /schedules/{id} lists the top layer
  first (the reverse of the order they are created in), so they are reversed, Keel's last
  layer being on top; rotation_virtual_start -> hand-off time and first day, turn length
  -> hours/days/weeks; daily and weekly restrictions -> Keel restrictions, cut into days;
  overrides of the coming weeks -> overrides;
- escalation policies -> policies of their first team: each rule a step, its delay the
  wait after it (as Keel's), user and schedule targets, num_loops -> repeat;
- services -> services (their escalation policy when it is of the same team) with Keel's
  own integration for each of theirs: Events API v2 -> Keel's PagerDuty-compatible
  /v2/enqueue (only the routing key changes), anything else -> generic JSON, noted;
- maintenance windows still open -> the services' maintenance.
Everything else is a Note (what, why, and what Keel does instead).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.text import slugify

from ..client import SourceClient, SourceError
from ..document import ScheduleShifts, SourceShift
from .base import Account
from .common import Reading, account_of, add_missing_members, imported_oncall
from .pagerduty_mapping import KINDS, ROLES, escalation_policy, layer, parse

TOOL = "PagerDuty"
LIMIT = 100  # PagerDuty's largest page
MAX_PAGES = 1000
NO_TEAM = "no-team"
OVERRIDE_WEEKS = 8  # overrides read from now on, beyond the four weeks compared


def pages(client: SourceClient, path: str, key: str, params: dict | None = None) -> list[dict]:
    """Every item of a list, with PagerDuty's classic pagination (limit, offset, more)."""
    items: list[dict] = []
    for _ in range(MAX_PAGES):
        page = client.get(path, {**(params or {}), "limit": LIMIT, "offset": len(items)})
        if not isinstance(page, dict) or not isinstance(page.get(key), list):
            raise SourceError(
                f"{client.url(path)} did not answer as PagerDuty's REST API: give its API URL "
                "(https://api.pagerduty.com, or https://api.eu.pagerduty.com for EU accounts)."
            )
        items += page[key]
        if not page.get("more") or not page[key]:
            return items
    raise SourceError(f"PagerDuty's {path} list never ended; stopped reading it.")


def team_document(team: dict, members: list[dict], reading: Reading) -> dict:
    slug = reading.unique("slug", slugify(team["name"])[:45] or team["id"].lower())
    reading.team_slugs[team["id"]] = slug
    found = []
    for member in members:
        email = reading.email((member.get("user") or {}).get("id"))
        if email:
            found.append({"email": email, "role": ROLES.get(member.get("role"), "responder")})
    return {
        "name": team["name"],
        "slug": slug,
        "description": team.get("description") or "",
        "source": f"pagerduty:{team['id']}",
        "members": found,
        "schedules": [],
        "escalation_policies": [],
        "services": [],
    }


def team_of(thing: dict, teams: dict[str, dict], reading: Reading) -> dict:
    """The document team of a PagerDuty object: its first team, or "No team"."""
    for ref in thing.get("teams") or []:
        if ref.get("id") in teams:
            return teams[ref["id"]]
    if NO_TEAM not in teams:
        teams[NO_TEAM] = team_document({"id": NO_TEAM, "name": "No team"}, [], reading)
        reading.note(
            "team No team",
            "Some schedules, escalation policies or services belong to no team in PagerDuty; "
            "every Keel schedule, policy and service belongs to one.",
            "They are in a team named No team: rename it or move them in Keel.",
        )
    return teams[NO_TEAM]


def schedule_document(
    client: SourceClient, summary: dict, teams: dict, reading: Reading, now: datetime
) -> tuple[dict, dict]:
    data = client.get(f"schedules/{summary['id']}")["schedule"]
    team = team_of(data, teams, reading)
    label = f"schedule {data['name']} ({team['slug']})"
    zone = data.get("time_zone") or "UTC"
    layers = [
        found
        for item in reversed(data.get("schedule_layers") or [])
        if (found := layer(item, zone, label, reading, now))
    ]
    overrides = []
    until = now + timedelta(weeks=OVERRIDE_WEEKS)
    listed = pages(client, f"schedules/{data['id']}/overrides", "overrides",
                   {"since": now.isoformat(), "until": until.isoformat()})  # fmt: skip
    for override in listed:
        email = reading.email((override.get("user") or {}).get("id"))
        if email is None or parse(override["end"]) <= now:
            continue
        overrides.append({"user": email, "start": override["start"], "end": override["end"]})
    people = [e for found in layers for e in found["participants"]] + [o["user"] for o in overrides]
    add_missing_members(team, people, reading, label, TOOL)
    reading.schedule_team[data["id"]] = (team, data["name"])
    document = {
        "name": data["name"],
        "source": f"pagerduty:{data['id']}",
        "time_zone": zone,
        "layers": layers,
        "overrides": overrides,
    }
    return team, document


def services_of(
    client: SourceClient, teams: dict, policies: dict[str, tuple[dict, str]], reading: Reading
) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for service in pages(client, "services", "services", {"include[]": "integrations"}):
        policy_id = (service.get("escalation_policy") or {}).get("id", "")
        owner, policy = policies.get(policy_id, (None, None))
        team = owner if not service.get("teams") and owner else team_of(service, teams, reading)
        label = f"service {service['name']}"
        if owner is not team:
            reading.note(
                label,
                "Its escalation policy is not one of its team's.",
                "The service has no escalation policy: choose one in Keel.",
            )
            policy = None
        integrations = []
        for integration in service.get("integrations") or []:
            kind = KINDS.get(integration.get("type", ""), "generic")
            name = integration.get("name") or integration.get("summary") or integration["id"]
            if kind == "generic":
                reading.note(
                    f"{label} integration {name}",
                    f"Keel has no receiver for PagerDuty's {integration.get('type')}.",
                    "A generic JSON integration: point the sender at its URL and key.",
                )
            integrations.append(
                {"kind": kind, "name": name[:100], "source": f"pagerduty:{integration['id']}"}
            )
        name = reading.service_name(service["name"], label, "service")
        document = {
            "name": name,
            "source": f"pagerduty:{service['id']}",
            "description": (service.get("description") or "")[:2000],
            "escalation_policy": policy,
            "integrations": integrations,
            "maintenance": [],
        }
        team["services"].append(document)
        found[service["id"]] = document
    return found


def maintenance_of(client: SourceClient, services: dict[str, dict], now: datetime) -> None:
    for window in pages(client, "maintenance_windows", "maintenance_windows", {"filter": "open"}):
        if parse(window["end_time"]) <= now:
            continue
        for ref in window.get("services") or []:
            if (service := services.get(ref.get("id"))) is not None:
                service["maintenance"].append(
                    {"start": window["start_time"], "end": window["end_time"],
                     "reason": (window.get("description") or "")[:500]}
                )  # fmt: skip


def final_entries(
    client: SourceClient, schedule_id: str, start: datetime, end: datetime, reading: Reading
) -> list[SourceShift]:
    """PagerDuty's own final schedule (layers and overrides applied) from `start`, asked a
    day past `end` so that it still covers the window when the comparison runs a little
    later than this read (the import page reads at its plan, compares at its apply)."""
    end += timedelta(days=1)
    params = {"since": start.isoformat(), "until": end.isoformat(), "time_zone": "UTC"}
    data = client.get(f"schedules/{schedule_id}", params)["schedule"]
    shifts: list[SourceShift] = []
    for entry in (data.get("final_schedule") or {}).get("rendered_schedule_entries") or []:
        begin, finish = max(parse(entry["start"]), start), min(parse(entry["end"]), end)
        email = reading.email((entry.get("user") or {}).get("id"))
        if begin < finish and email:
            shifts.append({"email": email, "start": begin.isoformat(), "end": finish.isoformat()})
    return shifts


class PagerDutySource:
    name = "pagerduty"
    title = "PagerDuty"
    default_url = "https://api.pagerduty.com"

    def auth_headers(self, token: str) -> dict[str, str]:
        return {
            "Authorization": f"Token token={token}",
            "Accept": "application/vnd.pagerduty+json;version=2",
        }

    def read(self, client: SourceClient, *, now: datetime) -> Account:
        users = pages(client, "users", "users")
        reading = Reading({u["id"]: u.get("email") or "" for u in users})
        teams = {
            t["id"]: team_document(t, pages(client, f"teams/{t['id']}/members", "members"), reading)
            for t in pages(client, "teams", "teams")
        }
        for summary in pages(client, "schedules", "schedules"):
            team, schedule = schedule_document(client, summary, teams, reading, now)
            team["schedules"].append(schedule)
        policies: dict[str, tuple[dict, str]] = {}
        for data in pages(client, "escalation_policies", "escalation_policies"):
            team = team_of(data, teams, reading)
            policy = escalation_policy(data, team, reading)
            paged = [t["user"] for s in policy["steps"] for t in s["targets"] if "user" in t]
            where = f"escalation policy {data['name']} ({team['slug']})"
            add_missing_members(team, paged, reading, where, TOOL)
            team["escalation_policies"].append(policy)
            policies[data["id"]] = (team, data["name"])
        maintenance_of(client, services_of(client, teams, policies, reading), now)
        people = [
            {"email": e, "name": (u.get("name") or "")[:100], "time_zone": u.get("time_zone") or ""}
            for u in users
            if (e := reading.email(u["id"]))
        ]
        return account_of(people, list(teams.values()), reading)

    def oncall(
        self, client: SourceClient, account: Account, *, start: datetime, end: datetime
    ) -> list[ScheduleShifts]:
        """PagerDuty's rendered final schedule of each imported schedule."""
        users = pages(client, "users", "users")
        reading = Reading({u["id"]: u.get("email") or "" for u in users})
        return imported_oncall(
            account,
            self.name,
            lambda schedule_id: final_entries(client, schedule_id, start, end, reading),
        )


SOURCE = PagerDutySource()
