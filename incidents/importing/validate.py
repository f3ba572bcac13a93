"""Checking a configuration document's shape before anything is changed: every problem is
reported with its path ("teams[1].schedules[0].layers[0].shift_unit: must be hours, days or
weeks"). Values Keel's API checks itself (time zones, clock times, dates, who is in which
team) are left to the API's own serializers when the document is applied, so there is one
rule for each value."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from accounts.models import Role
from incidents.alerts.models import Kind
from incidents.chat.models import ChatEvent
from incidents.oncall.models import ShiftUnit

from .document import VERSION

SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")


class DocumentError(ValueError):
    """The document cannot be used; `problems` lists each one with its path."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


Check = Callable[[Any, str, list[str]], None]


def _or_list(words: list[str]) -> str:
    return ", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else words[0]


def text(value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, str):
        problems.append(f"{path}: must be text")


def nonblank(value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{path}: must be non-empty text")


def integer(value: Any, path: str, problems: list[str]) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(f"{path}: must be a whole number")


def optional_integer(value: Any, path: str, problems: list[str]) -> None:
    if value is not None:
        integer(value, path, problems)


def boolean(value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, bool):
        problems.append(f"{path}: must be true or false")


def one_of(choices: list[str]) -> Check:
    def check(value: Any, path: str, problems: list[str]) -> None:
        if value not in choices:
            problems.append(f"{path}: must be {_or_list(choices)}")

    return check


def slug(value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, str) or not SLUG.match(value):
        problems.append(f"{path}: must be a slug (letters, digits, - and _)")


def email(value: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, str) or "@" not in value:
        problems.append(f"{path}: must be an email address")


def list_of(item: Check) -> Check:
    def check(value: Any, path: str, problems: list[str]) -> None:
        if not isinstance(value, list):
            problems.append(f"{path}: must be a list")
            return
        for index, element in enumerate(value):
            item(element, f"{path}[{index}]", problems)

    return check


def mapping(fields: dict[str, tuple[bool, Check]], *, unique: str | None = None) -> Check:
    """An object with these fields ({name: (required, check)}); unknown fields are refused
    (a misspelt key would otherwise be dropped silently)."""

    def check(value: Any, path: str, problems: list[str]) -> None:
        if not isinstance(value, dict):
            problems.append(f"{path}: must be an object")
            return
        for name, (required, check_field) in fields.items():
            if name in value:
                check_field(value[name], f"{path}.{name}", problems)
            elif required:
                problems.append(f"{path}.{name}: is required")
        for name in value:
            if name not in fields:
                known = ", ".join(fields)
                problems.append(f"{path}.{name}: unknown field (known: {known})")

    return check


def distinct(items: Any, key: str, path: str, problems: list[str], what: str) -> None:
    """Names that must not repeat within one list (teams by slug, schedules by name...)."""
    if not isinstance(items, list):
        return
    seen: set[str] = set()
    for index, item in enumerate(items):
        value = item.get(key) if isinstance(item, dict) else None
        if isinstance(value, str):
            folded = value.strip().lower()
            if folded in seen:
                problems.append(f"{path}[{index}].{key}: a second {what} {value!r}")
            seen.add(folded)


def target(value: Any, path: str, problems: list[str]) -> None:
    if (
        not isinstance(value, dict)
        or len(value) != 1
        or not set(value) <= {"user", "schedule", "team"}
    ):
        problems.append(
            f"{path}: must be one of {{user: email}}, {{schedule: name}}, {{team: slug}}"
        )
        return
    ((key, named),) = value.items()
    (email if key == "user" else nonblank)(named, f"{path}.{key}", problems)


RESTRICTION = mapping(
    {
        "days": (True, list_of(one_of(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]))),
        "start": (True, text),
        "end": (True, text),
    }
)
LAYER = mapping(
    {
        "name": (False, text),
        "participants": (True, list_of(email)),
        "shift_length": (True, integer),
        "shift_unit": (True, one_of(list(ShiftUnit.values))),
        "handoff_time": (True, text),
        "start_date": (True, text),
        "restrictions": (False, list_of(RESTRICTION)),
    }
)
OVERRIDE = mapping({"user": (True, email), "start": (True, text), "end": (True, text)})
SCHEDULE = mapping(
    {
        "name": (True, nonblank),
        "source": (False, nonblank),
        "time_zone": (True, nonblank),
        "layers": (False, list_of(LAYER)),
        "overrides": (False, list_of(OVERRIDE)),
    }
)
STEP = mapping({"delay_minutes": (True, integer), "targets": (True, list_of(target))})
POLICY = mapping(
    {
        "name": (True, nonblank),
        "source": (False, nonblank),
        "repeat": (False, integer),
        "steps": (True, list_of(STEP)),
    }
)
INTEGRATION = mapping(
    {
        "kind": (True, one_of(list(Kind.values))),
        "name": (False, text),
        "source": (False, nonblank),
        "enabled": (False, boolean),
        "default_severity": (False, one_of(["SEV1", "SEV2", "SEV3", "SEV4"])),
        "severity_map": (
            False,
            lambda v, p, pr: None if isinstance(v, dict) else pr.append(f"{p}: must be an object"),
        ),
        "auto_resolve": (False, boolean),
    }
)
MAINTENANCE = mapping({"start": (True, text), "end": (True, text), "reason": (False, text)})
SERVICE = mapping(
    {
        "name": (True, nonblank),
        "source": (False, nonblank),
        "description": (False, text),
        "escalation_policy": (False, lambda v, p, pr: v is None or nonblank(v, p, pr)),
        "integrations": (False, list_of(INTEGRATION)),
        "maintenance": (False, list_of(MAINTENANCE)),
    }
)
CHANNEL = mapping(
    {
        "name": (False, nonblank),
        "events": (False, list_of(one_of(list(ChatEvent.values)))),
        "service": (False, lambda v, p, pr: v is None or nonblank(v, p, pr)),
        "webhook_url": (False, nonblank),  # a secret: export never writes it
    }
)
MEMBER = mapping({"email": (True, email), "role": (False, one_of(list(Role.values)))})
INTERVALS = mapping({sev: (False, optional_integer) for sev in ("sev1", "sev2", "sev3", "sev4")})
TEAM = mapping(
    {
        "name": (True, nonblank),
        "slug": (True, slug),
        "description": (False, text),
        "source": (False, nonblank),
        "members": (False, list_of(MEMBER)),
        "reminder_intervals": (False, INTERVALS),
        "schedules": (False, list_of(SCHEDULE)),
        "escalation_policies": (False, list_of(POLICY)),
        "services": (False, list_of(SERVICE)),
        "chat_channels": (False, list_of(CHANNEL)),
    }
)
PERSON = mapping({"email": (True, email), "name": (False, text), "time_zone": (False, text)})
NOTE = mapping({"object": (True, text), "reason": (True, text), "instead": (True, text)})
DOCUMENT = mapping(
    {
        "version": (False, one_of([VERSION])),
        "people": (False, list_of(PERSON)),
        "teams": (False, list_of(TEAM)),
        "notes": (False, list_of(NOTE)),
    }
)


