"""Opsgenie (REST API v2, https://api.opsgenie.com or https://api.eu.opsgenie.com), read
with an API key ("Authorization: GenieKey <key>", from Settings > API key management, with
read and configuration access) and turned into Keel's configuration document.

What maps how (opsgenie-oas is the shape reference; the fake server in
tests/importing/opsgenie_server.py cites each part):
- users -> people by `username` (their email), with fullName and timeZone;
- teams -> teams (slug from the name), members with role admin -> admin, user (or a custom
  team role) -> responder; someone in a team's rotation or override but not in the team
  is added as a responder (Keel's schedules take team members only);
- schedules (owned by a team) -> schedules in that time zone; rotations -> layers in the
  same order (daily/weekly/hourly x length, hand-off and first day from startDate in the
  schedule's zone); time restrictions -> layer restrictions, weekly windows split into
  days; overrides still to end -> overrides. Opsgenie rotations are cumulative (everyone
  on call in any rotation is notified); Keel has one person at a time per schedule, the
  last layer on top. Where the source's own timeline shows two rotations on call at
  once, a note says so;
- escalations (owned by a team) -> escalation policies: rules grouped by their delay into
  steps (Opsgenie counts each delay from the alert, Keel from the step before), repeat
  count -> repeat, waitInterval -> the last step's delay;
- integrations (owned by a team) -> one service each, named after the integration, paged
  through the policy the team's default routing rule notifies, with Keel's closest
  integration (Prometheus -> alertmanager, Grafana -> grafana, others -> generic);
- maintenance windows on integrations -> the service's maintenance.
Everything else is a Note (what, why, and what Keel does instead).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from django.utils.text import slugify

from ..client import SourceClient, SourceError
from ..document import ScheduleShifts, SourceShift
from .base import Account
from .common import account_of, add_missing_members, imported_oncall
from .opsgenie_mapping import (
    Reading,
    escalation_policy,
    layer,
    parse,
    rotations_overlap,
    services_of,
)

DEFAULT_URL = "https://api.opsgenie.com"
EU_URL = "https://api.eu.opsgenie.com"
PAGE_LIMIT = 100  # the most GET /v2/users gives at once
MAX_PAGES = 1000  # a `next` link that never ends is not followed for ever
WEEKS_AHEAD = 4


def fetch(client: SourceClient, path: str, params: dict | None = None) -> dict:
    """GET with Opsgenie's own answer to a key it cannot even parse made plain."""
    try:
        return client.get(path, params)
    except SourceError as exc:
        if "(422)" in str(exc):
            raise SourceError(
                "Opsgenie refused the API key (422, key format is not valid): give an API "
                "key from Settings > API key management, not an integration's key."
            ) from exc
        raise


def all_users(client: SourceClient) -> list[dict]:
    """Every user, page by page while `paging.next` says there is another. Only the next
    link's offset and limit are used: the key goes to the URL it was given for, never to
    a host a link names."""
    page = fetch(client, "v2/users", {"limit": PAGE_LIMIT, "offset": 0})
    users, seen = list(page["data"]), set()
    while link := (page.get("paging") or {}).get("next"):
        query = parse_qs(urlsplit(link).query)
        wanted = {key: query.get(key, [""])[0] for key in ("limit", "offset")}
        if tuple(wanted.values()) in seen or len(seen) >= MAX_PAGES:
            raise SourceError("Opsgenie's user list never ended; stopped reading it.")
        seen.add(tuple(wanted.values()))
        page = fetch(client, "v2/users", wanted)
        users.extend(page["data"])
    return users


