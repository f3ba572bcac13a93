"""The room shows the paging going on now at its top, with Acknowledge, Escalate now, Snooze
and Page someone else; the buttons post to the room's own actions (through lifecycle)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from incidents import lifecycle
from incidents.models import IncidentRole, Service, Severity
from incidents.paging import escalate
from incidents.paging.models import Escalation
from tests.helpers import declare

from .helpers import make_policy, webhook_for


@pytest.fixture
def paging(cast, receiver, committed):
    service = Service.objects.create(name="checkout", team=cast.team)
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), (5, [{"team": cast.team.pk}]),
                service=service)  # fmt: skip
    webhook_for(cast.responder, f"{receiver.url}/responder")
    incident = declare(cast, actor=cast.admin, severity=Severity.SEV1, services=[service])
    escalation = Escalation.objects.get(incident=incident)
    escalate.run_step(escalation.pk, str(escalation.token), datetime.now(UTC))
    return incident


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def banner(client, incident) -> str:
    return client.get(f"/incidents/{incident.ref}/paging/now/").text


def test_the_room_shows_who_is_paged_and_what_comes_next_at_the_top(cast, paging):
    page = browser(cast.responder).get(paging.get_absolute_url()).text
    top = page[page.index('id="paging-now"') : page.index('id="timeline"')]
    assert "Paging Responder." in top
    assert "Next: step 2 pages everyone in Ops in" in top
    for button in ("Acknowledge</button>", "Escalate now</button>", "Snooze</button>",
                   "Page someone else</a>"):  # fmt: skip
        assert button in top


def test_a_viewer_sees_the_paging_but_no_buttons(cast, paging):
    shown = banner(browser(cast.viewer), paging)
    assert "Paging Responder." in shown and "Acknowledge</button>" not in shown


def test_acknowledge_in_the_room_stops_paging_and_makes_the_person_commander(cast, paging):
    lifecycle.unassign_role(paging, cast.admin, IncidentRole.COMMANDER, cast.admin)
    client = browser(cast.responder)
    answer = client.post(f"/incidents/{paging.ref}/acknowledge/")
    assert answer.status_code == 302
    assert Escalation.objects.get(incident=paging).status == "acknowledged"
    assert paging.roles.get(role=IncidentRole.COMMANDER).user == cast.responder
    assert "Acknowledge</button>" not in banner(client, paging)  # nothing paging now


def test_snooze_and_escalate_in_the_room(cast, paging):
    client = browser(cast.responder)
    assert client.post(f"/incidents/{paging.ref}/snooze/", {"minutes": 20}).status_code == 302
    assert "Snoozed until" in banner(client, paging)
    refused = client.post(f"/incidents/{paging.ref}/snooze/", {"minutes": 500})
    assert refused.status_code == 400
    assert client.post(f"/incidents/{paging.ref}/escalate/").status_code == 302
    active = Escalation.objects.get(incident=paging, status="active")
    assert active.snoozed_until is None and active.step == 1


def test_moves_with_nothing_paging_are_explained(cast, paging):
    client = browser(cast.responder)
    client.post(f"/incidents/{paging.ref}/acknowledge/")
    answer = client.post(f"/incidents/{paging.ref}/snooze/", {"minutes": 5})
    assert answer.status_code == 409 and "nothing to snooze" in answer.text
