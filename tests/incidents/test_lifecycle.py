"""What lifecycle does beyond status moves: declaring, roles, notes, timestamps, hooks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from incidents import lifecycle
from incidents.models import EventKind, Incident, IncidentRole, RoleAssignment, Status

from ..helpers import declare, incident_in, make_user


def kinds(incident: Incident) -> list[str]:
    return list(incident.events.order_by("seq").values_list("kind", flat=True))


def test_declaring_gives_refs_in_order_that_are_never_reused(cast):
    first = declare(cast)
    second = declare(cast)
    assert (first.ref, second.ref) == ("INC-1", "INC-2")
    Incident.objects.filter(pk=second.pk).delete()  # even if a row were removed by hand
    assert declare(cast).ref == "INC-3"


def test_a_person_declaring_is_on_it_and_becomes_commander(cast, service):
    incident = declare(cast, services=[service], summary="Carts *empty*")
    assert incident.status == Status.INVESTIGATING
    assert incident.acknowledged_at is not None
    assert incident.commander == cast.responder
    assert kinds(incident) == [EventKind.DECLARED, EventKind.ROLE]
    declared = incident.events.get(seq=1)
    assert declared.author == cast.responder
    assert declared.body == "Carts *empty*"
    assert declared.data["services"] == ["checkout"]


def test_the_system_declares_a_triggered_incident_nobody_has_acknowledged(cast):
    incident = declare(cast, actor=None)
    assert incident.status == Status.TRIGGERED
    assert incident.acknowledged_at is None
    assert incident.roles.count() == 0
    assert incident.events.get().author is None


@pytest.mark.parametrize("who", ["viewer", "outsider"])
def test_only_responders_of_the_team_declare_its_incidents(cast, who):
    with pytest.raises(PermissionDenied):
        declare(cast, actor=getattr(cast, who))
    assert not Incident.objects.exists()


def test_declare_validates_its_input(cast):
    with pytest.raises(lifecycle.LifecycleError) as error:
        declare(cast, title="   ")
    assert error.value.field == "title"
    with pytest.raises(lifecycle.LifecycleError, match="SEV1, SEV2, SEV3, SEV4"):
        declare(cast, severity="SEV9")
    with pytest.raises(lifecycle.LifecycleError, match="future"):
        declare(cast, impact_started_at=timezone.now() + timedelta(hours=2))
    assert not Incident.objects.exists()


def test_seq_counts_from_one_without_gaps_across_every_kind_of_change(cast):
    incident = declare(cast)
    lifecycle.add_note(incident, cast.responder, "Looking at the dashboards")
    lifecycle.set_severity(incident, cast.responder, "SEV1")
    lifecycle.assign_role(incident, cast.responder, IncidentRole.SCRIBE, cast.admin)
    lifecycle.set_status(incident, cast.responder, Status.IDENTIFIED)
    lifecycle.update(incident, cast.responder, title="Checkout errors in eu-west")
    incident.refresh_from_db()
    assert list(incident.events.values_list("seq", flat=True)) == [1, 2, 3, 4, 5, 6, 7]
    assert incident.last_seq == 7


def test_severity_change_is_recorded_and_a_repeat_is_a_no_op(cast):
    incident = declare(cast)
    lifecycle.set_severity(incident, cast.responder, "SEV1")
    lifecycle.set_severity(incident, cast.responder, "SEV1")
    events = incident.events.filter(kind=EventKind.SEVERITY)
    assert [e.data for e in events] == [{"from": "SEV2", "to": "SEV1"}]


def test_single_holder_roles_are_handed_over_and_responders_accumulate(cast):
    incident = declare(cast)
    lifecycle.assign_role(incident, cast.admin, IncidentRole.COMMANDER, cast.admin)
    assert list(incident.roles.filter(role="commander").values_list("user", flat=True)) == [
        cast.admin.pk
    ]
    handover = incident.events.order_by("-seq").first()
    assert handover.data["replaced"] == cast.responder.email
    lifecycle.assign_role(incident, cast.admin, IncidentRole.RESPONDER, cast.responder)
    lifecycle.assign_role(incident, cast.admin, IncidentRole.RESPONDER, cast.viewer)
    assert incident.roles.filter(role="responder").count() == 2


def test_assigning_a_role_someone_already_holds_adds_nothing(cast):
    incident = declare(cast)
    before = incident.events.count()
    lifecycle.assign_role(incident, cast.responder, IncidentRole.COMMANDER, cast.responder)
    assert incident.events.count() == before


def test_unassigning_a_role_nobody_holds_is_refused(cast):
    incident = declare(cast)
    lifecycle.unassign_role(incident, cast.responder, IncidentRole.COMMANDER, cast.responder)
    assert not RoleAssignment.objects.filter(incident=incident).exists()
    with pytest.raises(lifecycle.Conflict, match="is not Incident commander"):
        lifecycle.unassign_role(incident, cast.responder, IncidentRole.COMMANDER, cast.responder)


def test_a_role_on_a_private_incident_lets_an_outsider_in(cast):
    incident = declare(cast, private=True)
    with pytest.raises(PermissionDenied):
        lifecycle.add_note(incident, cast.outsider, "Can I help?")
    lifecycle.assign_role(incident, cast.admin, IncidentRole.RESPONDER, cast.outsider)
    lifecycle.add_note(incident, cast.outsider, "Database team here, looking.")


def test_viewers_cannot_change_anything(cast):
    incident = declare(cast)
    for change in (
        lambda: lifecycle.add_note(incident, cast.viewer, "hi"),
        lambda: lifecycle.set_status(incident, cast.viewer, Status.RESOLVED),
        lambda: lifecycle.set_severity(incident, cast.viewer, "SEV1"),
    ):
        with pytest.raises(PermissionDenied):
            change()
    assert incident.events.count() == 2


def test_notes_can_be_back_dated_but_not_future_dated(cast):
    incident = declare(cast)
    earlier = timezone.now() - timedelta(minutes=30)
    note = lifecycle.add_note(incident, cast.responder, "Saw errors start", occurred_at=earlier)
    assert note.occurred_at == earlier
    assert note.created_at > earlier
    with pytest.raises(lifecycle.LifecycleError, match="future"):
        lifecycle.add_note(
            incident, cast.responder, "x", occurred_at=timezone.now() + timedelta(hours=1)
        )


def test_a_struck_note_stays_marked_and_the_strike_is_its_own_event(cast):
    incident = declare(cast)
    note = lifecycle.add_note(incident, cast.responder, "The cause is DNS")
    strike = lifecycle.strike_note(incident, cast.responder, note.seq, "It was not DNS")
    note.refresh_from_db()
    assert note.body == "The cause is DNS"
    assert note.struck_by == cast.responder
    assert (strike.kind, strike.data["seq"], strike.body) == ("strike", note.seq, "It was not DNS")
    with pytest.raises(lifecycle.Conflict, match="already struck"):
        lifecycle.strike_note(incident, cast.responder, note.seq)


def test_only_the_author_or_an_admin_strikes_a_note(cast):
    incident = declare(cast)
    colleague = make_user("colleague@example.com")
    cast.team.memberships.create(user=colleague, role="responder")
    note = lifecycle.add_note(incident, cast.responder, "Restarted the pods")
    with pytest.raises(PermissionDenied):
        lifecycle.strike_note(incident, colleague, note.seq)
    lifecycle.strike_note(incident, cast.admin, note.seq)


def test_only_notes_can_be_struck(cast):
    incident = declare(cast)
    with pytest.raises(lifecycle.LifecycleError, match="no note #1"):
        lifecycle.strike_note(incident, cast.responder, 1)


def test_timestamps_follow_the_status(cast):
    incident = declare(cast)
    incident = lifecycle.set_status(incident, cast.responder, Status.MONITORING)
    assert incident.mitigated_at is not None
    incident = lifecycle.set_status(incident, cast.responder, Status.INVESTIGATING)
    assert incident.mitigated_at is None, "back from monitoring: not mitigated any more"
    incident = lifecycle.resolve(incident, cast.responder)
    assert incident.resolved_at is not None and incident.mitigated_at is not None
    assert incident.time_to_resolve >= incident.time_to_acknowledge
    incident = lifecycle.reopen(incident, cast.responder)
    assert incident.resolved_at is None and incident.mitigated_at is None


def test_merging_closes_the_duplicate_and_both_timelines_say_so(cast):
    keeper = declare(cast, title="Checkout down")
    duplicate = declare(cast, title="Cart errors")
    lifecycle.merge(duplicate, cast.responder, keeper)
    duplicate.refresh_from_db()
    assert duplicate.status == Status.MERGED and duplicate.merged_into == keeper
    assert keeper.events.filter(kind="merge", data__from=duplicate.ref).exists()
    assert duplicate.events.filter(kind="merge", data__into=keeper.ref).exists()
    with pytest.raises(lifecycle.LifecycleError, match="itself"):
        lifecycle.merge(keeper, cast.responder, keeper)
    third = declare(cast)
    with pytest.raises(lifecycle.Conflict, match="merge into that one"):
        lifecycle.merge(third, cast.responder, duplicate)


def test_editing_records_what_changed(cast, service):
    incident = declare(cast)
    lifecycle.update(
        incident, cast.responder, title="New title", services=[service], labels={"region": "eu"}
    )
    edit = incident.events.order_by("-seq").first()
    assert edit.kind == "edit"
    assert edit.data["changes"]["title"] == {"from": "Checkout errors", "to": "New title"}
    assert edit.data["changes"]["services"] == {"from": [], "to": ["checkout"]}
    before = incident.events.count()
    lifecycle.update(incident, cast.responder, title="New title")
    assert incident.events.count() == before, "an edit that changes nothing adds nothing"


def test_only_an_admin_changes_who_can_see_an_incident(cast):
    incident = declare(cast)
    with pytest.raises(PermissionDenied):
        lifecycle.update(incident, cast.responder, private=True)
    assert lifecycle.update(incident, cast.admin, private=True).private


def test_labels_must_be_text(cast):
    incident = declare(cast)
    with pytest.raises(lifecycle.LifecycleError, match="labels"):
        lifecycle.update(incident, cast.responder, labels={"region": 3})


@pytest.mark.django_db(transaction=True)
def test_hooks_run_after_commit_with_the_new_events(cast):
    seen: list[lifecycle.Change] = []
    lifecycle.register_hook(seen.append)
    try:
        incident = declare(cast)
        note = lifecycle.add_note(incident, cast.responder, "Hello")
    finally:
        lifecycle.unregister_hook(seen.append)
    assert [c.kinds for c in seen] == [("declared", "role"), ("note",)]
    assert seen[-1].event_ids == (note.pk,)
    assert seen[-1].ref == incident.ref


@pytest.mark.django_db(transaction=True)
def test_a_failing_hook_neither_undoes_the_change_nor_stops_other_hooks(cast):
    seen: list[lifecycle.Change] = []

    def broken(change):
        raise RuntimeError("chat is down")

    lifecycle.register_hook(broken)
    lifecycle.register_hook(seen.append)
    try:
        incident = declare(cast)
    finally:
        lifecycle.unregister_hook(broken)
        lifecycle.unregister_hook(seen.append)
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert len(seen) == 1


def test_a_refused_change_leaves_no_trace(cast):
    incident = incident_in(cast, Status.RESOLVED)
    before = (incident.events.count(), incident.last_seq)
    with pytest.raises(lifecycle.Conflict):
        lifecycle.set_status(incident, cast.responder, Status.MONITORING)
    incident.refresh_from_db()
    assert (incident.events.count(), incident.last_seq) == before


def test_capabilities_record_events_without_changing_state(cast):
    incident = declare(cast)
    before = Incident.objects.get(pk=incident.pk)
    event = lifecycle.record(incident, None, "alert", "HighErrorRate fired", {"count": 1})
    after = Incident.objects.get(pk=incident.pk)
    assert (event.seq, event.kind, event.author, event.data) == (
        before.last_seq + 1, "alert", None, {"count": 1}
    )  # fmt: skip
    assert after.status == before.status and after.last_seq == event.seq


def test_record_refuses_kinds_that_have_their_own_function(cast):
    incident = declare(cast)
    with pytest.raises(lifecycle.LifecycleError, match="not an event capabilities record"):
        lifecycle.record(incident, cast.responder, "status", "", {"to": "resolved"})
    with pytest.raises(PermissionDenied):
        lifecycle.record(incident, cast.viewer, "page", "Paged someone")
