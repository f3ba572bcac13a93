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
    assert f"Acknowledged {incident.ref}" in answer.text
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING
    ack_event = incident.events.get(kind="ack")
    assert ack_event.body == "Acknowledged by Responder from a page."
    assert incident.events.filter(kind="page", body="Responder acknowledged the page.").exists()
    assert list(Escalation.objects.values_list("status", flat=True)) == ["acknowledged"]


def test_a_link_works_once(paged):
    incident, _notification, url = paged
    Client().post(path_of(url))
    before = state(incident)
    again = Client().post(path_of(url))
    assert again.status_code in (200, 410)
    assert "already" in again.text
    assert state(incident) == before


def test_a_tampered_link_changes_nothing(paged):
    incident, _notification, url = paged
    before = state(incident)
    token = url.rstrip("/").rsplit("/", 1)[1]
    forged = ack.token_for("00000000-0000-0000-0000-000000000000")
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, "nonsense"):
        answer = Client().post(f"/page/ack/{bad}/")
        assert answer.status_code == 404
    assert state(incident) == before


def test_an_expired_link_is_refused(paged, settings):
    incident, _notification, url = paged
    before = state(incident)
    later = datetime.now(UTC) + timedelta(seconds=settings.PAGING_ACK_MAX_AGE + 60)
    with time_machine.travel(later):
        answer = Client().post(path_of(url))
    assert answer.status_code == 410 and "expired" in answer.text
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
