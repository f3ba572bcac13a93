"""An escalation in-process, with the clock passed in: who is paged at each step, once,
until someone acknowledges. (test_worker.py runs the same with a real Celery worker.)"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from incidents import lifecycle
from incidents.models import Service, Severity, Status
from incidents.paging import delivery, escalate
from incidents.paging.models import Escalation, Notification, NotificationRule
from tests.helpers import declare
from tests.oncall.helpers import make_schedule
from tests.receivers import Answer

from .helpers import make_policy, pages, signed_correctly, webhook_for

T0 = datetime(2026, 6, 1, 9, 50, tzinfo=UTC)
MIN = timedelta(minutes=1)


@pytest.fixture
def checkout(db):
    return Service.objects.create(name="checkout")


def run_due(escalation: Escalation, now: datetime) -> list[int]:
    """What the tasks do at `now`: run the step if due, send what is due."""
    escalation.refresh_from_db()
    run = escalate.run_step(escalation.pk, str(escalation.token), now)
    for pk in Notification.objects.filter(escalation=escalation).values_list("pk", flat=True):
        delivery.send(pk, now)
    return run.notifications


def triggered(cast, checkout, committed):
    incident = declare(cast, actor=None, services=[checkout])
    return incident, Escalation.objects.get(incident=incident)


def test_step_one_pages_the_person_on_call_and_step_two_the_next(
    cast, checkout, receiver, committed
):
    schedule = make_schedule(cast.team, [cast.responder, cast.admin], shift_unit="hours")
    make_policy(cast.team, (15, [{"schedule": schedule.pk}]), (15, [{"user": cast.admin.pk}]),
                service=checkout)  # fmt: skip
    responder_hook = webhook_for(cast.responder, f"{receiver.url}/responder")
    webhook_for(cast.admin, f"{receiver.url}/admin")
    incident, escalation = triggered(cast, checkout, committed)
    Escalation.objects.filter(pk=escalation.pk).update(next_due_at=T0, started_at=T0)

    run_due(escalation, T0)
    assert [r.path for r in receiver.requests] == ["/responder"]  # on call 09:00-10:00
    page = pages(receiver.requests)[0]
    assert page["type"] == "page" and page["step"] == 1
    assert page["incident"]["ref"] == incident.ref
    assert page["incident"]["severity"] == "SEV2" and page["incident"]["status"] == "triggered"
    assert page["ack_url"].startswith("http") and "/page/ack/" in page["ack_url"]
    assert receiver.requests[0].headers["X-Keel-Delivery"] == page["delivery_id"]
    assert signed_correctly(receiver.requests[0], responder_hook.secret)

    run_due(escalation, T0 + 14 * MIN)  # not yet: nothing more
    assert len(receiver.requests) == 1
    run_due(escalation, T0 + 15 * MIN)
    assert [r.path for r in receiver.requests] == ["/responder", "/admin"]
    assert pages(receiver.requests)[1]["step"] == 2
    bodies = [e.body for e in incident.events.filter(kind="page").order_by("seq")]
    assert bodies == ["Paged Responder by webhook (step 1).", "Paged Admin by webhook (step 2)."]


def test_a_schedule_handoff_between_steps_pages_the_new_person(cast, checkout, receiver, committed):
    schedule = make_schedule(cast.team, [cast.responder, cast.admin], shift_unit="hours",
                             handoff_time=time(9))  # fmt: skip
    make_policy(cast.team, (15, [{"schedule": schedule.pk}]), (15, [{"schedule": schedule.pk}]),
                service=checkout)  # fmt: skip
    webhook_for(cast.responder, f"{receiver.url}/responder")
    webhook_for(cast.admin, f"{receiver.url}/admin")
    _incident, escalation = triggered(cast, checkout, committed)
    Escalation.objects.filter(pk=escalation.pk).update(next_due_at=T0, started_at=T0)
    run_due(escalation, T0)  # 09:50: the responder's hour
    run_due(escalation, T0 + 15 * MIN)  # 10:05: the admin's hour
    assert [r.path for r in receiver.requests] == ["/responder", "/admin"]


def test_a_step_run_twice_pages_once(cast, checkout, receiver, committed):
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), (5, [{"user": cast.admin.pk}]),
                service=checkout)  # fmt: skip
    webhook_for(cast.responder, f"{receiver.url}/responder")
    _incident, escalation = triggered(cast, checkout, committed)
    Escalation.objects.filter(pk=escalation.pk).update(next_due_at=T0)
    run_due(escalation, T0)
    # The same task delivered again, and the auditor's copy: nothing more goes out.
    assert escalate.run_step(escalation.pk, str(escalation.token), T0).notifications == []
    run_due(escalation, T0 + timedelta(seconds=30))
    assert len(receiver.requests) == 1
    # A task carrying an older escalation's token does nothing either.
    other = "00000000-0000-0000-0000-000000000000"
    assert escalate.run_step(escalation.pk, other, T0 + 10 * MIN).notifications == []


def test_acknowledging_stops_the_escalation(cast, checkout, receiver, committed):
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), (5, [{"user": cast.admin.pk}]),
                service=checkout)  # fmt: skip
    webhook_for(cast.responder, f"{receiver.url}/responder")
    webhook_for(cast.admin, f"{receiver.url}/admin")
    incident, escalation = triggered(cast, checkout, committed)
    Escalation.objects.filter(pk=escalation.pk).update(next_due_at=T0)
    run_due(escalation, T0)
    lifecycle.acknowledge(incident, cast.responder)
    run_due(escalation, T0 + 10 * MIN)
    assert [r.path for r in receiver.requests] == ["/responder"]
    escalation.refresh_from_db()
    assert escalation.status == "acknowledged"


@pytest.mark.parametrize("close", [lifecycle.resolve, lifecycle.decline])
def test_resolving_or_declining_stops_it_too(cast, checkout, receiver, committed, close):
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    webhook_for(cast.responder, f"{receiver.url}/responder")
    incident, escalation = triggered(cast, checkout, committed)
    close(incident, cast.responder)
    run_due(escalation, timezone_now())
    assert receiver.requests == []
    escalation.refresh_from_db()
    assert escalation.status == "stopped"


def timezone_now():
    return datetime.now(UTC)


def test_a_reopened_incident_is_paged_again(cast, checkout, receiver, committed):
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    incident, _escalation = triggered(cast, checkout, committed)
    lifecycle.resolve(incident, cast.responder)
    lifecycle.reopen(incident, cast.responder)
    assert Escalation.objects.filter(incident=incident, status="active").count() == 1
    assert Escalation.objects.filter(incident=incident).count() == 2


def test_declaring_pages_by_default_for_sev1_and_sev2_only(cast, checkout, committed):
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    sev1 = declare(cast, severity=Severity.SEV1, services=[checkout])
    sev3 = declare(cast, severity=Severity.SEV3, services=[checkout])
    asked = declare(cast, severity=Severity.SEV3, services=[checkout], data={"page": True})
    not_asked = declare(cast, severity=Severity.SEV1, services=[checkout], data={"page": False})
    paged = set(Escalation.objects.values_list("incident_id", flat=True))
    assert paged == {sev1.pk, asked.pk}
    assert sev3.pk not in paged and not_asked.pk not in paged
    assert sev1.status == Status.INVESTIGATING


def test_a_permanent_failure_marks_the_method_and_the_timeline_says_so(
    cast, checkout, receiver, committed
):
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    method = webhook_for(cast.responder, f"{receiver.url}/gone")
    receiver.answer(Answer(status=404))
    incident, escalation = triggered(cast, checkout, committed)
    Escalation.objects.filter(pk=escalation.pk).update(next_due_at=T0)
    run_due(escalation, T0)
    method.refresh_from_db()
    assert method.failed_at is not None and "404" in method.failure
    failed, nobody = [e.body for e in incident.events.filter(kind="page").order_by("seq")][-2:]
    assert failed.startswith("Page to Responder by webhook failed (step 1)")
    # Every page of the step failed: the step reached nobody, and the team's admins are paged.
    assert nobody.startswith("Step 1 reached nobody: every page to its people failed.")


def test_a_temporary_failure_is_retried_with_the_same_delivery_id(
    cast, checkout, receiver, committed
):
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    webhook_for(cast.responder, f"{receiver.url}/busy")
    receiver.answer(Answer(status=429, headers={"Retry-After": "30"}))
    _incident, escalation = triggered(cast, checkout, committed)
    Escalation.objects.filter(pk=escalation.pk).update(next_due_at=T0)
    run_due(escalation, T0)
    notification = Notification.objects.get()
    assert notification.status == "pending"
    assert notification.due_at == T0 + timedelta(seconds=30)  # as the receiver asked
    run_due(escalation, T0 + timedelta(seconds=29))
    assert len(receiver.requests) == 1
    run_due(escalation, T0 + timedelta(seconds=30))
    ids = [r.headers["X-Keel-Delivery"] for r in receiver.requests]
    assert len(ids) == 2 and ids[0] == ids[1]
    notification.refresh_from_db()
    assert notification.status == "delivered"


def test_a_rule_delays_a_method_until_its_minutes_pass(cast, checkout, receiver, committed):
    make_policy(cast.team, (30, [{"user": cast.responder.pk}]), service=checkout)
    first = webhook_for(cast.responder, f"{receiver.url}/first")
    later = webhook_for(cast.responder, f"{receiver.url}/later")
    NotificationRule.objects.create(contact_method=first, delay_minutes=0)
    NotificationRule.objects.create(contact_method=later, delay_minutes=5)
    _incident, escalation = triggered(cast, checkout, committed)
    Escalation.objects.filter(pk=escalation.pk).update(next_due_at=T0)
    run_due(escalation, T0)
    assert [r.path for r in receiver.requests] == ["/first"]
    run_due(escalation, T0 + 5 * MIN)
    assert [r.path for r in receiver.requests] == ["/first", "/later"]


def test_identical_pending_pages_are_bundled_into_one_message(cast, checkout, receiver, committed):
    # The person is named twice over two escalations (a policy and a page by hand).
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    webhook_for(cast.responder, f"{receiver.url}/responder")
    incident, escalation = triggered(cast, checkout, committed)
    by_hand = escalate.start(incident, T0, targets=[{"user": cast.responder.pk}])
    Escalation.objects.filter(pk=escalation.pk).update(next_due_at=T0)
    escalate.run_step(escalation.pk, str(escalation.token), T0)
    escalate.run_step(by_hand.pk, str(by_hand.token), T0)
    for pk in Notification.objects.values_list("pk", flat=True):
        delivery.send(pk, T0)
    assert len(receiver.requests) == 1
    assert set(Notification.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_method_with_two_rules_pages_at_each_until_acknowledged(
    cast, checkout, receiver, committed
):
    """ "At once, and again after 10 minutes": two messages on one method (the second rule
    used to be ignored: a method was only ever used at its earliest rule)."""
    make_policy(cast.team, (30, [{"user": cast.responder.pk}]), service=checkout)
    hook = webhook_for(cast.responder, f"{receiver.url}/responder")
    for delay in (0, 10, 20):
        NotificationRule.objects.create(contact_method=hook, delay_minutes=delay)
    incident, escalation = triggered(cast, checkout, committed)
    Escalation.objects.filter(pk=escalation.pk).update(next_due_at=T0)
    run_due(escalation, T0)
    run_due(escalation, T0 + 9 * MIN)
    assert len(receiver.requests) == 1
    run_due(escalation, T0 + 10 * MIN)
    assert len(receiver.requests) == 2
    assert len({r.headers["X-Keel-Delivery"] for r in receiver.requests}) == 2
    lifecycle.acknowledge(incident, cast.responder)
    run_due(escalation, T0 + 20 * MIN)
    assert len(receiver.requests) == 2  # the third was cancelled by the acknowledgement
    rows = Notification.objects.order_by("after_minutes")
    assert [(n.after_minutes, n.status) for n in rows] == [
        (0, "delivered"), (10, "delivered"), (20, "cancelled"),
    ]  # fmt: skip


def test_a_policy_edited_to_fewer_steps_mid_escalation_goes_on_from_its_start(
    cast, checkout, receiver, committed
):
    """The run was due at step 3 of a policy that now has one step: it starts the next loop
    (before, the step index ran off the end and the task failed on every try)."""
    policy = make_policy(
        cast.team, (5, [{"user": cast.responder.pk}]), (5, [{"user": cast.admin.pk}]),
        (5, [{"user": cast.admin.pk}]), repeat=1, service=checkout,
    )  # fmt: skip
    webhook_for(cast.responder, f"{receiver.url}/responder")
    _incident, escalation = triggered(cast, checkout, committed)
    Escalation.objects.filter(pk=escalation.pk).update(next_due_at=T0, step=2)
    policy.steps.exclude(position=0).delete()
    run_due(escalation, T0)
    assert [r.path for r in receiver.requests] == ["/responder"]
    escalation.refresh_from_db()
    assert escalation.status == "exhausted"  # the repeat was its last loop
    page = Notification.objects.get()
    assert (page.step, page.loop) == (1, 1)


def test_an_escalation_whose_policy_was_deleted_ends_and_says_why(cast, checkout, committed):
    policy = make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=checkout)
    _incident, escalation = triggered(cast, checkout, committed)
    policy.delete()
    Escalation.objects.filter(pk=escalation.pk).update(next_due_at=T0)
    run_due(escalation, T0)
    escalation.refresh_from_db()
    assert escalation.status == "exhausted" and escalation.next_due_at is None
    assert escalation.stopped_because == "Its escalation policy was deleted."
