"""The Opsgenie importer against a fake Opsgenie (tests/importing/opsgenie_server.py) that
answers Opsgenie's published shapes and renders its own timeline: the account read, then
planned, applied and proved over four weeks across the 28 March 2027 change to summer time
in Europe/Berlin."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from incidents.importing.client import SourceError
from incidents.importing.run import client_for, run_import
from incidents.importing.sources.opsgenie import SOURCE
from incidents.importing.sources.opsgenie_mapping import Reading, layer, restrictions
from incidents.oncall.models import Schedule
from incidents.paging.models import EscalationPolicy
from tests.helpers import make_user

from .core_documents import snapshot
from .opsgenie_server import KEY, OpsgenieServer

NOW = datetime(2027, 3, 15, 10, 0, tzinfo=UTC)  # a Monday; the clocks go forward on the 28th
PEOPLE = ["ana", "ben", "cleo", "dev", "eli", "fay"]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


@pytest.fixture
def people(db, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the fake Opsgenie listens on 127.0.0.1
    return [make_user(f"{name}@example.com") for name in PEOPLE]


def read(server: OpsgenieServer, sleeps: list[float] | None = None):
    sleeps = [] if sleeps is None else sleeps
    return SOURCE.read(client_for(SOURCE, KEY, server.url, sleep=sleeps.append), now=NOW)


def team(document: dict, slug: str) -> dict:
    return next(t for t in document["teams"] if t["slug"] == slug)


def reasons(account) -> str:
    return "\n".join(f"{n['object']}: {n['reason']} {n['instead']}" for n in account.notes)


def test_the_account_becomes_keels_document(people):
    with OpsgenieServer() as opsgenie:
        account = read(opsgenie)
    document = account.document
    assert [p["email"] for p in document["people"]] == [f"{n}@example.com" for n in PEOPLE]
    assert document["people"][0] == {
        "email": "ana@example.com", "name": "Ana Alvarez", "time_zone": "Europe/Berlin"
    }  # fmt: skip
    assert [t["slug"] for t in document["teams"]] == ["payments", "platform", "data-eng"]
    payments = team(document, "payments")
    assert payments["source"] == "opsgenie:765e46d1-8ead-4226-bc68-25c001dff98d"
    assert payments["members"][:2] == [
        {"email": "ana@example.com", "role": "admin"},
        {"email": "ben@example.com", "role": "responder"},
    ]
    (schedule,) = payments["schedules"]
    assert schedule["time_zone"] == "Europe/Berlin"
    assert schedule["layers"] == [
        {"name": "Business hours", "participants": ["ana@example.com", "ben@example.com"],
         "shift_length": 1, "shift_unit": "weeks", "handoff_time": "09:00",
         "start_date": "2027-03-01",
         "restrictions": [{"days": WEEKDAYS, "start": "09:00", "end": "18:00"}]},
        {"name": "Off hours",
         "participants": ["cleo@example.com", "dev@example.com", "ben@example.com"],
         "shift_length": 1, "shift_unit": "days", "handoff_time": "18:00",
         "start_date": "2027-03-01",
         # Monday 18:00 to Tuesday 09:00 ... and Friday 18:00 to Monday 09:00, by day:
         "restrictions": [{"days": WEEKDAYS, "start": "00:00", "end": "09:00"},
                          {"days": ["sat", "sun"], "start": "00:00", "end": "24:00"},
                          {"days": WEEKDAYS, "start": "18:00", "end": "24:00"}]},
    ]  # fmt: skip
    # The override that ended before now is left out; the others keep their times.
    assert schedule["overrides"] == [
        {"user": "dev@example.com",
         "start": "2027-03-17T08:00:00Z", "end": "2027-03-17T17:00:00Z"},
        {"user": "cleo@example.com",
         "start": "2027-04-02T16:00:00Z", "end": "2027-04-03T16:00:00Z"},
    ]  # fmt: skip
    platform = team(document, "platform")
    assert platform["schedules"][0]["layers"][1]["restrictions"] == [
        {"days": [*WEEKDAYS, "sat", "sun"], "start": "20:00", "end": "08:00"}
    ]  # fmt: skip
    # Rules at 0, 5 and 15 minutes after the alert: Keel counts from the step before, and
    # the repeat waits 10 minutes after the last rule.
    (policy,) = payments["escalation_policies"]
    assert policy == {
        "name": "payments_escalation",
        "source": "opsgenie:f047b4d0-7dbe-417f-a01d-52f5bf144ecd",
        "repeat": 2,
        "steps": [
            {"delay_minutes": 5, "targets": [{"schedule": "payments_schedule"}]},
            {"delay_minutes": 10, "targets": [{"user": "ana@example.com"}]},
            {"delay_minutes": 10, "targets": [{"team": "payments"}]},
        ],
    }
    # Two rules at the same delay (one hour) are one step.
    assert [s["targets"] for s in platform["escalation_policies"][0]["steps"]] == [
        [{"schedule": "platform_schedule"}],
        [{"schedule": "platform_schedule"}, {"user": "eli@example.com"}],
    ]
    (checkout,) = payments["services"]
    assert checkout["escalation_policy"] == "payments_escalation"
    assert checkout["integrations"][0]["kind"] == "alertmanager"
    assert checkout["maintenance"] == [
        {"start": "2027-03-20T22:00:00Z", "end": "2027-03-21T02:00:00Z",
         "reason": "Checkout database upgrade"}
    ]  # fmt: skip
    (api,) = platform["services"]
    assert api["integrations"][0]["kind"] == "generic"
    assert api["escalation_policy"] == "platform_escalation"
    assert team(document, "data-eng")["members"][2] == {
        "email": "ben@example.com", "role": "responder"
    }  # fmt: skip
    assert account.unmatched_people == []
    assert document["notes"] == account.notes


def test_what_cannot_map_exactly_is_noted_with_what_keel_does_instead(people):
    with OpsgenieServer() as opsgenie:
        noted = reasons(read(opsgenie))
    for expected in (
        "custom team role 'Observer' has no match in Keel. Added as a responder.",
        "routes through that team's own rules. Keel pages every responder and admin",
        "notifies until the alert is closed. Keel stops escalating once the incident is "
        "acknowledged.",
        "notifies the next on-call of schedule platform_schedule. Keel pages who is on call now.",
        "closes the alert after the last repeat. Keel leaves the incident open.",
        "team Platform routing rules: Databases: Keel sends every alert of a service to one "
        "escalation policy.",
        "Keel has no receiver for Opsgenie's API integration.",
        "integration Default API: It belongs to no team",
        "It covers a policy Keel has no service for. That part is left out.",
    ):
        assert expected in noted
    assert (
        "ben@example.com in schedule platform_schedule (platform): Not a member of team "
        "Platform in Opsgenie; Keel's schedules and policies take team members only. Added to "
        "Platform as a responder." in noted
    )
    assert "both on call" not in noted  # the fixture's rotations never overlap


def test_a_weekly_window_over_the_weeks_end_is_cut_into_days():
    sunday_night = {"type": "weekday-and-time-of-day", "restrictions": [
        {"startDay": "sunday", "startHour": 22, "startMin": 0,
         "endDay": "monday", "endHour": 6, "endMin": 30}]}  # fmt: skip
    assert restrictions(sunday_night) == [
        {"days": ["mon"], "start": "00:00", "end": "06:30"},
        {"days": ["sun"], "start": "22:00", "end": "24:00"},
    ]
    # Monday 10:00 to Monday 09:00 is all week but one hour.
    almost_all = {"type": "weekday-and-time-of-day", "restrictions": [
        {"startDay": "monday", "startHour": 10, "startMin": 0,
         "endDay": "monday", "endHour": 9, "endMin": 0}]}  # fmt: skip
    assert restrictions(almost_all) == [
        {"days": ["mon"], "start": "00:00", "end": "09:00"},
        {"days": ["tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"},
        {"days": ["mon"], "start": "10:00", "end": "24:00"},
    ]
    whole_day = {
        "type": "time-of-day",
        "restriction": {"startHour": 8, "startMin": 0, "endHour": 8, "endMin": 0},
    }
    assert restrictions(whole_day) == [
        {"days": [*WEEKDAYS, "sat", "sun"], "start": "00:00", "end": "24:00"}
    ]


def test_turns_that_are_not_people_and_ended_rotations_are_noted():
    reading = Reading([{"id": "u1", "username": "Ana@Example.com"}])
    schedule = {"timezone": "America/New_York"}
    rotation = {
        "id": "r1", "name": "Mixed", "type": "hourly", "length": 12,
        "startDate": "2027-03-13T13:00:00Z",
        "participants": [{"type": "user", "id": "u1"}, {"type": "none"},
                         {"type": "team", "id": "t9", "name": "DBAs"}],
    }  # fmt: skip
    found = layer(rotation, schedule, "schedule S (t)", reading, NOW)
    assert found == {
        "name": "Mixed", "participants": ["ana@example.com"], "shift_length": 12,
        "shift_unit": "hours", "handoff_time": "08:00", "start_date": "2027-03-13",
    }  # fmt: skip
    assert [n["reason"] for n in reading.notes] == [
        "A turn goes to nobody; Keel's turns are people.",
        "A turn goes to the team DBAs; Keel's turns are people.",
    ]
    ended = {**rotation, "endDate": "2027-03-14T00:00:00Z"}
    assert layer(ended, schedule, "schedule S (t)", reading, NOW) is None
    assert reading.notes[-1]["reason"] == "It has ended."


def test_overlapping_rotations_are_noted_since_opsgenie_notifies_all_of_them(people):
    with OpsgenieServer() as opsgenie:
        days = opsgenie.account["schedules"][1]["rotations"][0]
        days["timeRestriction"] = None  # Days now round the clock, over Nights
        noted = reasons(read(opsgenie))
    assert (
        "rotations Days and Nights are both on call from 2027-03-15 19:00 UTC, and Keel has one "
        "person on call at a time in a schedule. Where they overlap the later rotation "
        "(Nights) is on call in Keel." in noted
    )


def test_every_page_of_users_is_read(people):
    with OpsgenieServer() as opsgenie:
        account = read(opsgenie)
    pages = [path for path in opsgenie.requests if path.startswith("/v2/users")]
    # The server gives two users a page whatever the limit: paging.next is followed.
    assert pages == [
        "/v2/users?limit=100&offset=0", "/v2/users?limit=2&offset=2", "/v2/users?limit=2&offset=4"
    ]  # fmt: skip
    assert len(account.document["people"]) == 6


def test_the_key_never_follows_a_paging_link_to_another_host(people):
    with OpsgenieServer() as opsgenie:
        opsgenie.link_base = "http://collector.invalid"
        account = read(opsgenie)  # collector.invalid does not resolve: no request went there
    assert len(account.document["people"]) == 6
    assert "/v2/users?limit=2&offset=4" in opsgenie.requests


def test_a_rate_limit_and_a_server_error_are_waited_out(people):
    sleeps: list[float] = []
    with OpsgenieServer() as opsgenie:
        account = read(opsgenie, sleeps)
    assert sleeps[0] == 7  # the 429's Retry-After
    assert len(sleeps) == 2  # and one wait after the 503
    assert opsgenie.requests.count("/v2/schedules?expand=rotation") == 2
    assert opsgenie.requests.count("/v2/escalations") == 2
    assert len(team(account.document, "payments")["escalation_policies"]) == 1


def test_an_unknown_key_is_refused_with_a_sentence(people):
    with OpsgenieServer() as opsgenie, pytest.raises(SourceError) as refused:
        SOURCE.read(client_for(SOURCE, "0b5e0c0e-1111-4222-8333-444455556666", opsgenie.url),
                    now=NOW)  # fmt: skip
    assert "refused the token (401)" in str(refused.value)


def test_a_key_in_the_wrong_format_is_refused_with_where_to_get_one(people):
    with OpsgenieServer() as opsgenie, pytest.raises(SourceError) as refused:
        SOURCE.read(client_for(SOURCE, "integration-key", opsgenie.url), now=NOW)
    assert "Opsgenie refused the API key (422" in str(refused.value)
    assert "Settings > API key management" in str(refused.value)


def command(*args: str) -> str:
    out = StringIO()
    with time_machine.travel(NOW, tick=True):
        call_command("import_oncall", "opsgenie", "--token", KEY, *args, stdout=out)
    return out.getvalue()


def test_plan_changes_nothing(people):
    before = snapshot()
    with OpsgenieServer(faults=False) as opsgenie:
        printed = command("--url", opsgenie.url, "--plan")
    assert snapshot() == before
    assert "schedule payments_schedule (payments)" in printed
    assert "escalation policy payments_escalation (payments)" in printed
    assert "Would create" in printed and "/hooks/" not in printed


def test_apply_creates_everything_prints_the_new_hooks_and_proves_four_weeks(people):
    with OpsgenieServer(faults=False) as opsgenie:
        printed = command("--url", opsgenie.url, "--apply")
        after = snapshot()
        again = command("--url", opsgenie.url, "--apply")
    assert "/hooks/alertmanager/" in printed and "/hooks/generic/" in printed
    assert "2 schedule(s), no difference: the same people are on call at the same times" in printed
    assert "Nothing changed." in again and "/hooks/" not in again
    assert snapshot() == after
    assert sorted(Schedule.objects.values_list("name", flat=True)) == [
        "payments_schedule", "platform_schedule"
    ]  # fmt: skip
    assert EscalationPolicy.objects.get(name="payments_escalation").repeat == 2


def test_the_comparison_covers_four_weeks_across_the_change_to_summer_time(people):
    with OpsgenieServer(faults=False) as opsgenie:
        result = run_import(
            SOURCE, client_for(SOURCE, KEY, opsgenie.url), apply=True, create_users=False,
            now=NOW,
        )  # fmt: skip
    assert result.differences == [] and result.compared == 2
    assert result.end == datetime(2027, 4, 12, 10, 0, tzinfo=UTC)


def test_a_timeline_that_disagrees_is_reported_with_its_time(people):
    with (
        OpsgenieServer(mismatch=True, faults=False) as opsgenie,
        pytest.raises(CommandError) as failed,
    ):
        command("--url", opsgenie.url, "--apply")
    assert failed.value.returncode == 2
    assert "1 on-call difference(s) remain" in str(failed.value)


def test_the_disagreement_names_the_people_and_the_time(people):
    with OpsgenieServer(mismatch=True, faults=False) as opsgenie:
        result = run_import(
            SOURCE, client_for(SOURCE, KEY, opsgenie.url), apply=True, create_users=False,
            now=NOW,
        )  # fmt: skip
    assert [str(d) for d in result.differences] == [
        "payments_schedule (payments) 2027-03-24 12:00 UTC to 2027-03-24 14:00 UTC: source has "
        "cleo@example.com, Keel has ben@example.com"
    ]


def test_staff_move_an_opsgenie_account_in_from_the_import_page(people):
    staff = Client()
    with OpsgenieServer(faults=False) as opsgenie, time_machine.travel(NOW, tick=True):
        staff.force_login(make_user("root@example.com", is_staff=True))
        planned = staff.post(
            "/settings/import/plan/", {"source": "opsgenie", "url": opsgenie.url, "token": KEY}
        )
        assert "schedule payments_schedule (payments)" in planned.content.decode()
        done = staff.post("/settings/import/apply/", {"plan": planned.context["plan"]})
    page = done.content.decode()
    assert "No difference in 2 schedule" in page
    assert "/hooks/alertmanager/" in page


def test_names_keel_needs_unique_are_made_unique(people):
    with OpsgenieServer(faults=False) as opsgenie:
        account = opsgenie.account
        # Opsgenie's team names differ, but not always once made slugs.
        account["teams"].append({"id": "t-copy", "name": "Payments!", "members": []})
        account["integrations"][1]["name"] = "checkout-alertmanager"
        read_account = read(opsgenie)
    document = read_account.document
    assert [t["slug"] for t in document["teams"]] == [
        "payments", "platform", "data-eng", "payments-2"
    ]  # fmt: skip
    assert team(document, "platform")["services"][0]["name"] == "checkout-alertmanager-2"
    assert "The service is named checkout-alertmanager-2." in reasons(read_account)
