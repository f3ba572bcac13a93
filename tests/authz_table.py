"""The authorization table: every endpoint, for every kind of person -> the status code.

Each row acts on a *private* incident of the team "Ops" (see tests/helpers.py): the
viewer, responder and admin are Ops members; the outsider responds for another team and
must not even learn the incident exists. Later features add their rows here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from accounts.models import ApiToken
from incidents import lifecycle
from incidents.models import IncidentRole, Service, Status

from .helpers import Cast, declare

PEOPLE = ["anonymous", "viewer", "responder", "admin", "outsider"]

READ = {"anonymous": 401, "viewer": 200, "responder": 200, "admin": 200, "outsider": 404}
WRITE = {"anonymous": 401, "viewer": 403, "responder": 200, "admin": 200, "outsider": 404}
CREATE = {**WRITE, "responder": 201, "admin": 201}
PAGE_READ = {**READ, "anonymous": 302}
PAGE_WRITE = {**WRITE, "anonymous": 302, "responder": 302, "admin": 302}
OPEN_TO_SIGNED_IN = {"anonymous": 401, "viewer": 200, "responder": 200, "admin": 200,
                     "outsider": 200}  # fmt: skip
PUBLIC = dict.fromkeys(PEOPLE, 200)


@dataclass
class Endpoint:
    name: str
    method: str
    path: Callable[[SimpleNamespace], str]
    expected: dict[str, int]
    body: Callable[[SimpleNamespace], dict[str, Any]] = lambda ctx: {}
    status: str = Status.INVESTIGATING  # the state the incident is in first
    page: bool = False  # a browser page (session, form posts) rather than the API
    extra: dict[str, int] = field(default_factory=dict)


def setup(cast: Cast, status: str) -> SimpleNamespace:
    """A private incident in `status` with a note by the responder, another incident to
    merge into, a service of the team, and a token of the person's own."""
    incident = declare(cast, private=True, actor=None)
    if status != Status.TRIGGERED:
        lifecycle.acknowledge(incident, cast.responder)
        lifecycle.assign_role(incident, cast.responder, IncidentRole.COMMANDER, cast.responder)
    note = lifecycle.add_note(incident, cast.responder, "Checked the load balancer")
    if status in (Status.RESOLVED, Status.DECLINED):
        lifecycle.set_status(incident, cast.responder, status)
    keeper = declare(cast, private=True, title="Keeper")
    service = Service.objects.create(name="payments-api", team=cast.team)
    return SimpleNamespace(
        ref=incident.ref, note_seq=note.seq, into=keeper.ref, service=service.pk, cast=cast
    )


def own_token_id(ctx: SimpleNamespace) -> int:
    """The token the client authenticates with (anonymous has none: any id will do)."""
    newest = ApiToken.objects.filter(name="tests").order_by("-pk").first()
    return newest.pk if newest else 1


