"""Paging's own acknowledgement, separate from the incident's status: acknowledge stops
paging whatever the status, escalate runs the next step now, snooze stops paging for a
while and then pages the current step again. Through the API, as scripts use it; the
hooks run as after a real commit, and the worker's part (running a due step, sending) is
called with the time the test chooses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents import lifecycle
from incidents.models import IncidentRole, Service, Severity, Status
from incidents.paging import control, delivery, escalate, tasks
from incidents.paging.models import Escalation, Notification
from tests.helpers import api_client, declare, incident_in

from .helpers import make_policy, webhook_for


@pytest.fixture
def checkout(cast, receiver, committed) -> Service:
    """Pages the responder, five minutes later the admin, each by webhook."""
    service = Service.objects.create(name="checkout", team=cast.team)
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), (5, [{"user": cast.admin.pk}]),
                service=service)  # fmt: skip
    webhook_for(cast.responder, f"{receiver.url}/responder")
    webhook_for(cast.admin, f"{receiver.url}/admin")
    return service


def tick(incident, at: datetime) -> None:
    """What the worker does at `at`: run the steps that are due, send the pages."""
    for e in Escalation.objects.filter(incident=incident, status="active"):
        for pk in escalate.run_step(e.pk, str(e.token), at).notifications:
            delivery.send(pk, at)


def paged(receiver) -> list[str]:
    """Who received a page, in order (by the webhook path)."""
    return [r.path.strip("/") for r in receiver.requests]


def sev1(cast, checkout, **fields):
    return declare(cast, severity=Severity.SEV1, services=[checkout], **fields)


def post(user, incident, action: str, body: dict | None = None):
    return api_client(user).post(
        f"/api/v1/incidents/{incident.ref}/{action}/", body or {}, format="json"
    )


# --- Acknowledge -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING])
def test_acknowledging_stops_paging_whatever_the_status(cast, checkout, receiver, status):
    incident = sev1(cast, checkout)
    now = datetime.now(UTC)
    tick(incident, now)
    if status != Status.INVESTIGATING:
        lifecycle.set_status(incident, cast.responder, status)
    assert paged(receiver) == ["responder"]
    answer = post(cast.admin, incident, "acknowledge")
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == status  # the status is the team's, not paging's
    tick(incident, now + timedelta(minutes=30))  # step 2 would have paged the admin
    assert paged(receiver) == ["responder"]
    assert Escalation.objects.get(incident=incident).status == "acknowledged"
    ack = incident.events.get(kind="ack")
    assert ack.author == cast.admin and ack.data["paging"] is True


def test_acknowledging_a_triggered_incident_moves_it_to_investigating(cast, checkout):
    incident = declare(cast, actor=None, services=[checkout])  # an alert
    answer = post(cast.responder, incident, "acknowledge")
    assert answer.status_code == 200
    assert answer.json()["status"] == Status.INVESTIGATING
    assert Escalation.objects.get(incident=incident).status == "acknowledged"


@pytest.mark.parametrize(
    "status", [Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED,
               Status.DECLINED, Status.MERGED],
)  # fmt: skip
def test_with_nothing_paging_only_a_triggered_incident_can_be_acknowledged(cast, db, status):
    incident = incident_in(cast, status)
    answer = post(cast.responder, incident, "acknowledge")
    assert answer.status_code == 409
    assert "nothing to acknowledge" in answer.json()["detail"]
    assert "allowed" in answer.json()
    assert not incident.events.filter(kind="ack").exists()


def test_the_person_acknowledging_becomes_commander_when_there_is_none(cast, checkout):
    incident = sev1(cast, checkout)
    lifecycle.unassign_role(incident, cast.responder, IncidentRole.COMMANDER, cast.responder)
    post(cast.admin, incident, "acknowledge")
    assert incident.roles.get(role=IncidentRole.COMMANDER).user == cast.admin


def test_acknowledging_leaves_a_commander_in_place(cast, checkout):
    incident = sev1(cast, checkout)  # the responder declared it: commander
    post(cast.admin, incident, "acknowledge")
    assert incident.roles.get(role=IncidentRole.COMMANDER).user == cast.responder


# --- Escalate ----------------------------------------------------------------------------------


def test_escalating_pages_the_next_step_now(cast, checkout, receiver):
    incident = sev1(cast, checkout)
    now = datetime.now(UTC)
    tick(incident, now)
    answer = post(cast.responder, incident, "escalate")
    assert answer.status_code == 200, answer.content
    tick(incident, now + timedelta(seconds=1))  # not five minutes: now
    assert paged(receiver) == ["responder", "admin"]
    assert incident.events.get(kind="page", data__action="escalate").author == cast.responder


def test_escalating_with_no_step_left_is_refused(cast, checkout, receiver):
    incident = sev1(cast, checkout)
    now = datetime.now(UTC)
    tick(incident, now)
    tick(incident, now + timedelta(minutes=5))  # step 2: the last
    answer = post(cast.responder, incident, "escalate")
    assert answer.status_code == 409 and "no escalation with a step left" in answer.json()["detail"]


# --- Snooze ------------------------------------------------------------------------------------


def test_snoozing_stops_paging_then_pages_the_current_step_again(cast, checkout, receiver):
    incident = sev1(cast, checkout)
    start = datetime.now(UTC)
    tick(incident, start)
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        answer = post(cast.responder, incident, "snooze", {"minutes": 30})
    assert answer.status_code == 200, answer.content
    tick(incident, start + timedelta(minutes=10))  # step 2 was due at 5 min: snoozed
    assert paged(receiver) == ["responder"]
    until = start + timedelta(minutes=31)
    with time_machine.travel(until + timedelta(seconds=1), tick=False):
        active = Escalation.objects.get(incident=incident, status="active")
        # The re-page task, delivered twice (its countdown and the auditor): one page.
        tasks.run_escalation(active.pk, str(active.token))
        tasks.run_escalation(active.pk, str(active.token))
        for pk in Notification.objects.filter(status="pending").values_list("pk", flat=True):
            tasks.send_notification(pk)
    assert paged(receiver) == ["responder", "responder"]  # step 1 again, once
    active.refresh_from_db()
    assert active.step == 1 and active.next_due_at == until + timedelta(minutes=5)
    page = json.loads(receiver.requests[-1].body)
    assert page["incident"]["ref"] == incident.ref and page["step"] == 1


def test_snoozing_needs_minutes_from_1_to_240(cast, checkout):
    incident = sev1(cast, checkout)
    for bad in ({}, {"minutes": 0}, {"minutes": 241}, {"minutes": "soon"}, {"minutes": None}):
        answer = post(cast.responder, incident, "snooze", bad)
        assert answer.status_code == 400, (bad, answer.content)
        assert "minutes" in answer.json()["errors"]
    assert not incident.events.filter(kind="page", data__action="snooze").exists()


def test_snoozing_when_nobody_is_paged_is_refused(cast, checkout):
    incident = declare(cast, services=[checkout])  # SEV2 declared with paging: pages
    lifecycle.acknowledge(incident, cast.responder)
    answer = post(cast.responder, incident, "snooze", {"minutes": 10})
    assert answer.status_code == 409 and "nothing to snooze" in answer.json()["detail"]


def test_acknowledging_a_snoozed_incident_stops_the_page_after_the_snooze(cast, checkout, receiver):
    incident = sev1(cast, checkout)
    start = datetime.now(UTC)
    tick(incident, start)
    post(cast.responder, incident, "snooze", {"minutes": 5})
    assert post(cast.admin, incident, "acknowledge").status_code == 200
    tick(incident, start + timedelta(hours=1))
    assert paged(receiver) == ["responder"]


def test_escalating_a_snoozed_incident_pages_the_next_step(cast, checkout, receiver):
    incident = sev1(cast, checkout)
    start = datetime.now(UTC)
    tick(incident, start)
    post(cast.responder, incident, "snooze", {"minutes": 60})
    post(cast.responder, incident, "escalate")
    tick(incident, datetime.now(UTC) + timedelta(seconds=1))
    assert paged(receiver) == ["responder", "admin"]


def test_a_snooze_that_ran_out_is_over_for_the_room_and_for_escalating(cast, checkout, receiver):
    """Seen in make run: after the re-page, the room still said "snoozed", and Escalate now
    paged the snoozed step a third time instead of moving on to step 2."""
    incident = sev1(cast, checkout)
    start = datetime.now(UTC)
    tick(incident, start)
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert post(cast.responder, incident, "snooze", {"minutes": 1}).status_code == 200
    tick(incident, start + timedelta(minutes=2, seconds=1))  # the snooze is over: step 1 again
    assert paged(receiver) == ["responder", "responder"]
    now = control.now_for(incident)
    assert now.snoozed_until is None and now.next_step == 2
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        assert post(cast.responder, incident, "escalate").status_code == 200
    tick(incident, start + timedelta(minutes=3, seconds=1))
    assert paged(receiver) == ["responder", "responder", "admin"]
