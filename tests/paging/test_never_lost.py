"""A page is never lost silently: whatever the title holds, the page goes out; a page that
fails says why (its row, the timeline, the room's panel) and the escalation goes on; nothing
stays in `sending`; and a step that reaches nobody says so and pages the team's admins by
email. In-process with the clock passed in; the mail server is a real local SMTP server
(tests/smtp.py) where a test needs one to refuse, else Django's in-memory outbox."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from accounts.models import Membership, Role
from incidents.models import Service
from incidents.paging import delivery, escalate, senders, tasks
from incidents.paging.models import ContactKind, ContactMethod, Escalation, Notification
from tests.helpers import declare
from tests.oncall.helpers import make_schedule
from tests.receivers import Answer
from tests.smtp import MailServer

from .helpers import make_policy, pages, webhook_for

T0 = datetime(2026, 6, 1, 9, 50, tzinfo=UTC)
MIN = timedelta(minutes=1)
MULTILINE = "Disk full on db-1\nThe volume /var/lib/postgresql is 98% full.\r\nAct now"


@pytest.fixture
def checkout(db):
    return Service.objects.create(name="checkout")


@pytest.fixture
def smtp(settings):
    with MailServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield server


def email_to(user, address: str | None = None) -> ContactMethod:
    return ContactMethod.objects.create(
        user=user, kind=ContactKind.EMAIL, address=address or user.email
    )


def start(cast, checkout, title: str = "Checkout errors") -> tuple:
    incident = declare(cast, actor=None, services=[checkout], title=title)  # as an alert
    escalation = Escalation.objects.get(incident=incident)
    Escalation.objects.filter(pk=escalation.pk).update(next_due_at=T0, started_at=T0)
    return incident, escalation


def run_due(escalation: Escalation, now: datetime) -> None:
    """What the tasks do at `now`: run the step if due, then send whatever is due (the
    fallback pages a failure adds included)."""
    escalation.refresh_from_db()
    escalate.run_step(escalation.pk, str(escalation.token), now)
    sent: set[int] = set()
    while pending := set(
        Notification.objects.filter(escalation=escalation, status="pending", due_at__lte=now)
        .exclude(pk__in=sent)
        .values_list("pk", flat=True)
    ):
        for pk in pending:
            sent.add(pk)
            delivery.send(pk, now)


def page_bodies(incident) -> list[str]:
    return [e.body for e in incident.events.filter(kind="page").order_by("seq")]


def panel(cast, incident) -> str:
    client = Client()
    client.force_login(cast.responder)
    response = client.get(f"/incidents/{incident.ref}/paging/")
    assert response.status_code == 200
    return response.content.decode()


# --- Any text makes a valid message ---------------------------------------------------------

HOSTILE_TITLES = [
    MULTILINE,
    "tab\there, escape \x1b[31m red, bell \x07, form feed \x0c, NEL \x85, LS \u2028 PS \u2029",
    "a lone surrogate \ud800 and another \udfff",
    "x" * 100_000,
    "\n\n\r\r",
    "<!channel> & <https://evil.example|Acknowledge here>",
]


def hostile_page(title: str) -> senders.Page:
    return senders.Page(
        delivery_id="d-1", step=1, ref="INC-7", title=title, severity="SEV1",
        status="triggered", service="check\nout", url="https://keel.example/incidents/INC-7/",
        ack_url="https://keel.example/page/ack/t/",
    )  # fmt: skip


@pytest.mark.parametrize("title", HOSTILE_TITLES, ids=range(len(HOSTILE_TITLES)))
def test_any_title_makes_a_valid_email_slack_message_and_webhook(title, mailoutbox):
    page = hostile_page(title)
    result = senders.deliver(ContactKind.EMAIL, "responder@example.com", "", page)
    assert result.delivered, result.detail
    [mail] = mailoutbox
    raw = mail.message().as_bytes()  # what goes on the wire: it builds, and it is ASCII-safe
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert "\n" not in mail.subject and "\r" not in mail.subject and len(mail.subject) <= 200
    # A long subject is folded on the wire; unfolded, a mail client shows the same one line.
    shown = " ".join(str(parsed["Subject"]).split())
    assert shown == " ".join(mail.subject.split()) and shown.startswith("Page: [SEV1] INC-7")
    assert len(raw) < 50_000
    body = parsed.get_content()
    assert "https://keel.example/page/ack/t/" in body
    # Slack and webhook bodies encode as strict UTF-8 JSON of bounded size.
    slack = json.dumps(senders.slack_payload(page), ensure_ascii=False).encode("utf-8")
    hook = json.dumps(senders.webhook_payload(page), ensure_ascii=False).encode("utf-8")
    assert len(slack) < 10_000 and len(hook) < 10_000
    section = senders.slack_payload(page)["blocks"][0]["text"]["text"]
    assert len(section) <= 3000


def test_an_email_page_keeps_the_lines_of_a_multiline_title_in_its_body(mailoutbox):
    senders.deliver(ContactKind.EMAIL, "responder@example.com", "", hostile_page(MULTILINE))
    [mail] = mailoutbox
    assert mail.subject.startswith("Page: [SEV1] INC-7 Disk full on db-1 The volume")
    assert "Disk full on db-1\nThe volume /var/lib/postgresql is 98% full.\nAct now" in mail.body


def test_an_alert_with_a_multiline_title_pages_by_email_and_the_timeline_says_so(
    cast, checkout, committed, mailoutbox
):
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    email_to(cast.responder)
    incident, escalation = start(cast, checkout, title=MULTILINE)
    run_due(escalation, T0)
    [mail] = mailoutbox
    assert mail.to == ["responder@example.com"] and "\n" not in mail.subject
    assert Notification.objects.get().status == "delivered"
    assert page_bodies(incident) == ["Paged Responder by email (step 1)."]


# --- A failure is recorded, said, and the escalation goes on ---------------------------------


def test_a_refused_email_page_fails_with_its_reason_everywhere_and_escalation_goes_on(
    cast, checkout, committed, smtp
):
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), (5, [{"user": cast.admin.pk}]),
                service=checkout)  # fmt: skip
    email_to(cast.responder, "refused-responder@example.com")
    email_to(cast.admin)
    incident, escalation = start(cast, checkout, title=MULTILINE)
    run_due(escalation, T0)
    failed = Notification.objects.get(user=cast.responder)
    assert failed.status == "failed" and "refused" in failed.detail
    bodies = page_bodies(incident)
    assert bodies[0].startswith("Page to Responder by email failed (step 1): The mail server")
    assert bodies[1].startswith("Step 1 reached nobody: every page to its people failed.")
    assert "Paging the team's admins by email instead: Admin." in bodies[1]
    # The fallback page reached the admin, at their account address, with an ack link.
    [fallback] = smtp.to("admin@example.com")
    assert "Page: [SEV2]" in str(fallback["Subject"]) and "\n" not in str(fallback["Subject"])
    text = fallback.get_content()
    assert "Nobody was reached" in text and "/page/ack/" in text
    assert Notification.objects.get(fallback=True).status == "delivered"
    shown = panel(cast, incident)
    assert "The mail server refused" in shown and "Step 1 reached nobody" in shown
    # ... and the escalation went on to step 2.
    run_due(escalation, T0 + 5 * MIN)
    assert len(smtp.to("admin@example.com")) == 2
    assert Notification.objects.get(user=cast.admin, fallback=False).status == "delivered"


def test_two_pages_failing_decide_once_that_the_step_reached_nobody(
    cast, checkout, committed, receiver
):
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    webhook_for(cast.responder, f"{receiver.url}/a")
    webhook_for(cast.responder, f"{receiver.url}/b")
    receiver.answer(Answer(status=410))
    receiver.answer(Answer(status=410))
    incident, escalation = start(cast, checkout)
    run_due(escalation, T0)
    assert Notification.objects.filter(fallback=False, status="failed").count() == 2
    nobody = [b for b in page_bodies(incident) if "reached nobody" in b]
    assert len(nobody) == 1
    assert Notification.objects.filter(fallback=True).count() == 1


# --- Nothing stays in `sending` ------------------------------------------------------------


def test_a_page_whose_sender_crashes_every_time_is_marked_failed_and_said(
    cast, checkout, committed, receiver, settings
):
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    webhook_for(cast.responder, f"{receiver.url}/responder")
    incident, escalation = start(cast, checkout)
    escalate.run_step(escalation.pk, str(escalation.token), T0)
    page = Notification.objects.get()
    now = T0
    # A worker claims it and is killed mid-send, PAGING_MAX_ATTEMPTS times over.
    for _ in range(settings.PAGING_MAX_ATTEMPTS):
        assert delivery.claim(page.pk, now)
        now += timedelta(seconds=settings.PAGING_SEND_DEADLINE_SECONDS + 1)
    assert delivery.claim(page.pk, now) == []  # no tries left: not sent into the crash again
    delivery.give_up_stuck(now)  # what the auditor does on beat
    page.refresh_from_db()
    assert page.status == "failed" and page.detail.startswith("Gave up after 5 attempts")
    assert receiver.requests == []
    bodies = page_bodies(incident)
    assert bodies[0].startswith("Page to Responder by webhook failed (step 1): Gave up after 5")
    assert bodies[1].startswith("Step 1 reached nobody")
    assert "Gave up after 5 attempts" in panel(cast, incident)


def test_the_auditor_marks_a_stuck_page_with_no_tries_left_failed(
    cast, checkout, committed, receiver, settings, mailoutbox, request
):
    settings.PAGING_AUDIT_GRACE_SECONDS = 0
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    webhook_for(cast.responder, f"{receiver.url}/responder")
    _incident, escalation = start(cast, checkout)
    escalate.run_step(escalation.pk, str(escalation.token), T0)
    Notification.objects.update(
        status="sending", attempts=settings.PAGING_MAX_ATTEMPTS, deadline=T0
    )  # as PAGING_MAX_ATTEMPTS crashed sends leave it
    request.getfixturevalue("eager")  # what the auditor queues runs at once
    tasks.audit()
    assert Notification.objects.get(fallback=False).status == "failed"
    assert receiver.requests == []
    # The fallback page to the admin went out at once (Celery runs eagerly here).
    assert [m.to for m in mailoutbox] == [["admin@example.com"]]
    assert not Notification.objects.filter(status__in=["pending", "sending"]).exists()


# --- A step that reaches nobody says so and pages the admins -------------------------------


def nobody_event(incident):
    return incident.events.get(kind="page", data__action="unreachable", data__nobody=True)


def test_an_empty_schedule_pages_the_admins(cast, checkout, committed, mailoutbox):
    empty = make_schedule(cast.team, [cast.responder], start_date=datetime(2030, 1, 1).date())
    make_policy(cast.team, (5, [{"schedule": empty.pk}]), service=checkout)
    email_to(cast.responder)
    incident, escalation = start(cast, checkout)
    run_due(escalation, T0)
    assert nobody_event(incident).body.startswith(
        "Step 1 reached nobody: nobody is on call (or its targets name nobody)."
    )
    assert [m.to for m in mailoutbox] == [["admin@example.com"]]
    assert "Step 1 reached nobody" in panel(cast, incident)


def test_a_person_without_contact_methods_pages_the_admins(cast, checkout, committed, mailoutbox):
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    incident, escalation = start(cast, checkout)
    run_due(escalation, T0)
    assert "Responder has no contact method." in nobody_event(incident).body
    assert [m.to for m in mailoutbox] == [["admin@example.com"]]


@pytest.mark.parametrize("how", ["left the team", "deactivated"])
def test_a_target_who_left_or_was_deactivated_is_not_paged_and_the_admins_are(
    cast, checkout, committed, mailoutbox, how
):
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    email_to(cast.responder)
    if how == "left the team":
        Membership.objects.filter(user=cast.responder, team=cast.team).delete()
        reason = "Responder is no longer a member of Ops."
    else:
        type(cast.responder).objects.filter(pk=cast.responder.pk).update(is_active=False)
        reason = "Responder's account is deactivated."
    incident, escalation = start(cast, checkout)
    run_due(escalation, T0)
    assert reason in nobody_event(incident).body
    assert [m.to for m in mailoutbox] == [["admin@example.com"]]


def test_a_deleted_policy_pages_the_admins(cast, checkout, committed, mailoutbox):
    policy = make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    email_to(cast.responder)
    incident, escalation = start(cast, checkout)
    policy.delete()
    run_due(escalation, T0)
    assert "its escalation policy was deleted." in nobody_event(incident).body
    assert [m.to for m in mailoutbox] == [["admin@example.com"]]


def test_with_no_admin_to_page_the_timeline_says_nobody_was_paged(
    cast, checkout, committed, mailoutbox
):
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    Membership.objects.filter(team=cast.team, role=Role.ADMIN).update(role=Role.RESPONDER)
    incident, escalation = start(cast, checkout)
    run_due(escalation, T0)
    body = nobody_event(incident).body
    assert "No admin of the team has an email address to page instead" in body
    assert mailoutbox == []
    assert "nobody was paged" in panel(cast, incident)


def test_a_failed_fallback_says_so_and_starts_no_further_fallback(cast, checkout, committed, smtp):
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    type(cast.admin).objects.filter(pk=cast.admin.pk).update(email="refused-admin@example.com")
    incident, escalation = start(cast, checkout)
    run_due(escalation, T0)
    [fallback] = Notification.objects.filter(fallback=True)
    assert fallback.status == "failed"
    bodies = page_bodies(incident)
    assert bodies[-1].startswith(
        "Page to Admin by email (fallback to the team's admins) failed (step 1): The mail server"
    )
    assert len([b for b in bodies if "reached nobody" in b]) == 1


def test_the_webhook_page_is_unchanged_for_a_plain_title(cast, checkout, committed, receiver):
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    webhook_for(cast.responder, f"{receiver.url}/responder")
    _incident, escalation = start(cast, checkout, title="Checkout errors & <slow>")
    run_due(escalation, T0)
    [page] = pages(receiver.requests)
    assert page["incident"]["title"] == "Checkout errors & <slow>"  # JSON needs no escaping


def test_a_mail_server_that_is_down_is_retried_a_bounded_number_of_times_then_failed(
    cast, checkout, committed, settings, mailoutbox
):
    """Nobody listens on the mail port: each try is retried later with backoff; after
    PAGING_MAX_ATTEMPTS the page fails, says so, and the step's fallback is tried."""
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    email_to(cast.responder)
    _incident, escalation = start(cast, checkout, title=MULTILINE)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    escalate.run_step(escalation.pk, str(escalation.token), T0)
    page = Notification.objects.get()
    now = T0
    for attempt in range(1, settings.PAGING_MAX_ATTEMPTS + 1):
        again = delivery.send(page.pk, now)
        page.refresh_from_db()
        if attempt < settings.PAGING_MAX_ATTEMPTS:
            assert page.status == "pending" and again is not None and again > now
            assert "Could not hand the mail over" in page.detail
            now = again
    assert page.status == "failed" and page.attempts == settings.PAGING_MAX_ATTEMPTS
    assert not Notification.objects.filter(status="sending").exists()
    assert Notification.objects.filter(fallback=True).count() == 1  # the admin, next
