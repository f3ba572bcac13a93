"""A team's own status-update reminder intervals: set in the API or on the reminders page,
used by the beat's reminders; other teams keep the defaults."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from accounts.models import Team
from incidents.models import Severity
from incidents.paging import reminders
from incidents.paging.models import ReminderIntervals
from tests.helpers import api_client, declare


def test_every_team_starts_with_the_defaults(cast):
    answer = api_client(cast.viewer).get(f"/api/v1/reminder-intervals/{cast.team.pk}/")
    assert answer.status_code == 200
    assert answer.json() == {
        "team": cast.team.pk, "sev1": 20, "sev2": 30, "sev3": 60, "sev4": None, "custom": False,
    }  # fmt: skip


def test_a_team_admin_sets_intervals_that_the_reminders_then_follow(cast, committed):
    answer = api_client(cast.admin).put(
        f"/api/v1/reminder-intervals/{cast.team.pk}/",
        {"sev1": 10, "sev2": 15, "sev3": None, "sev4": 120},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["custom"] is True
    sev1 = declare(cast, severity=Severity.SEV1)
    sev3 = declare(cast, severity=Severity.SEV3, title="Slow search")
    now = timezone.now()
    assert reminders.send_due(now + timedelta(minutes=9)) == 0
    assert reminders.send_due(now + timedelta(minutes=11)) == 1  # SEV1 after 10, not 20
    assert sev1.events.get(kind="reminder").body.startswith("No update for 10 minutes")
    assert reminders.send_due(now + timedelta(hours=5)) == 0  # SEV3: no reminder now
    assert not sev3.events.filter(kind="reminder").exists()


def test_another_teams_incidents_keep_the_defaults(cast, committed):
    ReminderIntervals.objects.create(team=cast.team, sev2=5)
    other = Team.objects.exclude(pk=cast.team.pk).first()
    incident = declare(cast, severity=Severity.SEV2, team=other, actor=cast.outsider)
    now = timezone.now()
    reminders.send_due(now + timedelta(minutes=6))
    assert not incident.events.filter(kind="reminder", data__reminder="status_update").exists()
    reminders.send_due(now + timedelta(minutes=31))
    assert incident.events.filter(kind="reminder", data__reminder="status_update").exists()


def test_a_patch_changes_only_what_it_names(cast):
    client = api_client(cast.admin)
    client.patch(f"/api/v1/reminder-intervals/{cast.team.pk}/", {"sev4": 240}, format="json")
    shown = client.get(f"/api/v1/reminder-intervals/{cast.team.pk}/").json()
    assert (shown["sev1"], shown["sev2"], shown["sev3"], shown["sev4"]) == (20, 30, 60, 240)


def test_bad_intervals_are_a_400_naming_the_field(cast):
    client = api_client(cast.admin)
    url = f"/api/v1/reminder-intervals/{cast.team.pk}/"
    answer = client.patch(url, {"sev1": 1}, format="json")
    assert answer.status_code == 400
    assert "sev1" in answer.json()["errors"]
    assert client.patch(url, {"sev2": "soon"}, format="json").status_code == 400
    assert not ReminderIntervals.objects.exists()


def test_only_the_teams_admins_change_them_and_outsiders_do_not_see_them(cast):
    url = f"/api/v1/reminder-intervals/{cast.team.pk}/"
    assert api_client(cast.responder).patch(url, {"sev1": 5}, format="json").status_code == 403
    assert api_client(cast.outsider).get(url).status_code == 404
    listed = api_client(cast.outsider).get("/api/v1/reminder-intervals/").json()["results"]
    assert [row["team"] for row in listed] != [] and cast.team.pk not in [r["team"] for r in listed]
    assert not ReminderIntervals.objects.exists()


def test_the_reminders_page_shows_a_form_to_admins_and_the_values_to_others(cast):
    admin, viewer = Client(), Client()
    admin.force_login(cast.admin)
    viewer.force_login(cast.viewer)
    page = viewer.get("/paging/reminders/").content.decode()
    assert "every 20 min without an update" in page and "<form" not in page.split("<main")[1]
    saved = admin.post(
        f"/paging/reminders/{cast.team.pk}/",
        {f"team{cast.team.pk}-sev1": "15", f"team{cast.team.pk}-sev2": "30",
         f"team{cast.team.pk}-sev3": "", f"team{cast.team.pk}-sev4": ""},
    )  # fmt: skip
    assert saved.status_code == 302
    assert "every 15 min without an update" in viewer.get("/paging/reminders/").content.decode()
    refused = admin.post(f"/paging/reminders/{cast.team.pk}/", {f"team{cast.team.pk}-sev1": "2"})
    assert refused.status_code == 400
    assert "greater than or equal to 5" in refused.content.decode()
    assert ReminderIntervals.objects.get(team=cast.team).sev1 == 15
