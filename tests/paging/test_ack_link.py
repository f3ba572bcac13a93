"""The acknowledge link: GET shows and changes nothing (mail scanners follow links); POST
acknowledges without a login; tampered, expired and reused links are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client

from incidents.models import Service, Status, TimelineEvent
from incidents.paging import ack, escalate
from incidents.paging.models import Escalation, Notification
from tests.helpers import declare

from .helpers import make_policy, webhook_for


@pytest.fixture
def paged(cast, receiver, committed):
    """A triggered incident whose step 1 paged the responder (not yet acknowledged)."""
    checkout = Service.objects.create(name="checkout")
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), (5, [{"user": cast.admin.pk}]),
                service=checkout)  # fmt: skip
    webhook_for(cast.responder, f"{receiver.url}/responder")
    incident = declare(cast, actor=None, services=[checkout])
    escalation = Escalation.objects.get(incident=incident)
    escalate.run_step(escalation.pk, str(escalation.token), datetime.now(UTC))
    notification = Notification.objects.get()
    return incident, notification, ack.url_for(notification.delivery_id)


def path_of(url: str) -> str:
    return urlsplit(url).path


def state(incident):
    incident.refresh_from_db()
    return (incident.status, TimelineEvent.objects.filter(incident=incident).count(),
            list(Escalation.objects.values_list("status", flat=True)))  # fmt: skip


def test_get_shows_the_incident_and_a_button_and_changes_nothing(paged):
    incident, _notification, url = paged
    before = state(incident)
    answer = Client().get(path_of(url))
    assert answer.status_code == 200
    assert incident.title in answer.text and "Acknowledge</button>" in answer.text
    assert state(incident) == before


def test_post_acknowledges_and_stops_paging_without_a_login(paged):
    incident, _notification, url = paged
    answer = Client(enforce_csrf_checks=True).post(path_of(url))
    assert answer.status_code == 200
    assert "Acknowledged. Paging has stopped." in answer.text
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING
    assert list(Escalation.objects.values_list("status", flat=True)) == ["acknowledged"]


def test_an_acknowledgement_by_link_is_credited_to_the_person_paged_who_becomes_commander(
    paged, cast
):
    incident, _notification, url = paged
    Client().post(path_of(url))
    ack_event = incident.events.get(kind="ack")
    assert ack_event.author == cast.responder  # not "Keel"
    assert incident.roles.get(role="commander").user == cast.responder
    room = Client()
    room.force_login(cast.admin)
    page = room.get(incident.get_absolute_url()).text
    assert "Responder</span>" in page and "acknowledged the incident from a page's link" in page
    assert "Acknowledged by Responder." in room.get(f"/incidents/{incident.ref}/paging/").text


def test_a_link_works_once_and_then_reveals_nothing_of_the_incident(paged):
    incident, _notification, url = paged
    Client().post(path_of(url))
    before = state(incident)
    for again in (Client().post(path_of(url)), Client().get(path_of(url))):
        assert again.status_code == 410
        assert "already used" in again.text
        assert incident.title not in again.text and incident.ref not in again.text
    assert state(incident) == before


def test_a_link_escalates_as_the_person_paged(paged, cast):
    incident, _notification, url = paged
    page = Client().get(path_of(url)).text
    assert "Escalate now</button>" in page and "Snooze</button>" in page
    answer = Client().post(path_of(url), {"action": "escalate"})
    assert "Escalated" in answer.text
    event = incident.events.get(kind="page", data__action="escalate")
    assert event.author == cast.responder
    escalation = Escalation.objects.get(incident=incident)
    assert escalation.status == "active" and escalation.step == 1
    assert escalation.next_due_at <= datetime.now(UTC)  # step 2 is due now
    incident.refresh_from_db()
    assert incident.status == Status.TRIGGERED  # escalating is not acknowledging


def test_a_link_snoozes_and_bad_minutes_leave_it_unused(paged, cast):
    incident, notification, url = paged
    refused = Client().post(path_of(url), {"action": "snooze", "minutes": "999"})
    assert refused.status_code == 400 and "1 to 240" in refused.text
    notification.refresh_from_db()
    assert notification.ack_used_at is None
    answer = Client().post(path_of(url), {"action": "snooze", "minutes": "30"})
    assert "Snoozed for 30 minutes" in answer.text
    assert incident.events.get(kind="page", data__action="snooze").author == cast.responder
    active = Escalation.objects.get(incident=incident, status="active")
    assert active.snoozed_until is not None and active.step == 0  # step 1 pages again


def test_a_tampered_link_changes_nothing(paged):
    incident, _notification, url = paged
    before = state(incident)
    token = url.rstrip("/").rsplit("/", 1)[1]
    forged = ack.token_for("00000000-0000-0000-0000-000000000000")
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, "nonsense"):
        answer = Client().post(f"/page/ack/{bad}/")
        assert answer.status_code == 404
    assert state(incident) == before


def test_an_expired_link_is_refused_and_reveals_nothing(paged, settings):
    incident, _notification, url = paged
    before = state(incident)
    later = datetime.now(UTC) + timedelta(seconds=settings.PAGING_ACK_MAX_AGE + 60)
    with time_machine.travel(later):
        answers = [Client().post(path_of(url)), Client().get(path_of(url))]
    for answer in answers:
        assert answer.status_code == 410 and "expired" in answer.text
        assert incident.title not in answer.text and incident.ref not in answer.text
    assert state(incident) == before


def test_a_link_sent_to_someone_since_deactivated_is_refused(paged):
    """Whoever holds the link now is not the person it was sent to."""
    incident, notification, url = paged
    before = state(incident)
    notification.user.is_active = False
    notification.user.save()
    for answer in (Client().get(path_of(url)), Client().post(path_of(url))):
        assert answer.status_code == 404 and incident.title not in answer.text
    assert state(incident) == before
