"""The engine: plan changes nothing, apply does what the plan said, twice is once."""

from __future__ import annotations

import pytest

from accounts.models import Membership, Team
from incidents.alerts.models import Integration, MaintenanceWindow
from incidents.chat.models import ChatChannel
from incidents.importing import engine
from incidents.importing.models import SourceLink
from incidents.oncall import services as oncall
from incidents.oncall.models import Schedule
from incidents.paging.models import EscalationPolicy, ServicePaging
from tests.helpers import make_user

from .core_documents import NOW, another_apply_running, document, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return [make_user("ana@example.com"), make_user("ben@example.com")]


def test_a_plan_changes_nothing_and_says_what_an_apply_would_do(people):
    before = snapshot()
    report = engine.plan(document(), now=NOW)
    assert snapshot() == before
    assert "team Payments (payments)" in report.created
    assert "schedule Primary (payments)" in report.created
    assert "escalation policy Default (payments)" in report.created
    assert "alertmanager integration prod of service checkout" in report.created
    assert report.integrations == []  # no key exists until the apply makes one
    assert "Would create" in report.text()


def test_apply_does_what_the_plan_said(people):
    planned = engine.plan(document(), now=NOW)
    applied = engine.apply(document(), now=NOW)
    assert (applied.created, applied.changed, applied.skipped) == (
        planned.created,
        planned.changed,
        planned.skipped,
    )
    team = Team.objects.get(slug="payments")
    schedule = Schedule.objects.get(team=team, name="Primary")
    assert [layer.name for layer in schedule.layers.all()] == ["Weekly", "Nights"]
    assert schedule.overrides.count() == 1
    policy = EscalationPolicy.objects.get(team=team)
    assert policy.repeat == 2
    assert [s.targets for s in policy.steps.order_by("position")] == [
        [{"schedule": schedule.pk}],
        [{"user": people[0].pk}, {"team": team.pk}],
    ]
    assert ServicePaging.objects.get(service__name="checkout").policy == policy
    assert MaintenanceWindow.objects.filter(service__name="checkout").count() == 1
    assert set(Membership.objects.filter(team=team).values_list("user__email", "role")) == {
        ("ana@example.com", "admin"),
        ("ben@example.com", "responder"),
    }


def test_applying_twice_changes_nothing_the_second_time(people):
    engine.apply(document(), now=NOW)
    after_first = snapshot()
    second = engine.apply(document(), now=NOW)
    assert snapshot() == after_first
    assert second.created == [] and second.changed == []
    assert "schedule Primary (payments)" in second.unchanged
    assert second.integrations == []
    assert "Nothing changed." in second.text()


def test_new_integrations_are_reported_once_with_a_working_key(people):
    report = engine.apply(document(), now=NOW)
    made = {(i["kind"], i["name"]): i for i in report.integrations}
    assert set(made) == {("alertmanager", "prod"), ("pagerduty", "events")}
    prod = made[("alertmanager", "prod")]
    assert len(prod["key"]) == 32 and prod["url"].endswith(f"/hooks/alertmanager/{prod['key']}/")
    assert Integration.by_key(prod["key"], "alertmanager").name == "prod"
    assert prod["key"] in report.text()


def test_a_renamed_object_at_the_source_is_updated_not_duplicated(people):
    engine.apply(document(), now=NOW)
    renamed = document()
    renamed["teams"][0]["schedules"][0]["name"] = "Primary on call"
    renamed["teams"][0]["escalation_policies"][0]["steps"][0]["targets"] = [
        {"schedule": "Primary on call"}
    ]
    report = engine.apply(renamed, now=NOW)
    assert "schedule Primary on call (payments)" in report.changed
    assert list(Schedule.objects.values_list("name", flat=True)) == ["Primary on call"]
    assert SourceLink.objects.filter(source="test:S1").count() == 1


def test_people_without_an_account_are_listed_and_left_out_where_they_are_named(people):
    report = engine.apply(document(), now=NOW)
    assert any(line.startswith("person cy@example.com: no Keel account") for line in report.skipped)
    assert (
        "cy@example.com in schedule Primary (payments) layer 1: no Keel account with that email"
        in (report.skipped)
    )
    weekly = Schedule.objects.get(name="Primary").layers.get(name="Weekly")
    assert [p.user.email for p in weekly.participants.all()] == [
        "ana@example.com",
        "ben@example.com",
    ]


def test_create_users_makes_inactive_people_who_take_their_turns(people):
    report = engine.apply(document(), now=NOW, create_users=True)
    assert "person cy@example.com (inactive until someone activates them)" in report.created
    schedule = Schedule.objects.get(name="Primary")
    weekly = schedule.layers.get(name="Weekly")
    cy = weekly.participants.get(position=2).user
    assert (cy.email, cy.is_active, cy.display_name, cy.time_zone) == (
        "cy@example.com", False, "Cy Newcomer", "America/New_York",
    )  # fmt: skip
    # Weekly turns from Monday 1 March 09:00 Berlin: Ana, Ben, then Cy from 15 March.
    at = NOW.replace(day=17, hour=12)
    assert [u.email for u in oncall.on_call(schedule.pk, at)] == ["cy@example.com"]


