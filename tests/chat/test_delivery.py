"""Messages out to a Slack-style incoming webhook, played by a real local HTTP server."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from incidents import lifecycle
from incidents.chat import delivery, tasks
from incidents.chat.models import ChatChannel, ChatDelivery, ChatThread
from incidents.postmortems import workflow
from keel.celery import app as celery_app
from tests.helpers import declare
from tests.postmortems.helpers import postmortem_of, publishable, seeded_incident
from tests.receivers import Answer

pytestmark = pytest.mark.usefixtures("eager")


def messages(receiver) -> list[dict]:
    return [json.loads(r.body) for r in receiver.requests]


def changed(callbacks, fn, *args, **kwargs):
    """Run a lifecycle call and its after-commit hooks, as a committed request would."""
    with callbacks(execute=True):
        return fn(*args, **kwargs)


def test_declaring_posts_a_block_kit_message_with_buttons(
    cast, channel, receiver, django_capture_on_commit_callbacks
):
    incident = changed(django_capture_on_commit_callbacks, declare, cast, actor=None)
    [message] = messages(receiver)
    assert receiver.requests[0].path == "/services/T1/B1/xyz"
    assert message["text"].startswith(f"{incident.ref} Checkout errors · SEV2 · triggered")
    assert "Triggered by an alert" in message["blocks"][0]["text"]["text"]
    buttons = [e["text"]["text"] for e in message["blocks"][2]["elements"]]
    assert buttons == ["Acknowledge", "Resolve", "Open room"]
    row = ChatDelivery.objects.get()
    assert (row.status, row.attempts, row.status_code, row.event) == (
        "delivered",
        1,
        200,
        "declared",
    )


def test_a_channel_hears_only_the_events_it_chose(
    cast, channel, receiver, django_capture_on_commit_callbacks
):
    channel.events = ["resolved"]
    channel.save()
    with time_machine.travel("2026-01-01 10:00:00Z", tick=False) as clock:
        incident = changed(django_capture_on_commit_callbacks, declare, cast)
        changed(
            django_capture_on_commit_callbacks, lifecycle.add_note, incident, cast.responder, "hm"
        )
        assert receiver.requests == []
        clock.shift(2)
        changed(django_capture_on_commit_callbacks, lifecycle.resolve, incident, cast.responder)
    [message] = messages(receiver)
    assert "Resolved by Responder" in message["text"]


def test_another_teams_channel_hears_nothing(cast, receiver, django_capture_on_commit_callbacks):
    ChatChannel.objects.create(team=cast.other_team, name="#other", webhook_url=receiver.url)
    changed(django_capture_on_commit_callbacks, declare, cast)
    assert receiver.requests == []


def test_a_burst_is_coalesced_into_fewer_messages_showing_the_last_state_and_none_is_lost(
    cast, channel, receiver, django_capture_on_commit_callbacks
):
    with time_machine.travel("2026-01-01 10:00:00Z", tick=False) as clock:
        incident = changed(django_capture_on_commit_callbacks, declare, cast)
        for severity in ["SEV1", "SEV3", "SEV4", "SEV1", "SEV2", "SEV3", "SEV1", "SEV4"]:
            changed(
                django_capture_on_commit_callbacks,
                lifecycle.set_severity, incident, cast.responder, severity,
            )  # fmt: skip
        changed(django_capture_on_commit_callbacks, lifecycle.resolve, incident, cast.responder)
        assert len(receiver.requests) == 1  # the declaration; the rest waits a second
        assert ChatDelivery.objects.filter(status="pending").count() == 9
        clock.shift(1)
        tasks.deliver_channel(channel.pk)
    sent = messages(receiver)
    assert len(sent) == 2
    last = sent[-1]
    assert "SEV4 · resolved" in last["text"]
    assert "Resolved by Responder" in last["blocks"][0]["text"]["text"]
    assert ChatDelivery.objects.count() == 11  # declared and commander, then nine changes
    assert set(ChatDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_second_message_within_the_second_waits_for_its_slot(cast, channel, receiver):
    now = timezone.now() + timedelta(seconds=1)
    incident = declare(cast)
    ChatDelivery.objects.create(channel=channel, incident=incident, event="declared", headline="a")
    assert delivery.send_next(channel.pk, now).sent == 1
    ChatDelivery.objects.create(channel=channel, incident=incident, event="status", headline="b")
    report = delivery.send_next(channel.pk, now + timedelta(milliseconds=500))
    assert report.sent == 0 and report.again_at == now + timedelta(seconds=1)
    assert delivery.send_next(channel.pk, now + timedelta(seconds=1)).sent == 1
    assert len(receiver.requests) == 2


def pending(channel, cast) -> ChatDelivery:
    incident = declare(cast)
    return ChatDelivery.objects.create(
        channel=channel, incident=incident, event="declared", headline="Declared"
    )


def test_429_is_retried_after_what_retry_after_says(cast, channel, receiver):
    receiver.answer(Answer(429, {"Retry-After": "30"}, b"rate_limited"))
    row = pending(channel, cast)
    now = timezone.now()
    report = delivery.send_next(channel.pk, now)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.status_code) == ("pending", 1, 429)
    assert row.next_attempt_at == now + timedelta(seconds=30)
    assert report.again_at == now + timedelta(seconds=30)
    assert delivery.send_next(channel.pk, now + timedelta(seconds=20)).sent == 0
    assert delivery.send_next(channel.pk, now + timedelta(seconds=30)).sent == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.status_code) == ("delivered", 2, 200)
    assert len(receiver.requests) == 2


def test_5xx_is_retried_with_exponential_backoff_then_given_up(cast, channel, receiver, settings):
    settings.CHAT_RETRY_BASE_SECONDS = 2
    receiver.answer(*[Answer(500, body=b"oops")] * delivery.MAX_ATTEMPTS)
    row = pending(channel, cast)
    now = timezone.now()
    waits = []
    for _ in range(delivery.MAX_ATTEMPTS):
        delivery.send_next(channel.pk, now)
        row.refresh_from_db()
        waits.append((row.next_attempt_at - now).total_seconds())
        now = row.next_attempt_at
    assert waits[:4] == [2, 4, 8, 16]
    assert (row.status, row.attempts) == ("failed", delivery.MAX_ATTEMPTS)
    assert "Gave up" in row.detail
    channel.refresh_from_db()
    assert channel.state == "active"  # a flaky workspace is not a misconfigured channel


def test_a_network_error_is_retried(cast, channel, receiver):
    channel.webhook_url = "http://127.0.0.1:9/closed"  # the discard port: nobody listens
    channel.save()
    row = pending(channel, cast)
    delivery.send_next(channel.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.status_code) == ("pending", 1, None)
    assert "try again" in row.detail


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, "invalid_payload"),
        (403, "action_prohibited"),
        (404, "channel_not_found"),
        (410, "channel_is_archived"),
    ],
)
def test_a_permanent_refusal_disables_the_channel_and_tells_the_teams_admins(
    cast, channel, receiver, status, error, mailoutbox
):
    receiver.answer(Answer(status, body=error.encode()))
    row = pending(channel, cast)
    delivery.send_next(channel.pk)
    row.refresh_from_db()
    channel.refresh_from_db()
    assert (row.status, row.status_code) == ("failed", status)
    assert channel.state == "disabled"
    assert channel.disabled_reason == f"{error} ({status})"
    pending(channel, cast)
    assert delivery.send_next(channel.pk).sent == 0
    assert len(receiver.requests) == 1  # a disabled channel is not posted to again
    [mail] = mailoutbox
    assert mail.to == ["admin@example.com"] and error in mail.body
    assert f"/chat/{channel.pk}/" in mail.body


def test_later_changes_replace_the_message_through_a_valid_response_url(
    cast, channel, receiver, django_capture_on_commit_callbacks
):
    incident = declare(cast)
    ChatThread.objects.create(
        channel=channel, incident=incident, response_url=f"{receiver.url}/actions/T1/42/abc",
        expires_at=timezone.now() + timedelta(minutes=30),
    )  # fmt: skip
    changed(
        django_capture_on_commit_callbacks, lifecycle.set_severity, incident, cast.responder, "SEV1"
    )
    [request] = receiver.requests
    assert request.path == "/actions/T1/42/abc"
    body = json.loads(request.body)
    assert body["replace_original"] is True and "SEV1" in body["text"]
    assert ChatThread.objects.get().uses == 1


def test_an_expired_response_url_means_a_new_message(
    cast, channel, receiver, django_capture_on_commit_callbacks
):
    incident = declare(cast)
    ChatThread.objects.create(
        channel=channel, incident=incident, response_url=f"{receiver.url}/actions/old",
        expires_at=timezone.now() - timedelta(seconds=1),
    )  # fmt: skip
    changed(
        django_capture_on_commit_callbacks, lifecycle.set_severity, incident, cast.responder, "SEV1"
    )
    [request] = receiver.requests
    assert request.path == "/services/T1/B1/xyz"
    assert "replace_original" not in json.loads(request.body)


def test_a_used_up_response_url_means_a_new_message(cast, channel, receiver):
    incident = declare(cast)
    ChatThread.objects.create(
        channel=channel, incident=incident, response_url=f"{receiver.url}/actions/old",
        expires_at=timezone.now() + timedelta(minutes=5), uses=5,
    )  # fmt: skip
    ChatDelivery.objects.create(channel=channel, incident=incident, event="status", headline="x")
    delivery.send_next(channel.pk)
    assert [r.path for r in receiver.requests] == ["/services/T1/B1/xyz"]


def test_a_refused_response_url_is_forgotten_and_a_new_message_posted_next(cast, channel, receiver):
    receiver.answer(Answer(404, body=b"expired_url"))
    incident = declare(cast)
    ChatThread.objects.create(
        channel=channel, incident=incident, response_url=f"{receiver.url}/actions/gone",
        expires_at=timezone.now() + timedelta(minutes=5),
    )  # fmt: skip
    ChatDelivery.objects.create(channel=channel, incident=incident, event="status", headline="x")
    now = timezone.now()
    delivery.send_next(channel.pk, now)
    delivery.send_next(channel.pk, now + timedelta(seconds=1))
    assert [r.path for r in receiver.requests] == ["/actions/gone", "/services/T1/B1/xyz"]
    assert ChatDelivery.objects.get().status == "delivered"
    channel.refresh_from_db()
    assert channel.state == "active"


def test_a_worker_that_died_mid_send_is_recovered(cast, channel, receiver):
    row = pending(channel, cast)
    now = timezone.now()
    ChatDelivery.objects.filter(pk=row.pk).update(
        status="sending", sending_until=now - timedelta(seconds=1)
    )
    assert delivery.pending_channels(now) == [channel.pk]
    tasks.sweep()
    row.refresh_from_db()
    assert row.status == "delivered"


def test_pending_changes_are_sent_by_the_sweeper(cast, channel, receiver):
    """What the hook recorded while no worker ran (or Redis was down) is sent by beat's
    sweeper."""
    incident = declare(cast)  # no after-commit hooks here: as if the worker never ran
    ChatDelivery.objects.create(channel=channel, incident=incident, event="declared", headline="d")
    assert receiver.requests == []
    tasks.sweep()
    assert len(receiver.requests) == 1
    assert ChatDelivery.objects.get().status == "delivered"


def test_a_change_never_waits_for_the_chat_workspace(
    cast, channel, receiver, django_capture_on_commit_callbacks
):
    """Not eager, as in production: the lifecycle call returns once the row is written and
    the task queued; nothing has been sent to the (here: hanging) receiver yet."""
    receiver.answer(Answer(delay=5))
    celery_app.conf.task_always_eager = False
    with django_capture_on_commit_callbacks(execute=True):
        declare(cast)
    assert receiver.requests == []
    assert set(ChatDelivery.objects.values_list("status", flat=True)) == {"pending"}
    route = celery_app.amqp.router.route({}, "chat.deliver_channel")
    assert route["queue"].name == "chat"  # never the default queue paging uses


def test_a_reminder_event_is_posted_to_channels_that_want_reminders(
    cast, channel, receiver, django_capture_on_commit_callbacks
):
    incident = declare(cast)
    channel.events = ["reminder"]
    channel.save()
    changed(
        django_capture_on_commit_callbacks,
        lifecycle.record, incident, None, "reminder", "Update the status page",
    )  # fmt: skip
    [message] = messages(receiver)
    assert "Reminder: Update the status page" in message["text"]


def test_a_new_commander_is_posted(cast, channel, receiver, django_capture_on_commit_callbacks):
    incident = declare(cast)
    channel.events = ["commander"]
    channel.save()
    changed(
        django_capture_on_commit_callbacks,
        lifecycle.assign_role, incident, cast.responder, "commander", cast.admin,
    )  # fmt: skip
    [message] = messages(receiver)
    assert "Commander: Admin" in message["text"]
    assert "*Commander*\nAdmin" in [f["text"] for f in message["blocks"][1]["fields"]]


def test_a_published_postmortem_is_posted_and_other_postmortem_steps_are_not(
    cast, channel, receiver, django_capture_on_commit_callbacks
):
    incident = declare(cast)
    channel.events = ["postmortem"]
    channel.save()
    with time_machine.travel("2026-01-01 10:00:00Z", tick=False) as clock:
        changed(
            django_capture_on_commit_callbacks,
            lifecycle.record, incident, cast.admin, "postmortem", "Draft", {"status": "draft"},
        )  # fmt: skip
        assert receiver.requests == []
        clock.shift(2)
        changed(
            django_capture_on_commit_callbacks,
            lifecycle.record, incident, cast.admin, "postmortem", "", {"status": "published"},
        )  # fmt: skip
    [message] = messages(receiver)
    assert "Postmortem published by Admin" in message["text"]


def test_a_change_a_channel_did_not_ask_for_still_updates_its_editable_message(
    cast, channel, receiver, django_capture_on_commit_callbacks
):
    incident = declare(cast)
    channel.events = ["resolved"]
    channel.save()
    ChatThread.objects.create(
        channel=channel, incident=incident, response_url=f"{receiver.url}/actions/live",
        expires_at=timezone.now() + timedelta(minutes=30),
    )  # fmt: skip
    changed(
        django_capture_on_commit_callbacks, lifecycle.set_severity, incident, cast.responder, "SEV1"
    )
    [request] = receiver.requests
    assert request.path == "/actions/live" and "SEV1" in json.loads(request.body)["text"]


def test_without_an_editable_message_an_unasked_change_posts_nothing(cast, channel, receiver):
    incident = declare(cast)
    ChatDelivery.objects.create(
        channel=channel, incident=incident, event="update", headline="x", update_only=True
    )
    delivery.send_next(channel.pk)
    assert receiver.requests == []
    assert ChatDelivery.objects.get().status == "skipped"


@pytest.fixture
def redis_down():
    """Celery's broker is unreachable (nobody listens on port 1), as when Redis is down."""
    before = celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    celery_app.conf.broker_url = before
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.task_always_eager = True


