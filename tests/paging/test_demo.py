"""`make run`'s demo: declaring a SEV1 on a demo service pages the team's on-call person by
email (the console in `make run`), with the ack link, and the timeline says so."""

from __future__ import annotations

import io
from datetime import timedelta

import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from incidents import lifecycle
from incidents.models import Incident, Service, Severity, Status
from incidents.paging import delivery, escalate, tasks
from incidents.paging.models import ContactMethod, Escalation, Notification


def test_declaring_a_sev1_in_the_demo_pages_the_on_call_person_by_email(
    committed, settings, mailoutbox
):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    demo = User.objects.get(email="demo@keel.local")
    service = Service.objects.filter(paging__isnull=False, team__memberships__user=demo).first()
    incident = lifecycle.declare(
        demo, title="Everything is down", severity=Severity.SEV1, team=service.team,
        services=[service],
    )  # fmt: skip
    escalation = Escalation.objects.get(incident=incident)
    now = timezone.now()
    run = escalate.run_step(escalation.pk, str(escalation.token), now)
    assert run.notifications
    for pk in run.notifications:
        delivery.send(pk, now)
    paged = Notification.objects.get(pk=run.notifications[0]).user
    assert mailoutbox[0].to == [paged.email]
    assert incident.ref in mailoutbox[0].subject and "/page/ack/" in mailoutbox[0].body
    assert incident.events.filter(kind="page", body__startswith=f"Paged {paged.name}").exists()


def test_the_demo_incidents_page_nobody_not_even_when_the_auditor_looks(
    committed, settings, mailoutbox
):
    """`make run` straight after the first start: no page until someone declares."""
    settings.DEBUG = True
    settings.PAGING_AUDIT_GRACE_SECONDS = 0
    call_command("seed_demo", stdout=io.StringIO())
    assert Incident.objects.filter(status__in=Status.open_values()).count() >= 2
    start = timezone.now()
    for minutes in (0, 1, 5, 10, 30):  # beat's auditor, tick after tick
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            tasks.audit()
    assert not Escalation.objects.exists()
    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_every_demo_contact_method_is_used_at_once(committed, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    methods = ContactMethod.objects.prefetch_related("rules")
    assert methods and all([r.delay_minutes for r in m.rules.all()] == [0] for m in methods)
