"""ntfy: a page is one JSON publish to a (local) ntfy server, with an `http` Acknowledge
action; pressing it (making exactly the request the action describes, as the ntfy app does)
acknowledges the incident without a login and stops the paging."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client

from incidents.models import Service, Status
from incidents.paging import delivery, escalate
from incidents.paging.models import ContactMethod, Escalation, Notification
from incidents.paging.providers import ntfy
from tests.helpers import api_client, declare
from tests.ntfy_server import NtfyServer

from .helpers import make_policy

TOKEN = "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2"


@pytest.fixture
def ntfy_server(settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the server listens on 127.0.0.1
    with NtfyServer(protected={"ops-oncall": TOKEN}) as running:
        yield running


@pytest.fixture
def paged(cast, ntfy_server, committed):
    """A triggered SEV2 whose step 1 pages the responder on ntfy (step 2: the admin)."""
    answer = api_client(cast.responder).post(
        "/api/v1/contact-methods/",
        {"kind": "ntfy", "address": f"{ntfy_server.url}/ops-oncall", "token": TOKEN},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["secret"] is None  # the token is never shown back
    checkout = Service.objects.create(name="checkout")
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), (5, [{"user": cast.admin.pk}]),
                service=checkout)  # fmt: skip
    incident = declare(cast, actor=None, services=[checkout], title="Checkout 502s")
    escalation = Escalation.objects.get(incident=incident)
    escalate.run_step(escalation.pk, str(escalation.token), datetime.now(UTC))
    return incident, escalation, Notification.objects.get()


def press(action: dict) -> Client:
    """Do what the ntfy app does when the `http` action's button is pressed."""
    assert action["action"] == "http"
    parts = urlsplit(action["url"])
    headers = {k: v for k, v in action.get("headers", {}).items() if k != "Content-Type"}
    return Client(enforce_csrf_checks=True).generic(
        action.get("method", "POST"), parts.path, action.get("body", ""),
        content_type=action.get("headers", {}).get("Content-Type", ""), headers=headers,
    )  # fmt: skip


def test_a_page_is_published_with_acknowledge_and_open_actions(paged, ntfy_server, cast):
    incident, _escalation, notification = paged
    assert delivery.send(notification.pk, datetime.now(UTC)) is None
    [(path, headers, _body)] = ntfy_server.requests
    assert path == "/" and headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Content-Type"] == "application/json"
    [message] = ntfy_server.published
    assert message["topic"] == "ops-oncall"
    assert message["title"] == f"[SEV2] {incident.ref} Checkout 502s"
    assert message["priority"] == 4 and "checkout" in message["message"]
    room = f"http://localhost:8000{incident.get_absolute_url()}"
    assert message["click"] == room
    acknowledge, open_room = message["actions"]
    assert (acknowledge["action"], acknowledge["label"], acknowledge["method"]) == (
        "http", "Acknowledge", "POST")  # fmt: skip
    assert "/page/ack/" in acknowledge["url"]
    assert open_room == {"action": "view", "label": "Open incident", "url": room}
    notification.refresh_from_db()
    assert notification.status == "delivered"


def test_pressing_acknowledge_acknowledges_and_stops_paging(paged, ntfy_server, cast):
    incident, escalation, notification = paged
    delivery.send(notification.pk, datetime.now(UTC))
    [message] = ntfy_server.published
    answer = press(message["actions"][0])
    assert answer.status_code == 200 and "Acknowledged. Paging has stopped." in answer.text
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING
    escalation.refresh_from_db()
    assert escalation.status == "acknowledged"
    event = incident.events.get(kind="ack")
    assert event.author == cast.responder and event.data["via"] == "push"
    room = Client()
    room.force_login(cast.admin)
    assert (
        "acknowledged the incident from a push notification"
        in room.get(incident.get_absolute_url()).text
    )
    # Step 2 (the admin) is never paged, and a second press changes nothing.
    later = datetime.now(UTC) + timedelta(minutes=6)
    escalate.run_step(escalation.pk, str(escalation.token), later)
    assert Notification.objects.count() == 1
    assert press(message["actions"][0]).status_code == 410


