"""Anonymised publishing: people's names and emails replaced by role labels
("Incident commander", "Responder 2"), so a postmortem can be shared beyond the team."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from accounts.models import User
from incidents.models import Incident, IncidentRole


def role_labels(incident: Incident, others: Iterable[User]) -> dict[int, str]:
    """{user id: label}: single roles by name, responders numbered, everyone else who
    appears (authors, owners, reviewers) as "Participant N"."""
    labels: dict[int, str] = {}
    responders = 0
    for assignment in incident.role_list:
        if assignment.user_id in labels:
            continue
        if assignment.role == IncidentRole.RESPONDER:
            responders += 1
            labels[assignment.user_id] = f"Responder {responders}"
        else:
            labels[assignment.user_id] = IncidentRole(assignment.role).label
    participants = 0
    for user in others:
        if user is not None and user.pk not in labels:
            participants += 1
            labels[user.pk] = f"Participant {participants}"
    return labels


def _aliases(user: User) -> list[str]:
    """Every way the text may name the person: email, its local part, the display name
    and its words."""
    local = user.email.split("@")[0]
    names = {user.email, local, user.name, user.display_name}
    names.update(re.split(r"[.\-_]", local))
    names.update(user.display_name.split())
    return [n for n in names if n and len(n) >= 3]


def anonymiser(users: Iterable[User], labels: dict[int, str]) -> Callable[[str], str]:
    """A function that replaces every alias of every user with their label, in one pass
    (so a label is never itself rewritten)."""
    by_alias: dict[str, str] = {}
    for user in users:
        if user is None or user.pk not in labels:
            continue
        for alias in _aliases(user):
            by_alias.setdefault(alias.lower(), labels[user.pk])
    if not by_alias:
        return lambda text: text
    alternatives = "|".join(re.escape(a) for a in sorted(by_alias, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w@.])(?:{alternatives})(?![\w@])", re.IGNORECASE)

    def replace(text: str) -> str:
        return pattern.sub(lambda m: by_alias[m.group().lower()], text or "")

    return replace
