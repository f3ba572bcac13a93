"""An acknowledgement whose hook never ran (the process died between its commit and
paging's hook) still stops paging: the auditor on beat finds it. The rolled-back `db`
fixture is that state: after-commit hooks never run there."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from incidents import lifecycle
from incidents.models import Service
from incidents.paging import escalate, tasks
from incidents.paging.models import Escalation
from tests.helpers import declare

from .helpers import make_policy


def test_the_auditor_stops_paging_that_an_acknowledgement_should_have_stopped(cast, db, settings):
    settings.PAGING_AUDIT_GRACE_SECONDS = 0
    service = Service.objects.create(name="checkout", team=cast.team)
    policy = make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=service)
    incident = declare(cast, services=[service])
    running = escalate.start(incident, timezone.now() - timedelta(seconds=5), policy=policy)
    lifecycle.acknowledge(incident, cast.admin)  # its hook never runs here
    assert Escalation.objects.get(pk=running.pk).status == "active"
    tasks.audit()
    assert Escalation.objects.get(pk=running.pk).status == "acknowledged"


def test_the_auditor_leaves_paging_started_after_the_acknowledgement(cast, db, settings):
    settings.PAGING_AUDIT_GRACE_SECONDS = 0
    service = Service.objects.create(name="checkout", team=cast.team)
    policy = make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=service)
    incident = declare(cast, actor=None, services=[service])
    lifecycle.acknowledge(incident, cast.admin)
    later = escalate.start(incident, timezone.now() + timedelta(seconds=1), policy=policy)
    tasks.audit()
    assert Escalation.objects.get(pk=later.pk).status == "active"