def validate(document: Any) -> None:
    """Raise DocumentError naming every problem; return when the document can be used."""
    problems: list[str] = []
    if not isinstance(document, dict):
        raise DocumentError(["The document must be an object with version, people and teams."])
    DOCUMENT(document, "document", problems)
    problems = [p.removeprefix("document.") for p in problems]
    teams = document.get("teams")
    distinct(teams, "slug", "teams", problems, "team with slug")
    distinct(teams, "name", "teams", problems, "team named")
    services = []
    for index, team in enumerate(teams if isinstance(teams, list) else []):
        if not isinstance(team, dict):
            continue
        for key, what in (("schedules", "schedule"), ("escalation_policies", "policy"),
                          ("chat_channels", "chat channel")):  # fmt: skip
            distinct(team.get(key), "name", f"teams[{index}].{key}", problems, f"{what} named")
        for number, service in enumerate(team.get("services") or []):
            if isinstance(service, dict) and isinstance(service.get("name"), str):
                services.append((f"teams[{index}].services[{number}].name", service["name"]))
    seen: set[str] = set()
    for path, name in services:  # service names are unique across Keel, not per team
        if name.strip().lower() in seen:
            problems.append(f"{path}: a second service named {name!r}")
        seen.add(name.strip().lower())
    if problems:
        raise DocumentError(problems)
