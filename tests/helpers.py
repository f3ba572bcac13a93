"""Helpers shared by the tests: the cast of people, and ways to make incidents."""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import ApiToken, Membership, Role, Team, User
from incidents import lifecycle
from incidents.models import Incident, Severity, Status

PASSWORD = "correct-horse-battery-staple"


def make_user(email: str, **extra) -> User:
    name = email.split("@")[0].capitalize()
    return User.objects.create_user(email, PASSWORD, display_name=name, **extra)


@dataclass
class Cast:
    team: Team
    other_team: Team
    admin: User
    responder: User
    viewer: User
    outsider: User
    staff: User

    def by_name(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


def declare(cast: Cast, **fields) -> Incident:
    fields.setdefault("title", "Checkout errors")
    fields.setdefault("severity", Severity.SEV2)
    fields.setdefault("team", cast.team)
    actor = fields.pop("actor", cast.responder)
    return lifecycle.declare(actor, **fields)


def incident_in(cast: Cast, status: str, **fields) -> Incident:
    """An incident brought to `status` the way people would get it there."""
    if status == Status.TRIGGERED:
        return declare(cast, actor=None, **fields)
    incident = declare(cast, **fields)
    actor = cast.responder
    if status in (Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED, Status.DECLINED):
        incident = lifecycle.set_status(incident, actor, status)
    elif status == Status.MERGED:
        keeper = declare(cast, title="The original")
        incident = lifecycle.merge(incident, actor, keeper)
    incident.refresh_from_db()
    assert incident.status == status
    return incident


def api_client(user: User | None) -> APIClient:
    """A client that authenticates the way scripts do, with a Bearer token."""
    client = APIClient()
    if user is not None:
        _token, raw = ApiToken.issue(user, "tests")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def deadlocks_in_test_database() -> int:
    """PostgreSQL's count of deadlocks detected in the test database (pg_stat_database). A
    backend reports its counts as it exits, so first every connection to the database is
    closed (this process's pooled ones too) and waited for; the count is read over a
    connection of its own."""
    connection.close()
    if getattr(connection, "pool", None) is not None:
        connection.close_pool()
    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
        host=db["HOST"] or None, port=db["PORT"] or None, autocommit=True,
    ) as own:  # fmt: skip
        for _ in range(200):
            others = own.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()[0]
            if not others:
                break
            time.sleep(0.05)
        return own.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]


def make_cast() -> Cast:
    team = Team.objects.create(name="Ops", slug="ops")
    other = Team.objects.create(name="Other", slug="other")
    people = {
        "admin": make_user("admin@example.com"),
        "responder": make_user("responder@example.com"),
        "viewer": make_user("viewer@example.com"),
        "outsider": make_user("outsider@example.com"),
        "staff": make_user("staff@example.com", is_staff=True),
    }
    Membership.objects.create(team=team, user=people["admin"], role=Role.ADMIN)
    Membership.objects.create(team=team, user=people["responder"], role=Role.RESPONDER)
    Membership.objects.create(team=team, user=people["viewer"], role=Role.VIEWER)
    Membership.objects.create(team=other, user=people["outsider"], role=Role.RESPONDER)
    return Cast(team=team, other_team=other, **people)