def test_a_refused_object_is_skipped_with_the_apis_reason_and_the_rest_applied(people):
    broken = document()
    broken["teams"][0]["schedules"][0]["time_zone"] = "Mars/Olympus"
    report = engine.apply(broken, now=NOW)
    refused = [line for line in report.skipped if line.startswith("schedule Primary (payments)")]
    assert len(refused) == 1 and "time_zone" in refused[0]
    assert not Schedule.objects.exists()
    # The policy's first step paged the missing schedule: it goes, and the report says so.
    assert EscalationPolicy.objects.get(name="Default").steps.count() == 1
    assert "escalation policy Default (payments) step 1: none of its targets is in Keel" in (
        report.skipped
    )
    assert Integration.objects.filter(service__name="checkout").count() == 2


def test_a_new_chat_channel_without_its_secret_url_is_skipped_with_the_reason(people):
    report = engine.apply(document(), now=NOW)
    assert ChatChannel.objects.get(name="#payments-incidents").events == ["declared", "resolved"]
    assert not ChatChannel.objects.filter(name="#payments-quiet").exists()
    (line,) = [s for s in report.skipped if s.startswith("chat channel #payments-quiet")]
    assert "webhook URL is a secret" in line


def test_a_document_with_mistakes_is_refused_whole_naming_each_path(people):
    broken = document()
    broken["teams"][0]["schedules"][0]["layers"][0]["shift_unit"] = "fortnights"
    broken["teams"][0]["services"][0]["integrations"][0]["kind"] = "nagios"
    broken["teams"][0]["colour"] = "red"
    before = snapshot()
    with pytest.raises(engine.DocumentError) as refused:
        engine.apply(broken, now=NOW)
    assert refused.value.problems == [
        "teams[0].schedules[0].layers[0].shift_unit: must be hours, days or weeks",
        "teams[0].services[0].integrations[0].kind: must be alertmanager, grafana, pagerduty "
        "or generic",
        "teams[0].colour: unknown field (known: name, slug, description, source, members, "
        "reminder_intervals, schedules, escalation_policies, services, chat_channels)",
    ]
    assert snapshot() == before


def test_overrides_the_source_dropped_are_removed_and_new_ones_added(people):
    engine.apply(document(), now=NOW)
    moved = document()
    moved["teams"][0]["schedules"][0]["overrides"] = [
        {"user": "ana@example.com", "start": "2027-03-11T12:00:00Z", "end": "2027-03-11T18:00:00Z"}
    ]
    report = engine.apply(moved, now=NOW)
    assert "schedule Primary (payments)" in report.changed
    schedule = Schedule.objects.get(name="Primary")
    assert [(o.user.email, o.start.day) for o in schedule.overrides.all()] == [
        ("ana@example.com", 11)
    ]


def test_an_override_keel_refuses_is_skipped_alone(people):
    odd = document()
    odd["teams"][0]["schedules"][0]["overrides"].append(
        {"user": "ana@example.com", "start": "2027-03-12T18:00:00Z", "end": "2027-03-12T12:00:00Z"}
    )
    report = engine.apply(odd, now=NOW)
    assert "schedule Primary (payments)" in report.created
    assert (
        "schedule Primary (payments) override from 2027-03-12T18:00:00Z: end: The override ends "
        "before it starts." in report.skipped
    )
    assert Schedule.objects.get(name="Primary").overrides.count() == 1


def test_an_apply_while_another_runs_is_refused_and_changes_nothing(people):
    before = snapshot()
    with another_apply_running(), pytest.raises(engine.ImportBusy, match="Run this one again"):
        engine.apply(document(), now=NOW)
    assert snapshot() == before
    assert "team Payments (payments)" in engine.apply(document(), now=NOW).created  # after it


def test_an_address_that_is_not_an_email_is_not_made_a_person(people):
    odd = document()
    odd["people"].append({"email": "desk@", "name": "The desk"})
    odd["teams"][0]["members"].append({"email": "desk@", "role": "viewer"})
    report = engine.apply(odd, now=NOW, create_users=True)
    assert any(line.startswith("person desk@ (inactive") and "valid email" in line
               for line in report.skipped)  # fmt: skip
    assert "member desk@ of payments (viewer): no Keel account with that email" in report.skipped


def test_what_the_document_changes_is_reported_as_changed_and_nothing_else(people):
    engine.apply(document(), now=NOW)
    edited = document()
    team = edited["teams"][0]
    team["services"][0]["description"] = "Cart, checkout and receipts"
    team["services"][0]["integrations"][0]["auto_resolve"] = True
    team["chat_channels"][0]["events"] = ["declared"]
    team["chat_channels"][0].pop("webhook_url")  # the URL Keel has is kept
    team["reminder_intervals"]["sev3"] = 60
    team["escalation_policies"][0]["repeat"] = 1
    team["members"][1]["role"] = "admin"
    report = engine.apply(edited, now=NOW)
    assert sorted(report.changed) == [
        "alertmanager integration prod of service checkout",
        "chat channel #payments-incidents (payments)",
        "escalation policy Default (payments)",
        "member ben@example.com of payments (admin)",
        "reminder intervals of payments",
        "service checkout",
    ]
    assert report.created == []
    channel = ChatChannel.objects.get(name="#payments-incidents")
    assert channel.events == ["declared"] and channel.webhook_url.endswith("/secret")
    assert engine.apply(edited, now=NOW).changed == []