def test_with_redis_down_the_change_goes_through_and_the_sweeper_sends_it_later(
    cast, channel, receiver, redis_down, django_capture_on_commit_callbacks
):
    incident = changed(django_capture_on_commit_callbacks, declare, cast, actor=None)
    assert incident.pk and receiver.requests == []
    assert ChatDelivery.objects.get().status == "pending"  # recorded, not lost
    celery_app.conf.task_always_eager = True  # Redis is back; beat runs the sweeper
    tasks.sweep()
    assert len(receiver.requests) == 1
    assert ChatDelivery.objects.get().status == "delivered"


def test_two_incidents_waiting_on_one_channel_take_turns_one_message_a_second(
    cast, channel, receiver
):
    first, second = declare(cast, title="First"), declare(cast, title="Second")
    for incident in (first, second, first):
        ChatDelivery.objects.create(
            channel=channel, incident=incident, event="status", headline=f"{incident.title}!"
        )
    now = timezone.now() + timedelta(seconds=1)
    report = delivery.send_next(channel.pk, now)
    assert report.sent == 2 and report.again_at == now + timedelta(seconds=1)
    delivery.send_next(channel.pk, now + timedelta(seconds=1))
    texts = [m["text"] for m in messages(receiver)]
    assert len(texts) == 2
    assert "First" in texts[0] and "First!; First!" in texts[0] and "Second" in texts[1]


