"""Every status move, allowed and refused, as a person would attempt it."""

from __future__ import annotations

import pytest

from incidents import lifecycle
from incidents.models import EventKind, Status

from ..helpers import declare, incident_in

T, INV, IDE, MON, RES, DEC, MER = (
    "triggered", "investigating", "identified", "monitoring", "resolved", "declined", "merged",
)  # fmt: skip
STATUSES = [T, INV, IDE, MON, RES, DEC, MER]

# Written out by hand (not read from lifecycle) so the test can disagree with the code.
ALLOWED = {
    (T, INV), (T, IDE), (T, MON), (T, RES), (T, DEC),
    (INV, IDE), (INV, MON), (INV, RES), (INV, DEC),
    (IDE, INV), (IDE, MON), (IDE, RES), (IDE, DEC),
    (MON, INV), (MON, IDE), (MON, RES), (MON, DEC),
    (RES, INV),
    (DEC, INV),
}  # fmt: skip


@pytest.mark.parametrize("start", STATUSES)
@pytest.mark.parametrize("target", [s for s in STATUSES if s != MER])
def test_set_status_allows_exactly_the_documented_moves(cast, start, target):
    incident = incident_in(cast, start)
    events_before = incident.events.count()
    if (start, target) in ALLOWED:
        lifecycle.set_status(incident, cast.responder, target, "because")
        incident.refresh_from_db()
        assert incident.status == target
        last = incident.events.order_by("-seq").first()
        assert last.kind == EventKind.STATUS
        assert last.data == {"from": start, "to": target}
        assert last.body == "because"
    else:
        with pytest.raises(lifecycle.Conflict) as refused:
            lifecycle.set_status(incident, cast.responder, target)
        incident.refresh_from_db()
        assert incident.status == start
        assert incident.events.count() == events_before
        allowed = sorted(t for (f, t) in ALLOWED if f == start)
        if start != MER:
            allowed_plus_merge = sorted([*allowed, MER]) if start not in (RES, DEC) else allowed
            assert sorted(refused.value.allowed) == allowed_plus_merge
        else:
            assert refused.value.allowed == []
        # The message names the allowed moves so a person knows what to do instead.
        for move in refused.value.allowed:
            assert move in refused.value.message


def test_set_status_to_merged_points_to_merge(cast):
    incident = declare(cast)
    with pytest.raises(lifecycle.LifecycleError, match="merge it into the other incident"):
        lifecycle.set_status(incident, cast.responder, Status.MERGED)


@pytest.mark.parametrize("start", STATUSES)
def test_without_paging_only_a_triggered_incident_can_be_acknowledged(cast, start):
    incident = incident_in(cast, start)
    if start == T:
        incident = lifecycle.acknowledge(incident, cast.responder)
        assert incident.status == INV
        assert incident.acknowledged_at is not None
        # The ack, then the acknowledger becoming commander (there was none).
        kinds = incident.events.order_by("-seq").values_list("kind", flat=True)[:2]
        assert list(kinds) == [EventKind.ROLE, EventKind.ACK]
    else:
        with pytest.raises(lifecycle.Conflict, match="has nothing to acknowledge"):
            lifecycle.acknowledge(incident, cast.responder)


@pytest.mark.parametrize("start", STATUSES)
def test_only_resolved_or_declined_incidents_reopen(cast, start):
    incident = incident_in(cast, start)
    if start in (RES, DEC):
        incident = lifecycle.reopen(incident, cast.responder, "It came back")
        assert incident.status == INV
        assert incident.resolved_at is None
    else:
        with pytest.raises(lifecycle.Conflict, match="be reopened"):
            lifecycle.reopen(incident, cast.responder)


@pytest.mark.parametrize("start", STATUSES)
def test_only_open_incidents_merge(cast, start):
    incident = incident_in(cast, start)
    keeper = declare(cast, title="Keep me")
    if start in (T, INV, IDE, MON):
        merged = lifecycle.merge(incident, cast.responder, keeper)
        assert merged.status == MER
        assert merged.merged_into == keeper
    else:
        with pytest.raises(lifecycle.Conflict):
            lifecycle.merge(incident, cast.responder, keeper)


def test_resolve_and_decline_are_status_moves(cast):
    incident = declare(cast)
    assert lifecycle.resolve(incident, cast.responder).status == RES
    other = declare(cast)
    assert lifecycle.decline(other, cast.responder, "False alarm").status == DEC