inc = "/api/v1/incidents/"
ENDPOINTS: list[Endpoint] = [
    # --- incidents
    Endpoint("list incidents", "get", lambda c: inc, OPEN_TO_SIGNED_IN),
    Endpoint(
        "declare",
        "post",
        lambda c: inc,
        {**CREATE, "outsider": 403},
        body=lambda c: {"title": "Queue backlog", "severity": "SEV3", "team": c.cast.team.pk},
    ),
    Endpoint("retrieve", "get", lambda c: f"{inc}{c.ref}/", READ),
    Endpoint("edit", "patch", lambda c: f"{inc}{c.ref}/", WRITE, body=lambda c: {"title": "New"}),
    Endpoint(
        "acknowledge",
        "post",
        lambda c: f"{inc}{c.ref}/acknowledge/",
        WRITE,
        status=Status.TRIGGERED,
    ),
    Endpoint(
        "status",
        "post",
        lambda c: f"{inc}{c.ref}/status/",
        WRITE,
        body=lambda c: {"status": "identified"},
    ),
    Endpoint(
        "severity",
        "post",
        lambda c: f"{inc}{c.ref}/severity/",
        WRITE,
        body=lambda c: {"severity": "SEV1"},
    ),
    Endpoint(
        "assign role",
        "post",
        lambda c: f"{inc}{c.ref}/roles/",
        WRITE,
        body=lambda c: {"role": "scribe", "user": "viewer@example.com"},
    ),
    Endpoint(
        "unassign role",
        "post",
        lambda c: f"{inc}{c.ref}/unassign/",
        WRITE,
        body=lambda c: {"role": "commander", "user": "responder@example.com"},
    ),
    Endpoint(
        "add note",
        "post",
        lambda c: f"{inc}{c.ref}/notes/",
        CREATE,
        body=lambda c: {"body": "Saw 502s"},
    ),
    Endpoint(
        "strike note",
        "post",
        lambda c: f"{inc}{c.ref}/strike/",
        WRITE,
        body=lambda c: {"seq": c.note_seq},
    ),
    Endpoint("resolve", "post", lambda c: f"{inc}{c.ref}/resolve/", WRITE),
    Endpoint("decline", "post", lambda c: f"{inc}{c.ref}/decline/", WRITE),
    Endpoint("reopen", "post", lambda c: f"{inc}{c.ref}/reopen/", WRITE, status=Status.RESOLVED),
    Endpoint(
        "merge", "post", lambda c: f"{inc}{c.ref}/merge/", WRITE, body=lambda c: {"into": c.into}
    ),
    Endpoint("timeline", "get", lambda c: f"{inc}{c.ref}/timeline/", READ),
    # --- services, teams, people, tokens
    Endpoint("list services", "get", lambda c: "/api/v1/services/", OPEN_TO_SIGNED_IN),
    Endpoint(
        "add service",
        "post",
        lambda c: "/api/v1/services/",
        {**CREATE, "viewer": 400, "outsider": 400},
        body=lambda c: {"name": "new-service", "team": c.cast.team.pk},
    ),
    Endpoint(
        "edit service",
        "patch",
        lambda c: f"/api/v1/services/{c.service}/",
        {**WRITE, "outsider": 403},
        body=lambda c: {"description": "Takes payments"},
    ),
    Endpoint(
        "service detail", "get", lambda c: f"/api/v1/services/{c.service}/", OPEN_TO_SIGNED_IN
    ),
    Endpoint("list teams", "get", lambda c: "/api/v1/teams/", OPEN_TO_SIGNED_IN),
    Endpoint("team detail", "get", lambda c: f"/api/v1/teams/{c.cast.team.pk}/", OPEN_TO_SIGNED_IN),
    Endpoint("me", "get", lambda c: "/api/v1/me/", OPEN_TO_SIGNED_IN),
    Endpoint(
        "edit me",
        "patch",
        lambda c: "/api/v1/me/",
        OPEN_TO_SIGNED_IN,
        body=lambda c: {"time_zone": "Europe/Berlin"},
    ),
    Endpoint("list tokens", "get", lambda c: "/api/v1/tokens/", OPEN_TO_SIGNED_IN),
    Endpoint(
        "create token",
        "post",
        lambda c: "/api/v1/tokens/",
        {**OPEN_TO_SIGNED_IN, **dict.fromkeys(["viewer", "responder", "admin", "outsider"], 201)},
        body=lambda c: {"name": "ci"},
    ),
    Endpoint(
        "revoke own token",
        "delete",
        lambda c: f"/api/v1/tokens/{own_token_id(c)}/",
        {**OPEN_TO_SIGNED_IN, **dict.fromkeys(["viewer", "responder", "admin", "outsider"], 204)},
    ),
    Endpoint("schema", "get", lambda c: "/api/schema/", PUBLIC),
    Endpoint("liveness", "get", lambda c: "/healthz", PUBLIC),
    # --- browser pages
    Endpoint(
        "incident list page",
        "get",
        lambda c: "/incidents/",
        PAGE_READ | {"outsider": 200},
        page=True,
    ),
    Endpoint(
        "declare page", "get", lambda c: "/incidents/new/", PAGE_READ | {"outsider": 200}, page=True
    ),
    Endpoint("incident page", "get", lambda c: f"/incidents/{c.ref}/", PAGE_READ, page=True),
    Endpoint(
        "note form",
        "post",
        lambda c: f"/incidents/{c.ref}/note/",
        PAGE_WRITE,
        body=lambda c: {"body": "From the page"},
        page=True,
    ),
    Endpoint(
        "status form",
        "post",
        lambda c: f"/incidents/{c.ref}/status/",
        PAGE_WRITE,
        body=lambda c: {"status": "identified"},
        page=True,
    ),
    Endpoint(
        "services page", "get", lambda c: "/services/", PAGE_READ | {"outsider": 200}, page=True
    ),
    Endpoint(
        "profile page",
        "get",
        lambda c: "/accounts/profile/",
        PAGE_READ | {"outsider": 200},
        page=True,
    ),
]
