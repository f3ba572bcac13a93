"""`/incident ack`, `/incident escalate`, `/incident snooze <minutes>`: paging's moves from
chat, signed as Slack signs them, as the linked person. The hooks run as after a real
commit, so paging really stops, escalates or sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from incidents import lifecycle
from incidents.models import IncidentRole, Service, Severity
from incidents.paging import escalate
from incidents.paging.models import Escalation
from tests.helpers import declare
from tests.paging.helpers import make_policy

from .slack import command_body, post_signed

URL = "/slack/commands"


@pytest.fixture
def slack(signing_secret, linked, transactional_db):
    client = Client()

    def command(text: str, **fields) -> dict:
        response = post_signed(client, URL, command_body(text, **fields), signing_secret)
        assert response.status_code == 200, response.content
        return response.json()

    return command


@pytest.fixture
def paging(cast, transactional_db):
    """A SEV1 the admin declared, paging the responder, then (step 2) the viewer's team."""
    service = Service.objects.create(name="checkout", team=cast.team)
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), (5, [{"team": cast.team.pk}]),
                service=service)  # fmt: skip
    incident = declare(cast, actor=cast.admin, severity=Severity.SEV1, services=[service])
    escalation = Escalation.objects.get(incident=incident)
    escalate.run_step(escalation.pk, str(escalation.token), datetime.now(UTC))
    lifecycle.set_status(incident, cast.admin, "identified")  # the team is on it
    return incident


def test_ack_stops_paging_on_an_incident_being_worked_and_credits_the_person(cast, slack, paging):
    reply = slack(f"ack {paging.ref}")
    assert reply["text"].startswith(f"You acknowledged {paging.ref}")
    assert Escalation.objects.get(incident=paging).status == "acknowledged"
    assert paging.events.get(kind="ack").author == cast.responder
    paging.refresh_from_db()
    assert paging.status == "identified"


def test_ack_makes_the_person_commander_when_there_is_none(cast, slack, paging):
    lifecycle.unassign_role(paging, cast.admin, IncidentRole.COMMANDER, cast.admin)
    slack(f"ack {paging.ref}")
    assert paging.roles.get(role=IncidentRole.COMMANDER).user == cast.responder


def test_escalate_makes_the_next_step_due_now(cast, slack, paging):
    reply = slack(f"escalate {paging.ref}")
    assert "Escalated" in reply["text"] and reply["response_type"] == "ephemeral"
    escalation = Escalation.objects.get(incident=paging)
    assert escalation.step == 1 and escalation.next_due_at <= datetime.now(UTC)
    assert paging.events.get(kind="page", data__action="escalate").author == cast.responder


def test_snooze_stops_paging_for_that_long(cast, slack, paging):
    before = datetime.now(UTC)
    reply = slack(f"snooze 30 {paging.ref}")
    assert "snoozed for 30 min" in reply["text"]
    active = Escalation.objects.get(incident=paging, status="active")
    assert active.step == 0  # step 1 pages again, then
    assert before + timedelta(minutes=30) <= active.next_due_at <= before + timedelta(minutes=31)


@pytest.mark.parametrize("text", ["snooze", "snooze 0", "snooze 241", "snooze soon"])
def test_snooze_needs_minutes_from_1_to_240(cast, slack, paging, text):
    reply = slack(f"{text} {paging.ref}")
    assert "minutes" in reply["text"].lower()
    assert not paging.events.filter(kind="page", data__action="snooze").exists()


def test_nothing_to_do_when_nobody_is_paged(cast, slack, paging):
    slack(f"ack {paging.ref}")
    for verb in ("ack", "escalate", "snooze 10"):
        reply = slack(f"{verb} {paging.ref}")
        assert "nothing to" in reply["text"] or "no escalation" in reply["text"]


def test_a_viewer_may_not_stop_paging(cast, slack, paging):
    reply = slack(f"ack {paging.ref}", user_id="UVIEWER")
    assert reply["response_type"] == "ephemeral"
    assert Escalation.objects.get(incident=paging).status == "active"