def timeline(client: SourceClient, schedule_id: str, start: datetime, end: datetime) -> dict:
    # Whole days, rounded up, and one more: the answer is cut to [start, end) here, so it
    # need only cover it.
    days = -(-(end - start) // timedelta(days=1)) + 1
    answer = fetch(
        client,
        f"v2/schedules/{schedule_id}/timeline",
        {"date": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "interval": days, "intervalUnit": "days"},
    )
    return answer["data"]


def team_document(team: dict, reading: Reading) -> dict:
    members = []
    for member in team.get("members") or []:
        email = reading.email_of(member["user"])
        if not email:
            continue
        role = {"admin": "admin", "user": "responder"}.get(member.get("role", "user"))
        if role is None:
            reading.note(
                f"{email} in team {team['name']}",
                f"Opsgenie custom team role {member['role']!r} has no match in Keel.",
                "Added as a responder.",
            )
            role = "responder"
        members.append({"email": email, "role": role})
    return {
        "name": team["name"],
        "slug": reading.unique("slug", slugify(team["name"])[:45] or team["id"]),
        "description": team.get("description") or "",
        "source": f"opsgenie:{team['id']}",
        "members": members,
        "schedules": [],
        "escalation_policies": [],
        "services": [],
    }


def schedule_document(
    client: SourceClient, schedule: dict, team: dict, reading: Reading, now: datetime
) -> dict:
    label = f"schedule {schedule['name']} ({team['slug']})"
    if schedule.get("enabled") is False:
        reading.note(
            label,
            "It is disabled in Opsgenie, so nobody is on call in it there.",
            "Imported as it is; Keel's schedules cannot be disabled: leave it out of "
            "escalation policies until it is used.",
        )
    layers = [
        found
        for rotation in schedule.get("rotations") or []
        if (found := layer(rotation, schedule, label, reading, now))
    ]
    overrides = []
    for override in fetch(client, f"v2/schedules/{schedule['id']}/overrides")["data"]:
        if parse(override["endDate"]) <= now:
            continue
        where = f"{label} override {override.get('alias') or override['startDate']}"
        email = reading.email_of(override["user"])
        if not email:
            reading.note(where, "It gives the time to nobody or to a team.", "Left out.")
            continue
        if override.get("rotations"):
            names = ", ".join(r.get("name") or r.get("id", "") for r in override["rotations"])
            reading.note(
                where,
                f"It applies only to rotation(s) {names} in Opsgenie.",
                "Keel's override covers the whole schedule.",
            )
        overrides.append(
            {"user": email, "start": override["startDate"], "end": override["endDate"]}
        )
    people = [e for found in layers for e in found["participants"]] + [o["user"] for o in overrides]
    add_missing_members(team, people, reading, label, "Opsgenie")
    ahead = timeline(client, schedule["id"], now, now + timedelta(weeks=WEEKS_AHEAD))
    if overlap := rotations_overlap(ahead):
        first, second, at = overlap
        reading.note(
            label,
            f"Opsgenie notifies everyone on call in all rotations; rotations {first} and "
            f"{second} are both on call from {at:%Y-%m-%d %H:%M} UTC, and Keel has one person "
            "on call at a time in a schedule.",
            f"Where they overlap the later rotation ({second}) is on call in Keel.",
        )
    return {
        "name": schedule["name"],
        "source": f"opsgenie:{schedule['id']}",
        "time_zone": schedule.get("timezone") or "UTC",
        "layers": layers,
        "overrides": overrides,
    }


def shifts_of(data: dict, start: datetime, end: datetime) -> list[SourceShift]:
    """The people in a timeline's final rotations (all of them: Opsgenie notifies everyone
    on call in any rotation), within [start, end)."""
    shifts: list[SourceShift] = []
    for rotation in data["finalTimeline"]["rotations"]:
        for period in rotation.get("periods") or []:
            who = period.get("recipient") or {}
            begin, finish = (
                max(parse(period["startDate"]), start),
                min(parse(period["endDate"]), end),
            )
            if who.get("type") == "user" and begin < finish:
                shifts.append(
                    {"email": who["name"].strip().lower(), "start": begin.isoformat(),
                     "end": finish.isoformat()}
                )  # fmt: skip
    return shifts


class OpsgenieSource:
    name = "opsgenie"
    default_url = DEFAULT_URL

    def auth_headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"GenieKey {token}"}

    def read(self, client: SourceClient, *, now: datetime) -> Account:
        users = all_users(client)
        reading = Reading(users)
        teams: dict[str, dict] = {}
        for listed in fetch(client, "v2/teams")["data"]:
            team = fetch(client, f"v2/teams/{listed['id']}")["data"]
            teams[team["id"]] = team_document(team, reading)
        reading.teams = list(teams.values())
        schedules = fetch(client, "v2/schedules", {"expand": "rotation"})["data"]
        for schedule in schedules:
            team = teams.get((schedule.get("ownerTeam") or {}).get("id", ""))
            if team is None:
                reading.note(
                    f"schedule {schedule['name']}",
                    "It belongs to no team, and every Keel schedule belongs to one.",
                    "Not imported.",
                )
                continue
            team["schedules"].append(schedule_document(client, schedule, team, reading, now))
            reading.schedule_team[schedule["id"]] = (team, schedule["name"])
        for escalation in fetch(client, "v2/escalations")["data"]:
            team = teams.get((escalation.get("ownerTeam") or {}).get("id", ""))
            if team is None:
                reading.note(
                    f"escalation {escalation['name']}",
                    "It belongs to no team, and every Keel policy belongs to one.",
                    "Not imported.",
                )
                continue
            team["escalation_policies"].append(escalation_policy(escalation, team, reading))
            reading.escalation_names[escalation["id"]] = escalation["name"]
        services_of(client, fetch, teams, reading, now)
        people = [
            {"email": reading.email_of(u), "name": u.get("fullName") or "",
             "time_zone": u.get("timeZone") or ""}
            for u in users
        ]  # fmt: skip
        return account_of(people, list(teams.values()), reading)

    def oncall(
        self, client: SourceClient, account: Account, *, start: datetime, end: datetime
    ) -> list[ScheduleShifts]:
        """Opsgenie's own final timeline (overrides applied) of each imported schedule."""
        return imported_oncall(
            account,
            self.name,
            lambda schedule_id: shifts_of(timeline(client, schedule_id, start, end), start, end),
        )


SOURCE = OpsgenieSource()
