"""The Grafana OnCall importer against a fake OnCall (tests/importing/grafana_oncall_server.py)
that answers OnCall's published shapes and renders its own final shifts: the account read,
then planned, applied and proved over four weeks across the 28 March 2027 change to
summer time in Europe/London."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from incidents.importing.client import SourceError
from incidents.importing.run import client_for, run_import
from incidents.importing.sources.grafana_oncall import SOURCE
from incidents.importing.sources.grafana_oncall_mapping import Reading, escalation_policy, layer
from incidents.oncall.models import Schedule
from incidents.paging.models import EscalationPolicy
from tests.helpers import make_user

from .core_documents import snapshot
from .grafana_oncall_server import TOKEN, GrafanaOnCallServer

NOW = datetime(2027, 3, 15, 10, 0, tzinfo=UTC)  # a Monday; London's clocks go forward on the 28th
PEOPLE = ["ana", "ben", "cleo", "dev", "eli", "fay"]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


@pytest.fixture
def people(db, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the fake OnCall listens on 127.0.0.1
    return [make_user(f"{name}@example.com") for name in PEOPLE]


def read(server: GrafanaOnCallServer, sleeps: list[float] | None = None):
    sleeps = [] if sleeps is None else sleeps
    return SOURCE.read(client_for(SOURCE, TOKEN, server.url, sleep=sleeps.append), now=NOW)


def team(document: dict, slug: str) -> dict:
    return next(t for t in document["teams"] if t["slug"] == slug)


def reasons(account) -> str:
    return "\n".join(f"{n['object']}: {n['reason']} {n['instead']}" for n in account.notes)


def test_the_account_becomes_keels_document(people):
    with GrafanaOnCallServer() as oncall:
        account = read(oncall)
    document = account.document
    assert [p["email"] for p in document["people"]] == [f"{n}@example.com" for n in PEOPLE]
    assert document["people"][0] == {
        "email": "ana@example.com", "name": "ana", "time_zone": "Europe/London"
    }  # fmt: skip
    assert [t["slug"] for t in document["teams"]] == [
        "payments", "platform", "data-eng", "no-team"
    ]  # fmt: skip
    payments = team(document, "payments")
    assert payments["source"] == "grafana-oncall:TPAY4Q8Z2KX7M"
    assert payments["members"] == [
        {"email": "ana@example.com", "role": "admin"},
        {"email": "ben@example.com", "role": "responder"},
        {"email": "cleo@example.com", "role": "responder"},
        {"email": "eli@example.com", "role": "responder"},
        # dev is in the business-hours rotation, fay in the chain, neither in the team
        {"email": "dev@example.com", "role": "responder"},
        {"email": "fay@example.com", "role": "responder"},
    ]
    (schedule,) = payments["schedules"]
    assert schedule["time_zone"] == "Europe/London"
    # level 0 first, level 1 on top; the rotation starts from its second group (ben)
    assert schedule["layers"] == [
        {"name": "Payments weekly",
         "participants": ["ben@example.com", "cleo@example.com", "ana@example.com"],
         "shift_length": 1, "shift_unit": "weeks", "handoff_time": "09:00",
         "start_date": "2027-03-01"},
        {"name": "Payments business hours",
         "participants": ["dev@example.com", "eli@example.com"],
         "shift_length": 1, "shift_unit": "weeks", "handoff_time": "09:00",
         "start_date": "2027-03-01",
         "restrictions": [{"days": WEEKDAYS, "start": "09:00", "end": "17:00"}]},
    ]  # fmt: skip
    # The override that ended before now is left out; the others keep their London times,
    # and the one over the change to summer time lasts its three real hours.
    assert schedule["overrides"] == [
        {"user": "ana@example.com",
         "start": "2027-03-31T12:00:00+01:00", "end": "2027-03-31T16:00:00+01:00"},
        {"user": "ben@example.com",
         "start": "2027-03-28T00:30:00+00:00", "end": "2027-03-28T04:30:00+01:00"},
    ]  # fmt: skip
    platform = team(document, "platform")
    assert platform["schedules"][0]["layers"][0]["restrictions"] == [
        {"days": [*WEEKDAYS, "sat", "sun"], "start": "08:00", "end": "20:00"}
    ]
    assert team(document, "data-eng")["schedules"] == []  # an iCal schedule is not imported
    (policy,) = payments["escalation_policies"]
    assert policy == {
        "name": "Payments default",
        "source": "grafana-oncall:FPAYCHAIN0001",
        "repeat": 5,
        "steps": [
            {"delay_minutes": 5, "targets": [{"schedule": "Payments primary"}]},
            {"delay_minutes": 15, "targets": [{"user": "ana@example.com"},
                                              {"user": "fay@example.com"}]},
            {"delay_minutes": 10, "targets": [{"team": "payments"}]},
        ],
    }  # fmt: skip
    assert platform["escalation_policies"][0]["steps"] == [
        {"delay_minutes": 30,
         "targets": [{"user": "dev@example.com"}, {"user": "fay@example.com"}]},
        {"delay_minutes": 1, "targets": [{"schedule": "Platform primary"}]},
    ]  # fmt: skip
    (checkout,) = payments["services"]
    assert checkout["name"] == "Checkout alerts"
    assert checkout["escalation_policy"] == "Payments default"
    assert checkout["integrations"][0]["kind"] == "alertmanager"
    assert platform["services"][0]["integrations"][0]["kind"] == "grafana"
    assert platform["services"][0]["escalation_policy"] == "Platform default"
    # OnCall's teams are optional: what has none is gathered in a team of its own
    (webhook,) = team(document, "no-team")["services"]
    assert (webhook["name"], webhook["escalation_policy"]) == ("Legacy webhook", None)
    assert webhook["integrations"][0]["kind"] == "generic"
    assert account.unmatched_people == []
    assert document["notes"] == account.notes


def test_what_cannot_map_exactly_is_noted_with_what_keel_does_instead(people):
    with GrafanaOnCallServer() as oncall:
        noted = reasons(read(oncall))
    for expected in (
        "schedule Data calendar: Its shifts come from an iCal calendar, which Keel does not "
        "read. Not imported",
        "It repeats from the beginning (OnCall does so up to 5 times), 10 minutes after it. "
        "Keel repeats it 5 times, waiting 10 minute(s) after the last step.",
        "It notifies the next of its people each time it runs. Keel pages all of them",
        "team No team: Some schedules, escalation chains or integrations belong to no team",
        "integration Legacy webhook: Keel has no receiver for OnCall's webhook integration.",
        'service Checkout alerts route \'"severity": "critical"\': OnCall sends the alerts '
        "it matches to Platform default; Keel sends every alert of a service to one escalation "
        "policy. The default route's escalation chain is used for all of them.",
        "dev@example.com in schedule Payments primary (payments): Not a member of team "
        "Payments in Grafana OnCall",
        "fay@example.com in escalation chain Payments default (payments): Not a member of "
        "team Payments in Grafana OnCall; Keel's schedules and policies take team members only. "
        "Added to Payments as a responder.",
    ):
        assert expected in noted
    assert "route '.*'" not in noted  # default routes are what Keel does


def test_turns_of_several_people_monthly_turns_and_ended_rotations_are_noted():
    reading = Reading({"U1": "Ana@Example.com", "U2": "b@x.io"})
    shift = {
        "id": "O1", "name": "Monthly pairs", "type": "rolling_users", "time_zone": None,
        "start": "2027-03-01T08:00:00", "duration": 3600 * 24 * 28, "frequency": "monthly",
        "interval": 1, "rolling_users": [["U1", "U2"], ["U2"]],
        "start_rotation_from_user_index": 0,
    }  # fmt: skip
    found = layer(shift, "America/New_York", "schedule S (t)", reading, NOW)
    assert found["participants"] == ["ana@example.com", "b@x.io"]
    assert (found["shift_length"], found["shift_unit"]) == (4, "weeks")
    noted = [n["reason"] for n in reading.notes]
    assert "ana@example.com, b@x.io are on call together in one turn; Keel has one person on " \
        "call at a time in a schedule." in noted  # fmt: skip
    assert "It hands over every 1 month(s); Keel's turns are hours, days or weeks." in noted
    ended = {**shift, "until": "2027-03-14T00:00:00"}
    assert layer(ended, "UTC", "schedule S (t)", reading, NOW) is None
    assert reading.notes[-1]["reason"] == "It has ended."


def test_a_chain_that_starts_with_a_wait_and_repeats_at_once_is_noted():
    reading = Reading({"U1": "ana@example.com"})
    steps = [
        {"position": 0, "type": "wait", "duration": 300},
        {"position": 1, "type": "notify_persons", "persons_to_notify": ["U1"]},
        {"position": 2, "type": "repeat_escalation"},
    ]
    policy = escalation_policy({"id": "F1", "name": "Quick"}, steps, {"slug": "t"}, reading)
    assert policy["steps"] == [{"delay_minutes": 1, "targets": [{"user": "ana@example.com"}]}]
    assert policy["repeat"] == 5
    noted = reasons(type("A", (), {"notes": reading.notes}))
    assert "It waits 5 minutes before notifying anyone. Keel's first step pages at once." in noted
    assert "right after the last step" in noted


def test_every_page_is_read_and_the_token_never_follows_a_link_to_another_host(people):
    with GrafanaOnCallServer() as oncall:
        oncall.link_base = "http://collector.invalid"  # does not resolve: nothing went there
        account = read(oncall)
    users = [path for path in oncall.requests if path.startswith("/api/v1/users/")]
    # Two users a page: `next` is followed (its page number, on the URL given).
    assert users == ["/api/v1/users/", "/api/v1/users/?page=2", "/api/v1/users/?page=3"]
    assert len(account.document["people"]) == 6


def test_a_rate_limit_and_a_server_error_are_waited_out(people):
    sleeps: list[float] = []
    with GrafanaOnCallServer() as oncall:
        account = read(oncall, sleeps)
    assert sleeps[0] == 7  # the 429's Retry-After
    assert len(sleeps) == 2  # and one wait after the 502
    assert oncall.requests.count("/api/v1/schedules/") == 2
    assert oncall.requests.count("/api/v1/escalation_chains/") == 2
    assert len(team(account.document, "payments")["escalation_policies"]) == 1


def test_a_refused_token_is_a_clear_error_and_the_command_exits_1(people):
    with GrafanaOnCallServer() as oncall:
        with pytest.raises(SourceError) as refused:
            SOURCE.read(client_for(SOURCE, "not-the-token", oncall.url), now=NOW)
        assert "refused the token (403)" in str(refused.value)
        with pytest.raises(CommandError) as failed:
            call_command(
                "import_oncall", "grafana-oncall", "--url", oncall.url, "--token", "wrong",
                "--plan", stdout=StringIO(),
            )  # fmt: skip
    assert failed.value.returncode == 1
    assert "refused the token (403)" in str(failed.value)


def command(*args: str) -> str:
    out = StringIO()
    with time_machine.travel(NOW, tick=True):
        call_command("import_oncall", "grafana-oncall", "--token", TOKEN, *args, stdout=out)
    return out.getvalue()


def test_plan_changes_nothing(people):
    before = snapshot()
    with GrafanaOnCallServer(faults=False) as oncall:
        printed = command("--url", oncall.url, "--plan")
    assert snapshot() == before
    assert "schedule Payments primary (payments)" in printed
    assert "escalation policy Payments default (payments)" in printed
    assert "Would create" in printed and "/hooks/" not in printed


def test_apply_creates_everything_prints_the_new_hooks_and_a_second_changes_nothing(people):
    with GrafanaOnCallServer(faults=False) as oncall:
        printed = command("--url", oncall.url, "--apply")
        after = snapshot()
        again = command("--url", oncall.url, "--apply")
    assert "/hooks/alertmanager/" in printed and "/hooks/grafana/" in printed
    assert "2 schedule(s), no difference: the same people are on call at the same times" in printed
    assert "Nothing changed." in again and "/hooks/" not in again
    assert snapshot() == after
    assert sorted(Schedule.objects.values_list("name", flat=True)) == [
        "Payments primary", "Platform primary"
    ]  # fmt: skip
    assert EscalationPolicy.objects.get(name="Payments default").repeat == 5


def test_no_on_call_difference_over_four_weeks_across_the_change_to_summer_time(people):
    with GrafanaOnCallServer(faults=False) as oncall:
        result = run_import(
            SOURCE, client_for(SOURCE, TOKEN, oncall.url), apply=True, create_users=False,
            now=NOW,
        )  # fmt: skip
    assert result.differences == [] and result.compared == 2
    assert result.end == datetime(2027, 4, 12, 10, 0, tzinfo=UTC)


def test_final_shifts_that_disagree_are_reported_with_their_time(people):
    with GrafanaOnCallServer(mismatch=True, faults=False) as oncall:
        result = run_import(
            SOURCE, client_for(SOURCE, TOKEN, oncall.url), apply=True, create_users=False,
            now=NOW,
        )  # fmt: skip
        with pytest.raises(CommandError) as failed:
            command("--url", oncall.url, "--apply")
    assert [str(d) for d in result.differences] == [
        "Payments primary (payments) 2027-03-24 12:00 UTC to 2027-03-24 14:00 UTC: source has "
        "cleo@example.com, Keel has eli@example.com"
    ]
    assert failed.value.returncode == 2
    assert "1 on-call difference(s) remain" in str(failed.value)


def test_staff_move_a_grafana_oncall_account_in_from_the_import_page(people):
    staff = Client()
    with GrafanaOnCallServer(faults=False) as oncall, time_machine.travel(NOW, tick=True):
        staff.force_login(make_user("root@example.com", is_staff=True))
        form = {"source": "grafana-oncall", "url": oncall.url, "token": TOKEN}
        planned = staff.post("/settings/import/plan/", form)
        assert "schedule Payments primary (payments)" in planned.content.decode()
        done = staff.post("/settings/import/apply/", {"plan": planned.context["plan"]})
    page = done.content.decode()
    assert "No difference in 2 schedule" in page
    assert "/hooks/grafana/" in page


def test_the_api_url_may_be_given_with_or_without_api_v1(people):
    with GrafanaOnCallServer(faults=False) as oncall:
        account = SOURCE.read(client_for(SOURCE, TOKEN, oncall.url + "/api/v1/"), now=NOW)
    assert len(account.document["teams"]) == 4
    assert "/api/v1/users/" in oncall.requests
    assert not any(path.startswith("/api/v1/api/") for path in oncall.requests)


def test_a_url_that_is_not_oncalls_api_is_a_clear_error(people):
    with GrafanaOnCallServer(faults=False) as oncall:
        oncall.account["users"] = {"message": "not a list"}  # as a Grafana page might answer
        with pytest.raises(SourceError) as wrong:
            read(oncall)
    assert "did not answer as Grafana OnCall's API: give the OnCall API URL" in str(wrong.value)


def test_a_recurrent_weekend_event_becomes_a_layer_restricted_to_its_hours():
    reading = Reading({"U1": "ana@example.com"})
    shift = {
        "id": "O2", "name": "Weekend", "type": "recurrent_event", "time_zone": "Europe/London",
        "start": "2027-03-06T10:00:00", "duration": 6 * 3600, "frequency": "daily",
        "interval": 1, "by_day": ["SA", "SU"], "users": ["U1"],
    }  # fmt: skip
    found = layer(shift, "Europe/London", "schedule S (t)", reading, NOW)
    assert found["participants"] == ["ana@example.com"]
    assert found["shift_unit"] == "days" and found["handoff_time"] == "10:00"
    assert found["restrictions"] == [{"days": ["sat", "sun"], "start": "10:00", "end": "16:00"}]
    assert reading.notes[0]["reason"] == "A recurrent event puts the same people on call each time."


def test_no_url_for_grafana_oncall_says_to_give_one(people):
    with pytest.raises(CommandError) as failed:
        call_command("import_oncall", "grafana-oncall", "--token", TOKEN, "--plan",
                     stdout=StringIO())  # fmt: skip
    assert failed.value.returncode == 1
    assert "Give an https:// URL for the source's API" in str(failed.value)