def test_publishing_a_postmortem_posts_its_title_summary_and_absolute_link(
    cast, receiver, settings, django_capture_on_commit_callbacks
):
    """Published through postmortems' own workflow (which never imports chat): the channel
    hears of it from the timeline event, with the summary and a link that works anywhere."""
    settings.SITE_URL = "https://keel.example.com"
    incident = seeded_incident(cast, title="Checkout <errors> & timeouts")
    postmortem = postmortem_of(incident)
    postmortem.sections = {**postmortem.sections, "summary": "The pool & the <queue> filled."}
    postmortem.save()
    publishable(postmortem, cast.responder, cast.admin)
    channel = ChatChannel.objects.create(
        team=cast.team, name="#ops", webhook_url=f"{receiver.url}/services/T1/B1/xyz",
        events=["postmortem"],
    )  # fmt: skip
    changed(
        django_capture_on_commit_callbacks, workflow.publish, postmortem, cast.responder,
        allow_empty=True,
    )  # fmt: skip
    [message] = messages(receiver)
    link = f"https://keel.example.com/incidents/{incident.ref}/postmortem/"
    section = message["blocks"][1]["text"]["text"]
    assert section == (
        f"*<{link}|Postmortem: Checkout &lt;errors&gt; &amp; timeouts>*\n"
        "The pool &amp; the &lt;queue&gt; filled."
    )
    assert "Postmortem published by Priya Nair" in message["blocks"][0]["text"]["text"]
    assert link in message["text"] and "Updated" not in message["text"]
    assert ChatDelivery.objects.get(channel=channel).event == "postmortem"