def test_an_outage_is_retried_with_backoff_then_delivered(paged, ntfy_server):
    _incident, _escalation, notification = paged
    ntfy_server.outages.append(503)
    now = datetime.now(UTC)
    again = delivery.send(notification.pk, now)
    assert again is not None and again > now
    notification.refresh_from_db()
    assert notification.status == "pending" and "503" in notification.detail
    assert ntfy_server.published == []
    assert delivery.send(notification.pk, again) is None
    notification.refresh_from_db()
    assert notification.status == "delivered" and len(ntfy_server.published) == 1


def test_a_wrong_token_fails_for_good_and_marks_the_method(paged, ntfy_server, cast):
    _incident, _escalation, notification = paged
    ContactMethod.objects.update(secret="tk_wrong")
    delivery.send(notification.pk, datetime.now(UTC))
    notification.refresh_from_db()
    assert notification.status == "failed" and "403" in notification.detail
    assert ContactMethod.objects.get().failed_at is not None
    page = Client()
    page.force_login(cast.responder)
    panel = page.get(f"/incidents/{notification.incident.ref}/paging/").text
    assert "ntfy" in panel and "Failed" in panel


@pytest.mark.parametrize(("severity", "priority"),
                         [("SEV1", 5), ("SEV2", 4), ("SEV3", 3), ("SEV4", 3)])  # fmt: skip
def test_priority_follows_severity(severity, priority):
    body = ntfy.publish_body("t", ref="INC-1", title="x", severity=severity, status="triggered",
                             service=None, url="https://k/i", ack_url="https://k/a")  # fmt: skip
    assert body["priority"] == priority
    json.dumps(body)


@pytest.mark.parametrize(
    "address",
    ["ntfy.sh/topic", "https://ntfy.sh/", "https://ntfy.sh/a b", "https://ntfy.sh/t?x=1",
     "https://ntfy.sh/" + "a" * 65, "ftp://ntfy.sh/topic"],
)  # fmt: skip
def test_bad_addresses_and_tokens_are_refused_clearly(cast, address):
    client = api_client(cast.responder)
    answer = client.post("/api/v1/contact-methods/", {"kind": "ntfy", "address": address},
                         format="json")  # fmt: skip
    assert answer.status_code == 400 and "address" in answer.json()["errors"]
    answer = client.post("/api/v1/contact-methods/",
                         {"kind": "ntfy", "address": "https://ntfy.sh/ok", "token": "a b"},
                         format="json")  # fmt: skip
    assert answer.status_code == 400
    answer = client.post("/api/v1/contact-methods/",
                         {"kind": "webhook", "address": "https://x.example/", "token": "t"},
                         format="json")  # fmt: skip
    assert answer.status_code == 400
    assert not ContactMethod.objects.exists()


def test_the_profile_adds_an_ntfy_topic_and_sends_it_a_test_page(cast, ntfy_server):
    page = Client()
    page.force_login(cast.responder)
    assert 'value="ntfy"' in page.get("/accounts/profile/").text
    answer = page.post("/paging/contact-methods/", {
        "kind": "ntfy", "address": f"{ntfy_server.url}/ops-oncall", "token": TOKEN,
        "delay_minutes": 0,
    })  # fmt: skip
    assert answer.status_code == 302
    method = ContactMethod.objects.get()
    assert (method.kind, method.secret) == ("ntfy", TOKEN)
    page.post(f"/paging/contact-methods/{method.pk}/test/")
    [message] = ntfy_server.published
    assert message["title"].startswith("[SEV4] TEST")
    assert [a["label"] for a in message["actions"]] == ["Open incident"]  # nothing to ack
    assert TOKEN not in page.get("/accounts/profile/").text


@pytest.mark.parametrize("title", ["x" * 100_000, "line\nbreak\r\x00\x1b[31m", "\ud800 lone", ""])
def test_any_title_makes_a_valid_bounded_publish(title):
    body = ntfy.publish_body(
        "t", ref="INC-1", title=title, severity="SEV2", status="triggered",
        service="s\n" * 300, url="https://k/i", ack_url="https://k/a",
    )  # fmt: skip
    data = json.dumps(body, ensure_ascii=False).encode()
    assert len(data) < 4096 + 1024
    assert "\n" not in body["title"] and len(body["title"]) <= ntfy.TITLE_LIMIT
