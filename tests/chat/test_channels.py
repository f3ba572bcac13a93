"""Managing chat channels (pages and API). Linking a person's Slack account: test_linking.py."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone

from incidents.chat.models import ChatChannel, ChatDelivery
from tests.helpers import api_client, declare

SECRET_URL = "https://hooks.slack.com/services/T0KEEL/B0KEEL/sekr1tsekr1tsekr1t"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_admin_adds_a_channel_by_api_and_the_webhook_url_is_never_shown_again(cast):
    response = api_client(cast.admin).post(
        "/api/v1/chat-channels/",
        {"team": cast.team.pk, "webhook_url": SECRET_URL, "events": ["declared", "resolved"]},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert "webhook_url" not in response.data and "sekr1t" not in str(response.data)
    channel = ChatChannel.objects.get()
    assert channel.webhook_url == SECRET_URL and channel.events == ["declared", "resolved"]
    listed = api_client(cast.viewer).get("/api/v1/chat-channels/")
    assert "sekr1t" not in listed.content.decode()
    page = signed_in(cast.admin).get(f"/chat/{channel.pk}/").content.decode()
    assert "sekr1t" not in page


def test_events_default_to_all_and_unknown_ones_are_refused(cast):
    client = api_client(cast.admin)
    response = client.post(
        "/api/v1/chat-channels/", {"team": cast.team.pk, "webhook_url": SECRET_URL}, format="json"
    )
    assert len(response.data["events"]) == 8
    response = client.post(
        "/api/v1/chat-channels/",
        {"team": cast.team.pk, "webhook_url": SECRET_URL, "events": ["everything"]},
        format="json",
    )
    assert response.status_code == 400 and "events" in response.data["errors"]


def test_a_bad_webhook_url_is_a_clear_400(cast):
    response = api_client(cast.admin).post(
        "/api/v1/chat-channels/", {"team": cast.team.pk, "webhook_url": "not a url"}, format="json"
    )
    assert response.status_code == 400 and "webhook_url" in response.data["errors"]


def disabled_channel(cast) -> ChatChannel:
    return ChatChannel.objects.create(
        team=cast.team, name="#ops", webhook_url=SECRET_URL, state="disabled",
        disabled_reason="channel_not_found (404)", disabled_at=timezone.now(),
    )  # fmt: skip


def test_the_team_sees_why_a_channel_was_disabled(cast):
    channel = disabled_channel(cast)
    for person in (cast.admin, cast.viewer):
        html = signed_in(person).get("/chat/").content.decode()
        assert "#ops (Ops) is disabled" in html and "channel_not_found (404)" in html
    assert "channel_not_found" not in signed_in(cast.outsider).get("/chat/").content.decode()
    html = signed_in(cast.admin).get(f"/chat/{channel.pk}/").content.decode()
    assert "channel_not_found (404)" in html and "Save and enable" in html


def test_saving_a_disabled_channel_enables_it_and_keeps_the_url_unless_given(cast):
    channel = disabled_channel(cast)
    response = signed_in(cast.admin).post(
        f"/chat/{channel.pk}/", {"name": "#ops", "events": ["resolved"], "webhook_url": ""}
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.state, channel.disabled_reason, channel.webhook_url) == (
        "active",
        "",
        SECRET_URL,
    )


def test_an_admin_may_enable_a_channel_again_by_api(cast):
    channel = disabled_channel(cast)
    response = api_client(cast.admin).patch(
        f"/api/v1/chat-channels/{channel.pk}/", {"state": "active"}, format="json"
    )
    assert response.status_code == 200 and response.data["disabled_reason"] == ""
    channel.refresh_from_db()
    assert channel.state == "active"


def test_a_service_of_another_team_is_refused(cast, service):
    response = api_client(cast.admin).post(
        "/api/v1/chat-channels/",
        {"team": cast.team.pk, "webhook_url": SECRET_URL, "service": service.pk},
        format="json",
    )
    assert response.status_code == 400 and "not a service of Ops" in str(response.data)


def test_the_delivery_log_shows_time_event_status_code_and_attempts(cast):
    channel = ChatChannel.objects.create(team=cast.team, name="#ops", webhook_url=SECRET_URL)
    incident = declare(cast)
    ChatDelivery.objects.create(
        channel=channel, incident=incident, event="declared", headline="Declared by Responder",
        status="delivered", status_code=200, attempts=2, detail="Delivered (200).",
    )  # fmt: skip
    html = signed_in(cast.viewer).get(f"/chat/{channel.pk}/").content.decode()
    assert "Declared by Responder" in html and incident.ref in html
    assert "<td>200</td>" in html and "<td>2</td>" in html and "Delivered" in html


def test_bad_input_to_the_channels_api_is_a_clear_400(cast):
    client = api_client(cast.admin)
    good = {"team": cast.team.pk, "webhook_url": SECRET_URL}
    for bad in [
        {"team": "abc"},
        {"team": 10**20},
        {"service": -1},
        {"name": "x" * 1000},
        {"events": "declared"},
        {"events": [None]},
        {"webhook_url": "https://hooks.slack.com/\x00"},
        {"slack_channel_id": "C\x00"},
        {"state": "exploded"},
    ]:
        response = client.post("/api/v1/chat-channels/", {**good, **bad}, format="json")
        assert response.status_code == 400, (bad, response.content)
        assert response.data["detail"]
    assert not ChatChannel.objects.exists()
    response = client.patch("/api/v1/chat-channels/99999999999999999999/", {}, format="json")
    assert response.status_code == 404


def test_a_channel_page_that_does_not_exist_is_a_404(cast):
    client = signed_in(cast.admin)
    assert client.get("/chat/99999999999999999999/").status_code == 404
    assert client.post("/chat/99999999999999999999/", {"name": "x"}).status_code == 404
