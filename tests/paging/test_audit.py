"""The auditor starts paging whose hook never ran: the incident's change committed, but the
process that made it died before its after-commit hook wrote the escalation.

These tests use the rolled-back `db` fixture on purpose: there, after-commit hooks never
run, which is exactly the state such a crash leaves behind. Celery runs eagerly
(in-process) so that the auditor's queued work is done before the test looks.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from incidents import lifecycle
from incidents.models import Service, Severity
from incidents.paging import tasks
from incidents.paging.models import Escalation, Notification
from tests.helpers import declare

from .helpers import make_policy, webhook_for


@pytest.fixture(autouse=True)
def no_grace(settings):
    settings.PAGING_AUDIT_GRACE_SECONDS = 0  # the auditor looks at what was just declared


@pytest.fixture
def checkout(cast, receiver):
    service = Service.objects.create(name="checkout", team=cast.team)
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=service)
    webhook_for(cast.responder, f"{receiver.url}/responder")
    return service


def test_an_alert_whose_hook_never_ran_is_paged_once_by_the_auditor(
    cast, db, eager, receiver, checkout
):
    incident = declare(cast, actor=None, services=[checkout])  # an alert
    assert not Escalation.objects.filter(incident=incident).exists()  # the hook never ran
    tasks.audit()
    assert len(receiver.requests) == 1
    assert Notification.objects.get().status == "delivered"
    tasks.audit()  # the next tick: already paging, nothing more
    assert len(receiver.requests) == 1
    assert Escalation.objects.filter(incident=incident).count() == 1


def test_a_sev1_declared_in_the_browser_is_paged_when_its_hook_never_ran(
    cast, db, eager, receiver, checkout
):
    declare(cast, severity=Severity.SEV1, services=[checkout])  # page: the default
    tasks.audit()
    assert len(receiver.requests) == 1


def test_the_auditor_leaves_alone_what_should_not_page(cast, db, eager, receiver, checkout):
    declare(cast, severity=Severity.SEV3, services=[checkout], title="Minor")  # no page asked
    declare(
        cast, severity=Severity.SEV1, services=[checkout], data={"page": False}, title="Asked not"
    )
    acked = declare(cast, actor=None, services=[checkout], title="Acknowledged")
    lifecycle.acknowledge(acked, cast.responder)
    resolved = declare(cast, actor=None, services=[checkout], title="Resolved")
    lifecycle.resolve(resolved, cast.responder)
    declare(cast, actor=None, title="No service, no policy")
    tasks.audit()
    assert receiver.requests == []
    assert not Escalation.objects.exists()


def test_the_auditor_does_not_page_for_an_incident_older_than_its_lookback(
    cast, db, eager, receiver, checkout, settings
):
    declare(cast, actor=None, services=[checkout])
    later = timezone.now() + timedelta(minutes=settings.PAGING_AUDIT_LOOKBACK_MINUTES + 1)
    with time_machine.travel(later, tick=False):
        tasks.audit()
    assert receiver.requests == []
