"""The incident page's ten actions: an allowed one changes the incident and redirects back
(302); a refused one changes nothing and says why on the incident page, with a status
that is not a redirect (400 invalid input, 403 not this person, 409 not in this state)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from incidents import lifecycle
from incidents.models import Incident, IncidentRole, RoleAssignment, Status

from ..helpers import declare, incident_in


@pytest.fixture
def signed_in(client, cast):
    client.force_login(cast.responder)
    return client


def snapshot(incident: Incident) -> tuple:
    """What a person would notice changed: status, severity, title, the timeline's length,
    who holds which role, which notes are struck."""
    incident.refresh_from_db()
    roles = sorted(RoleAssignment.objects.filter(incident=incident).values_list("role", "user"))
    struck = sorted(incident.events.filter(struck_at__isnull=False).values_list("seq", flat=True))
    return (incident.status, incident.severity, incident.title, incident.last_seq, roles, struck)


@dataclass
class Case:
    action: str
    status: str  # the state the incident starts in
    body: Callable[[SimpleNamespace], dict[str, Any]]
    effect: Callable[[Incident, SimpleNamespace], bool]


def setup(cast, status: str) -> SimpleNamespace:
    incident = incident_in(cast, status)
    note = lifecycle.add_note(incident, cast.responder, "Checked the load balancer")
    other = declare(cast, title="The original")
    return SimpleNamespace(cast=cast, incident=incident, note=note, other=other)


def last_event(incident: Incident):
    return incident.events.order_by("-seq").first()


ALLOWED = [
    Case("note", Status.INVESTIGATING, lambda c: {"body": "Restarted the workers"},
         lambda i, c: last_event(i).body == "Restarted the workers"),
    Case("status", Status.INVESTIGATING, lambda c: {"status": "identified", "body": "Config"},
         lambda i, c: i.status == "identified" and last_event(i).body == "Config"),
    Case("severity", Status.INVESTIGATING, lambda c: {"severity": "SEV1"},
         lambda i, c: i.severity == "SEV1"),
    Case("assign", Status.INVESTIGATING, lambda c: {"role": "scribe", "user": c.cast.admin.pk},
         lambda i, c: i.roles.filter(role="scribe", user=c.cast.admin).exists()),
    Case("unassign", Status.INVESTIGATING,
         lambda c: {"role": "commander", "user": c.cast.responder.pk},
         lambda i, c: not i.roles.filter(role="commander").exists()),
    Case("acknowledge", Status.TRIGGERED, lambda c: {"body": "On it"},
         lambda i, c: i.status == "investigating" and i.acknowledged_at is not None),
    Case("reopen", Status.RESOLVED, lambda c: {"body": "Errors are back"},
         lambda i, c: i.status == "investigating"),
    Case("strike", Status.INVESTIGATING, lambda c: {"seq": c.note.seq, "reason": "Wrong host"},
         lambda i, c: i.events.get(seq=c.note.seq).struck_at is not None
         and last_event(i).body == "Wrong host"),
    Case("edit", Status.INVESTIGATING, lambda c: {"title": "Workers stuck", "summary": ""},
         lambda i, c: i.title == "Workers stuck"),
    Case("merge", Status.INVESTIGATING, lambda c: {"into": c.other.ref},
         lambda i, c: i.status == "merged" and i.merged_into_id == c.other.pk),
]  # fmt: skip


@pytest.mark.parametrize("case", ALLOWED, ids=[c.action for c in ALLOWED])
def test_an_allowed_action_changes_the_incident_and_redirects_back(cast, signed_in, case):
    ctx = setup(cast, case.status)
    before = snapshot(ctx.incident)
    response = signed_in.post(f"/incidents/{ctx.incident.ref}/{case.action}/", case.body(ctx))
    assert response.status_code == 302
    assert response["Location"].startswith(f"/incidents/{ctx.incident.ref}/")
    assert snapshot(ctx.incident) != before
    assert case.effect(ctx.incident, ctx)


@dataclass
class Refusal:
    name: str
    action: str
    status: str
    body: Callable[[SimpleNamespace], dict[str, Any]]
    code: int
    says: str


REFUSED = [
    Refusal("note without text", "note", Status.INVESTIGATING, lambda c: {"body": "  "}, 400,
            "This field is required"),
    Refusal("note in the future", "note", Status.INVESTIGATING,
            lambda c: {"body": "Later", "occurred_at": "2999-01-01T10:00"}, 400,
            "cannot be in the future"),
    Refusal("status not allowed from here", "status", Status.RESOLVED,
            lambda c: {"status": "identified"}, 409, "It can move to: investigating"),
    Refusal("status that does not exist", "status", Status.INVESTIGATING,
            lambda c: {"status": "exploded"}, 400, "Select a valid choice"),
    Refusal("severity of a merged incident", "severity", Status.MERGED,
            lambda c: {"severity": "SEV1"}, 409, "cannot change severity"),
    Refusal("severity that does not exist", "severity", Status.INVESTIGATING,
            lambda c: {"severity": "SEV9"}, 400, "Select a valid choice"),
    Refusal("assign on a merged incident", "assign", Status.MERGED,
            lambda c: {"role": "scribe", "user": c.cast.admin.pk}, 409, "take role changes"),
    Refusal("assign nobody", "assign", Status.INVESTIGATING, lambda c: {"role": "scribe"}, 400,
            "Person: This field is required"),
    Refusal("unassign a role nobody holds", "unassign", Status.INVESTIGATING,
            lambda c: {"role": "scribe", "user": c.cast.admin.pk}, 409, "is not Scribe"),
    Refusal("acknowledge twice", "acknowledge", Status.INVESTIGATING, lambda c: {}, 409,
            "has nothing to acknowledge"),
    Refusal("reopen an open incident", "reopen", Status.INVESTIGATING, lambda c: {}, 409,
            "only a resolved or declined incident can"),
    Refusal("strike a note twice", "strike", Status.INVESTIGATING,
            lambda c: {"seq": c.struck.seq}, 409, "already struck through"),
    Refusal("strike someone else's note", "strike", Status.INVESTIGATING,
            lambda c: {"seq": c.admins_note.seq}, 403, "Only the note's author or a team admin"),
    Refusal("strike a note that does not exist", "strike", Status.INVESTIGATING,
            lambda c: {"seq": 999}, 400, "has no note #999"),
    Refusal("edit to an empty title", "edit", Status.INVESTIGATING, lambda c: {"title": ""},
            400, "Title: This field is required"),
    Refusal("merge into a mistyped ref", "merge", Status.INVESTIGATING,
            lambda c: {"into": "INC-999"}, 400, "There is no incident INC-999"),
    Refusal("merge into itself", "merge", Status.INVESTIGATING,
            lambda c: {"into": c.incident.ref}, 400, "cannot be merged into itself"),
    Refusal("merge a closed incident", "merge", Status.RESOLVED,
            lambda c: {"into": c.other.ref}, 409, "cannot move to merged"),
]  # fmt: skip


@pytest.mark.parametrize("case", REFUSED, ids=[c.name for c in REFUSED])
def test_a_refused_action_changes_nothing_and_says_why_on_the_incident_page(cast, signed_in, case):
    ctx = setup(cast, case.status)
    ctx.struck = lifecycle.add_note(ctx.incident, cast.responder, "Wrong")
    lifecycle.strike_note(ctx.incident, cast.responder, ctx.struck.seq)
    ctx.admins_note = lifecycle.add_note(ctx.incident, cast.admin, "The admin's note")
    before = snapshot(ctx.incident)
    response = signed_in.post(f"/incidents/{ctx.incident.ref}/{case.action}/", case.body(ctx))
    assert response.status_code == case.code
    html = response.content.decode()
    assert case.says in html.replace("&#x27;", "'")
    assert 'class="message message-error"' in html
    assert f'id="timeline" data-ref="{ctx.incident.ref}"' in html, "the incident page, again"
    assert snapshot(ctx.incident) == before


def test_a_refused_note_keeps_what_was_typed(cast, signed_in):
    incident = declare(cast)
    response = signed_in.post(
        f"/incidents/{incident.ref}/note/",
        {"body": "A long careful note", "occurred_at": "2999-01-01T10:00"},
    )
    assert response.status_code == 400
    assert "A long careful note</textarea>" in response.content.decode()


def test_a_viewer_gets_a_403_page_in_the_sites_style(cast, client):
    incident = declare(cast)
    client.force_login(cast.viewer)
    response = client.post(f"/incidents/{incident.ref}/note/", {"body": "Hello"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "You may not do that" in html and 'class="topbar"' in html
    assert not incident.events.filter(kind="note").exists()


def test_acknowledging_from_the_page_makes_the_person_commander(cast, signed_in):
    incident = incident_in(cast, Status.TRIGGERED)
    assert not incident.roles.exists()
    signed_in.post(f"/incidents/{incident.ref}/acknowledge/")
    assert incident.roles.get().role == IncidentRole.COMMANDER
    assert incident.roles.get().user == cast.responder


def test_reloading_an_action_address_goes_back_to_the_incident(cast, signed_in):
    """A refused action leaves the browser at the action's address: a reload is a GET,
    which leads back to the incident page and changes nothing."""
    incident = declare(cast)
    before = Incident.objects.get(pk=incident.pk).last_seq
    response = signed_in.get(f"/incidents/{incident.ref}/merge/")
    assert response.status_code == 302 and response["Location"] == incident.get_absolute_url()
    assert Incident.objects.get(pk=incident.pk).last_seq == before
