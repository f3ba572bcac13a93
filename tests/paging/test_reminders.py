"""Reminders on beat: once per quiet spell, even when two beat ticks run at once."""

from __future__ import annotations

import threading
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from incidents import lifecycle
from incidents.models import IncidentRole, Severity
from incidents.paging import reminders
from incidents.postmortems import workflow
from incidents.postmortems.models import Postmortem
from tests.helpers import declare


def test_a_quiet_sev2_nudges_its_commander_once_per_quiet_spell(cast, committed):
    incident = declare(cast, severity=Severity.SEV2)
    now = timezone.now()
    assert reminders.send_due(now + timedelta(minutes=29)) == 0
    assert reminders.send_due(now + timedelta(minutes=31)) == 1
    assert reminders.send_due(now + timedelta(minutes=45)) == 0  # the same spell
    event = incident.events.get(kind="reminder")
    assert event.body.startswith("No update for 30 minutes: Responder, please post")
    assert event.author is None
    lifecycle.add_note(incident, cast.responder, "Rolled back")
    later = timezone.now() + timedelta(minutes=31)
    assert reminders.send_due(later) == 1  # a new quiet spell after the note
    assert incident.events.filter(kind="reminder").count() == 2


def test_a_sev4_is_never_nudged(cast, committed):
    declare(cast, severity=Severity.SEV4)
    assert reminders.send_due(timezone.now() + timedelta(days=2)) == 0


def test_an_open_sev1_without_a_commander_is_nudged_once(cast, committed):
    incident = declare(cast, severity=Severity.SEV1, actor=None)  # an alert: nobody commands
    now = timezone.now()
    assert reminders.send_due(now) == 1
    assert reminders.send_due(now) == 0
    assert incident.events.filter(kind="reminder", data__reminder="no_commander").count() == 1
    lifecycle.assign_role(incident, cast.admin, IncidentRole.COMMANDER, cast.admin)
    assert reminders.send_due(now) == 0


def test_two_beat_ticks_at_once_send_each_reminder_once(cast, committed):
    incident = declare(cast, severity=Severity.SEV1)
    when = timezone.now() + timedelta(minutes=21)
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def tick() -> None:
        try:
            barrier.wait()
            counts.append(reminders.send_due(when))
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == [0, 1]
    assert incident.events.filter(kind="reminder").count() == 1


def test_a_resolved_sev1s_postmortem_is_reminded_of_once_while_it_is_unpublished(
    cast, committed, settings
):
    incident = declare(cast, severity=Severity.SEV1)
    lifecycle.resolve(incident, cast.responder)  # the postmortems app opens a draft
    due = timezone.now() + timedelta(hours=settings.PAGING_POSTMORTEM_REMINDER_HOURS + 1)
    assert reminders.send_due(due - timedelta(hours=2)) == 0  # not due yet
    assert reminders.send_due(due) == 1
    assert reminders.send_due(due) == 0
    event = incident.events.get(kind="reminder", data__reminder="postmortem")
    assert event.body.endswith("its postmortem is due.")


def test_a_published_postmortem_is_not_reminded_of(cast, committed, settings):
    incident = declare(cast, severity=Severity.SEV2)
    lifecycle.resolve(incident, cast.responder)
    postmortem = Postmortem.objects.get(incident=incident)
    workflow.request_review(postmortem, cast.responder, [cast.admin])
    workflow.approve(postmortem, cast.admin, findings_acknowledged=True)
    workflow.publish(postmortem, cast.responder, allow_empty=True)
    due = timezone.now() + timedelta(hours=settings.PAGING_POSTMORTEM_REMINDER_HOURS + 1)
    reminders.send_due(due)
    assert not incident.events.filter(kind="reminder", data__reminder="postmortem").exists()
