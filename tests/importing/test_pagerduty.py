"""The PagerDuty importer against a fake PagerDuty (tests/importing/pagerduty_server.py)
that answers PagerDuty's published shapes and renders its own final schedule: the account
read, then planned, applied and proved over four weeks across the 14 March 2027 change to
summer time in America/New_York."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from incidents.importing.client import SourceError
from incidents.importing.run import client_for, run_import
from incidents.importing.sources.common import Reading
from incidents.importing.sources.pagerduty import SOURCE
from incidents.importing.sources.pagerduty_mapping import escalation_policy, layer
from incidents.oncall.models import Schedule
from incidents.paging.models import EscalationPolicy
from tests.helpers import make_user

from .core_documents import snapshot
from .pagerduty_server import TOKEN, PagerDutyServer

NOW = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York; clocks change on the 14th
PEOPLE = ["ana", "ben", "cleo", "dev", "eli", "fay"]


@pytest.fixture
def people(db, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the fake PagerDuty listens on 127.0.0.1
    return [make_user(f"{name}@example.com") for name in PEOPLE]


def read(server: PagerDutyServer, sleeps: list[float] | None = None):
    sleeps = [] if sleeps is None else sleeps
    return SOURCE.read(client_for(SOURCE, TOKEN, server.url, sleep=sleeps.append), now=NOW)


def team(document: dict, slug: str) -> dict:
    return next(t for t in document["teams"] if t["slug"] == slug)


def reasons(notes: list[dict]) -> str:
    return "\n".join(f"{n['object']}: {n['reason']} {n['instead']}" for n in notes)


def test_the_account_becomes_keels_document(people):
    with PagerDutyServer() as pagerduty:
        account = read(pagerduty)
    document = account.document
    assert [p["email"] for p in document["people"]] == [f"{n}@example.com" for n in PEOPLE]
    assert document["people"][0] == {
        "email": "ana@example.com", "name": "Ana Lima", "time_zone": "America/New_York"
    }  # fmt: skip
    assert [t["slug"] for t in document["teams"]] == ["payments", "platform"]
    payments = team(document, "payments")
    assert payments["source"] == "pagerduty:PT4KHLK"
    assert payments["members"] == [
        {"email": "ana@example.com", "role": "admin"},
        {"email": "ben@example.com", "role": "responder"},
        {"email": "cleo@example.com", "role": "responder"},
        {"email": "eli@example.com", "role": "responder"},
        {"email": "dev@example.com", "role": "responder"},  # paged by the policy, noted
    ]
    assert team(document, "platform")["members"][2] == {
        "email": "fay@example.com",
        "role": "viewer",
    }
    (schedule,) = payments["schedules"]
    assert schedule["time_zone"] == "America/New_York"
    # GET lists the top layer first: Keel's last layer is on top.
    assert schedule["layers"] == [
        {"name": "Weekly",
         "participants": ["ana@example.com", "ben@example.com", "cleo@example.com"],
         "shift_length": 1, "shift_unit": "weeks", "handoff_time": "10:00",
         "start_date": "2027-01-04"},
        {"name": "Business hours", "participants": ["ben@example.com", "eli@example.com"],
         "shift_length": 1, "shift_unit": "weeks", "handoff_time": "09:00",
         "start_date": "2027-02-01",
         "restrictions": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00",
                           "end": "17:00"}]},
    ]  # fmt: skip
    # The override that ended before now is left out; the one over the clock change keeps
    # its offsets.
    assert schedule["overrides"] == [
        {"user": "cleo@example.com",
         "start": "2027-03-10T12:00:00-05:00", "end": "2027-03-10T18:00:00-05:00"},
        {"user": "ana@example.com",
         "start": "2027-03-13T22:00:00-05:00", "end": "2027-03-14T10:00:00-04:00"},
    ]  # fmt: skip
    (platform_schedule,) = team(document, "platform")["schedules"]
    assert [lay["name"] for lay in platform_schedule["layers"]] == ["Daytime"]  # Old nights ended
    assert platform_schedule["layers"][0]["restrictions"] == [
        {
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "start": "08:00",
            "end": "20:00",
        }
    ]
    (policy,) = payments["escalation_policies"]
    assert policy == {
        "name": "Payments default",
        "source": "pagerduty:PANZZEQ",
        "repeat": 2,
        "steps": [
            {"delay_minutes": 10, "targets": [{"schedule": "Payments primary"}]},
            {"delay_minutes": 15, "targets": [{"user": "ana@example.com"},
                                              {"user": "dev@example.com"}]},
            {"delay_minutes": 30, "targets": [{"user": "cleo@example.com"}]},
        ],
    }  # fmt: skip
    (checkout,) = payments["services"]
    assert (checkout["name"], checkout["escalation_policy"]) == ("checkout", "Payments default")
    assert [(i["kind"], i["name"]) for i in checkout["integrations"]] == [
        ("pagerduty", "Alertmanager"), ("generic", "Email")
    ]  # fmt: skip
    assert checkout["maintenance"] == [
        {"start": "2027-03-20T02:00:00-04:00", "end": "2027-03-20T04:00:00-04:00",
         "reason": "Database upgrade"}
    ]  # fmt: skip
    assert account.unmatched_people == []
    assert document["notes"] == account.notes


def test_what_cannot_map_exactly_is_noted_with_what_keel_does_instead(people):
    with PagerDutyServer() as pagerduty:
        noted = reasons(read(pagerduty).notes)
    for expected in (
        "schedule Platform primary (platform) layer Old nights: It has ended. Not imported.",
        "escalation policy Payments default (payments) rule 3: It pages schedule Platform "
        "primary of team Platform; a Keel policy pages its own team's schedules.",
        "dev@example.com in escalation policy Payments default (payments): Not a member of "
        "team Payments in PagerDuty",
        "service checkout integration Email: Keel has no receiver for PagerDuty's "
        "generic_email_inbound_integration.",
        "escalation policy Platform default (platform): It notifies people at every on-call "
        "hand-off.",
    ):
        assert expected in noted


def test_turns_that_are_not_whole_hours_are_noted():
    reading = Reading({"U1": "ana@example.com"})
    data = {
        "id": "L1", "name": "Odd", "start": "2027-02-01T00:00:00Z",
        "rotation_virtual_start": "2027-02-01T00:00:00Z", "rotation_turn_length_seconds": 5400,
        "users": [{"user": {"id": "U1"}}], "restrictions": [],
    }  # fmt: skip
    found = layer(data, "UTC", "schedule S (t)", reading, NOW)
    assert (found["shift_length"], found["shift_unit"]) == (2, "hours")
    assert reading.notes[0]["reason"] == (
        "Each turn is 5400 seconds; Keel's turns are whole hours, days or weeks."
    )


def test_every_page_is_read(people):
    with PagerDutyServer() as pagerduty:
        account = read(pagerduty)
    users = [path for path in pagerduty.requests if path.startswith("/users")]
    # Two users a page: `more` is followed with the next offset.
    assert users == ["/users?limit=100&offset=0", "/users?limit=100&offset=2",
                     "/users?limit=100&offset=4"]  # fmt: skip
    assert len(account.document["people"]) == 6
    assert any("include%5B%5D=integrations" in path for path in pagerduty.requests)


def test_a_rate_limit_and_a_server_error_are_waited_out(people):
    sleeps: list[float] = []
    with PagerDutyServer() as pagerduty:
        account = read(pagerduty, sleeps)
    assert sleeps[0] == 7  # the 429's Retry-After
    assert len(sleeps) == 2  # and one wait after the 503
    assert len([p for p in pagerduty.requests if p.startswith("/schedules?")]) == 2
    assert len(team(account.document, "payments")["escalation_policies"]) == 1


def test_a_refused_token_is_a_clear_error_and_the_command_exits_1(people):
    with PagerDutyServer() as pagerduty:
        with pytest.raises(SourceError) as refused:
            SOURCE.read(client_for(SOURCE, "not-the-key", pagerduty.url), now=NOW)
        assert "refused the token (401)" in str(refused.value)
        with pytest.raises(CommandError) as failed:
            call_command(
                "import_oncall", "pagerduty", "--url", pagerduty.url, "--token", "wrong",
                "--plan", stdout=StringIO(),
            )  # fmt: skip
    assert failed.value.returncode == 1
    assert "refused the token (401)" in str(failed.value)


def command(*args: str) -> str:
    out = StringIO()
    with time_machine.travel(NOW, tick=True):
        call_command("import_oncall", "pagerduty", "--token", TOKEN, *args, stdout=out)
    return out.getvalue()


def test_plan_changes_nothing(people):
    before = snapshot()
    with PagerDutyServer(faults=False) as pagerduty:
        printed = command("--url", pagerduty.url, "--plan")
    assert snapshot() == before
    assert "schedule Payments primary (payments)" in printed
    assert "escalation policy Payments default (payments)" in printed
    assert "Would create" in printed and "/v2/enqueue" not in printed


def test_apply_creates_everything_prints_the_routing_key_and_a_second_changes_nothing(people):
    with PagerDutyServer(faults=False) as pagerduty:
        printed = command("--url", pagerduty.url, "--apply")
        after = snapshot()
        again = command("--url", pagerduty.url, "--apply")
    assert "/v2/enqueue" in printed and "/hooks/generic/" in printed
    assert "2 schedule(s), no difference: the same people are on call at the same times" in printed
    assert "Nothing changed." in again and "/v2/enqueue" not in again
    assert snapshot() == after
    assert sorted(Schedule.objects.values_list("name", flat=True)) == [
        "Payments primary", "Platform primary"
    ]  # fmt: skip
    assert EscalationPolicy.objects.get(name="Payments default").repeat == 2


def test_no_on_call_difference_over_four_weeks_across_the_change_to_summer_time(people):
    with PagerDutyServer(faults=False) as pagerduty:
        result = run_import(
            SOURCE, client_for(SOURCE, TOKEN, pagerduty.url), apply=True, create_users=False,
            now=NOW,
        )  # fmt: skip
    assert result.differences == [] and result.compared == 2
    assert result.end == datetime(2027, 3, 29, 15, 0, tzinfo=UTC)


def test_a_final_schedule_that_disagrees_is_reported_with_its_time(people):
    with PagerDutyServer(mismatch=True, faults=False) as pagerduty:
        result = run_import(
            SOURCE, client_for(SOURCE, TOKEN, pagerduty.url), apply=True, create_users=False,
            now=NOW,
        )  # fmt: skip
        with pytest.raises(CommandError) as failed:
            command("--url", pagerduty.url, "--apply")
    assert [str(d) for d in result.differences] == [
        "Payments primary (payments) 2027-03-24 13:00 UTC to 2027-03-24 14:00 UTC: source has "
        "cleo@example.com, Keel has eli@example.com"
    ]
    assert failed.value.returncode == 2


def test_staff_move_a_pagerduty_account_in_from_the_import_page(people):
    staff = Client()
    with PagerDutyServer(faults=False) as pagerduty, time_machine.travel(NOW, tick=True):
        staff.force_login(make_user("root@example.com", is_staff=True))
        form = {"source": "pagerduty", "url": pagerduty.url, "token": TOKEN}
        planned = staff.post("/settings/import/plan/", form)
        assert "schedule Payments primary (payments)" in planned.content.decode()
        done = staff.post("/settings/import/apply/", {"plan": planned.context["plan"]})
    page = done.content.decode()
    assert "No difference in 2 schedule" in page
    assert "/v2/enqueue" in page


def test_a_rule_that_escalates_at_once_keeps_its_policy_with_a_one_minute_step():
    reading = Reading({"U1": "ana@example.com"})
    data = {
        "id": "P1", "name": "Fast", "num_loops": 1,
        "escalation_rules": [{"escalation_delay_in_minutes": 0,
                              "targets": [{"id": "U1", "type": "user_reference"}]}],
    }  # fmt: skip
    policy = escalation_policy(data, {"slug": "t"}, reading)
    assert policy["steps"] == [{"delay_minutes": 1, "targets": [{"user": "ana@example.com"}]}]
    assert (
        reading.notes[0]["reason"] == "It escalates after 0 minutes; Keel waits at least a minute."
    )
