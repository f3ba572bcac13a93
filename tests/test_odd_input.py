"""Each odd input once reported as a 500 (issue 15), by name, with what a person notices:
a clear 4xx (or, where a sender's alert must not be lost, a 2xx that stored it cleaned),
and what was stored before still there and readable. tests/test_hostile.py runs the whole
hostile table over every write path; these are the cases people actually met."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import import_module

import pytest
from django.db import DataError, connection, transaction
from django.test import Client

from incidents.alerts.models import Alert, Integration, Kind
from incidents.models import Service
from incidents.oncall.models import Layer, Override
from incidents.paging.models import EscalationPolicy

from .alerts.helpers import make_integration, payload
from .chat.conftest import SECRET
from .chat.slack import FORM, action_body, command_body, post_signed
from .helpers import api_client, declare
from .oncall.helpers import make_schedule

JSON = "application/json"


@pytest.fixture
def schedule(cast):
    schedule = make_schedule(cast.team, [cast.responder, cast.admin])
    Override.objects.create(
        schedule=schedule, user=cast.viewer,
        start=datetime(2026, 6, 2, 10, tzinfo=UTC), end=datetime(2026, 6, 2, 12, tzinfo=UTC),
    )  # fmt: skip
    return schedule


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def overrides(schedule) -> list:
    return list(schedule.overrides.order_by("pk").values_list("user_id", "start", "end"))


# --- one window for instants, whichever door they come through ---------------------------


@pytest.mark.parametrize(
    "end",
    ["9999-12-31T23:59:59-12:00", "2026-02-30T10:00:00Z", "2026-06-01T10:00:00+99:00",
     "2026-06-01T10:00:00-14:30", "0001-01-01T00:00:00Z", "2200-01-01T00:00:00Z"],
)  # fmt: skip
def test_take_this_shift_refuses_an_end_the_api_refuses_and_the_team_pages_still_work(
    cast, schedule, end
):
    before = overrides(schedule)
    client = page_client(cast.responder)
    response = client.post(
        f"/schedules/{schedule.pk}/take/", {"start": "2026-06-03T09:00:00Z", "end": end}
    )
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    assert overrides(schedule) == before
    assert client.get(f"/schedules/{schedule.pk}/").status_code == 200
    api = api_client(cast.responder).post(
        f"/api/v1/schedules/{schedule.pk}/overrides/",
        {"user": "responder@example.com", "start": "2026-06-03T09:00:00Z", "end": end},
        format="json",
    )
    assert api.status_code == 400
    assert overrides(schedule) == before


def test_the_override_form_refuses_year_10000_and_the_schedule_page_still_opens(cast, schedule):
    before = overrides(schedule)
    client = page_client(cast.admin)
    response = client.post(
        f"/schedules/{schedule.pk}/overrides/",
        {
            "user": cast.responder.pk,
            "start": "2026-06-03T09:00",
            "end": "9999-12-31T23:59:59-12:00",
        },
    )
    assert response.status_code == 400
    assert "between 1970-01-01 and 2199-12-31" in response.content.decode()
    assert overrides(schedule) == before
    assert client.get(f"/schedules/{schedule.pk}/").status_code == 200


def test_a_good_shift_is_still_taken(cast, schedule):
    response = page_client(cast.responder).post(
        f"/schedules/{schedule.pk}/take/",
        {"start": "2026-06-03T09:00:00+02:00", "end": "2026-06-03T17:00:00+02:00"},
    )
    assert response.status_code == 302
    assert schedule.overrides.filter(user=cast.responder).count() == 1


def test_a_maintenance_window_cannot_end_in_year_10000(cast):
    service = Service.objects.create(name="payments-api", team=cast.team)
    response = api_client(cast.admin).post(
        "/api/v1/maintenance-windows/",
        {"service": service.pk, "starts_at": "9999-12-31T00:00:00-12:00",
         "ends_at": "9999-12-31T23:59:59-12:00", "reason": "forever"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "ends_at" in response.json()["errors"]


# --- the hooks: cleaned, never a 500 (a sender retries a 5xx forever) -------------------


@pytest.mark.parametrize("where", ["dedup_key", "title", "label", "label key"])
@pytest.mark.parametrize("bad", ["\\ud800", "\\u0000"])
def test_a_generic_hook_stores_an_alert_with_a_lone_surrogate_or_nul_cleaned(cast, where, bad):
    service = Service.objects.create(name="payments-api", team=cast.team)
    _integration, key = make_integration(service, Kind.GENERIC)
    fields = {"title": "Disk full", "dedup_key": "db-1-disk", "details": {"host": "db-1"}}
    body = json.dumps(fields)
    body = {
        "dedup_key": body.replace('"db-1-disk"', f'"db-1{bad}"'),
        "title": body.replace('"Disk full"', f'"Disk{bad} full"'),
        "label": body.replace('"db-1"}', f'"db{bad}"}}'),
        "label key": body.replace('"host"', f'"ho{bad}st"'),
    }[where]
    response = Client().post(f"/hooks/generic/{key}/", body, content_type=JSON)
    assert response.status_code == 202, response.content
    alert = Alert.objects.get()
    stored = json.dumps([alert.dedup_key, alert.summary, alert.labels])
    assert "\\ufffd" in stored and "\\u0000" not in stored


def test_alertmanager_and_grafana_hooks_take_a_lone_surrogate_in_a_label(cast):
    service = Service.objects.create(name="payments-api", team=cast.team)
    for kind, name in (
        (Kind.ALERTMANAGER, "alertmanager_firing"),
        (Kind.GRAFANA, "grafana_firing"),
    ):
        _integration, key = make_integration(service, kind)
        body = json.dumps(payload(name)).replace('"alertname": "', '"alertname": "\\ud800', 1)
        response = Client().post(f"/hooks/{kind}/{key}/", body, content_type=JSON)
        assert response.status_code == 202, response.content


def test_pagerduty_with_a_lone_surrogate_routing_key_is_an_unknown_key(cast):
    body = json.dumps(payload("pagerduty_trigger", routing_key="x" * 31 + "\ud800"))
    response = Client().post("/v2/enqueue", body, content_type=JSON)
    assert response.status_code == 404
    assert response.json()["message"] == "Unknown routing key"


def test_a_hook_with_a_bad_key_is_a_404(cast):
    for path in ("/hooks/generic/%00/", "/hooks/grafana/%ED%A0%80/", "/hooks/alertmanager/x/"):
        response = Client().post(path, json.dumps({"title": "x"}), content_type=JSON)
        assert response.status_code == 404


# --- Slack ----------------------------------------------------------------------------------


def test_a_5000_digit_slack_timestamp_is_refused_as_unsigned(cast, settings):
    settings.SLACK_SIGNING_SECRET = SECRET
    response = post_signed(Client(), "/slack/commands", command_body("help"), SECRET,
                           timestamp="9" * 5000)  # fmt: skip
    assert response.status_code == 401


def test_a_signed_slack_action_nested_100000_deep_is_a_400(cast, settings):
    settings.SLACK_SIGNING_SECRET = SECRET
    body = "payload=" + "%5B" * 100_000 + "%5D" * 100_000
    response = post_signed(Client(), "/slack/actions", body, SECRET)
    assert response.status_code == 400


def test_a_signed_slack_action_with_a_lone_surrogate_is_answered(cast, settings):
    settings.SLACK_SIGNING_SECRET = SECRET
    incident = declare(cast)
    body = action_body("keel:ack", incident.ref, "https://hooks.slack.com/x").replace(
        "URESPONDER", "U%5Cud800"
    )
    response = post_signed(Client(), "/slack/actions", body, SECRET)
    assert response.status_code < 500


def test_a_slash_command_with_nul_is_answered(cast, settings):
    settings.SLACK_SIGNING_SECRET = SECRET
    body = command_body("declare SEV2 a\x00b").replace("%00", "%00%ED%A0%80")
    response = post_signed(Client(), "/slack/commands", body, SECRET)
    assert response.status_code == 200
    assert FORM  # the same form encoding Slack uses


# --- the API --------------------------------------------------------------------------------


def test_patching_a_schedule_with_a_partial_layer_names_what_is_missing(cast, schedule):
    before = list(Layer.objects.filter(schedule=schedule).values())
    client = api_client(cast.admin)
    url = f"/api/v1/schedules/{schedule.pk}/"
    response = client.patch(url, {"layers": [{"name": "half"}]}, format="json")
    assert response.status_code == 400
    assert "participants" in response.json()["errors"]["layers"][0]
    layer = {"participants": ["admin@example.com"], "shift_length": 1, "shift_unit": "days",
             "handoff_time": "09:00", "start_date": "2026-06-01"}  # fmt: skip
    response = client.patch(
        url, {"layers": [{**layer, "restrictions": [{"days": ["mon"]}]}]}, format="json"
    )
    assert response.status_code == 400
    assert "start" in response.json()["detail"]
    assert list(Layer.objects.filter(schedule=schedule).values()) == before
    response = client.patch(url, {"layers": [layer]}, format="json")  # whole: fine
    assert response.status_code == 200
    assert response.json()["layers"][0]["restrictions"] == []


def make_policy(cast) -> EscalationPolicy:
    response = api_client(cast.admin).post(
        "/api/v1/escalation-policies/",
        {"name": "Ops", "team": cast.team.pk,
         "steps": [{"delay_minutes": 5, "targets": [{"user": cast.responder.pk}]}]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201
    return EscalationPolicy.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize("step", [{"targets": [{"team": 1}]}, {"delay_minutes": 5}, {}])
def test_patching_a_policy_with_a_partial_step_names_what_is_missing(cast, step):
    policy = make_policy(cast)
    before = list(policy.steps.values("delay_minutes", "targets"))
    response = api_client(cast.admin).patch(
        f"/api/v1/escalation-policies/{policy.pk}/", {"steps": [step]}, format="json"
    )
    assert response.status_code == 400
    assert list(policy.steps.values("delay_minutes", "targets")) == before


def test_policy_targets_name_people_by_email_as_the_schema_says(cast):
    policy = make_policy(cast)
    response = api_client(cast.admin).get(f"/api/v1/escalation-policies/{policy.pk}/")
    assert response.json()["steps"][0]["targets"] == [{"user": "responder@example.com"}]


@pytest.mark.parametrize(
    "incident", ["INC-\ud800", "INC-1\x00", "INC-" + "9" * 5000, ["INC-1"], {"a": 1}, 10**30]
)
def test_paging_someone_for_an_odd_ref_is_a_4xx(cast, incident):
    declare(cast)
    body = json.dumps({"incident": incident, "user": "admin@example.com"})
    response = api_client(cast.responder).post("/api/v1/pages/", body, content_type=JSON)
    assert 400 <= response.status_code < 500


def test_a_nul_in_a_severity_map_key_is_a_400_and_the_integration_is_unchanged(cast):
    service = Service.objects.create(name="payments-api", team=cast.team)
    integration, _key = make_integration(service, Kind.GENERIC, severity_map={"crit": "SEV1"})
    response = api_client(cast.admin).patch(
        f"/api/v1/integrations/{integration.pk}/",
        json.dumps({"severity_map": {"cr\u0000it": "SEV1"}}),
        content_type=JSON,
    )
    assert response.status_code == 400
    assert "severity_map" in response.json()["detail"]
    assert Integration.objects.get(pk=integration.pk).severity_map == {"crit": "SEV1"}


@pytest.mark.parametrize("path", ["/calendars/schedule/%00.ics", "/calendars/person/a%00b.ics"])
def test_a_nul_in_a_calendar_feed_path_is_a_404(cast, path):
    assert Client().get(path).status_code == 404


def test_the_postmortem_preview_of_100000_nested_lists_is_a_400(cast):
    body = "[" * 100_000 + "]" * 100_000
    response = page_client(cast.responder).post("/postmortems/preview/", body, content_type=JSON)
    assert response.status_code == 400


def test_a_number_of_1e400_is_a_400(cast):
    response = api_client(cast.responder).post(
        "/api/v1/services/", '{"name": "x", "team": 1e400}', content_type=JSON
    )
    assert response.status_code == 400


def test_an_error_quoting_a_lone_surrogate_is_a_readable_400(cast):
    incident = declare(cast)
    response = api_client(cast.responder).post(
        f"/api/v1/incidents/{incident.ref}/severity/", '{"severity": "\\ud800"}', content_type=JSON
    )
    assert response.status_code == 400
    assert response.json()["detail"]


def test_an_override_stored_in_year_10000_before_the_fix_is_brought_back_by_the_migration(
    cast, schedule
):
    if connection.vendor != "postgresql":
        pytest.skip("the year-10000 row is PostgreSQL's to store")
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO oncall_override (schedule_id, user_id, "start", "end", created_at) '
            "VALUES (%s, %s, '2026-06-03 09:00+00', '10000-01-01 11:59:59+00', now())",
            [schedule.pk, cast.responder.pk],
        )
    with pytest.raises(DataError), transaction.atomic():
        list(schedule.overrides.all())  # what every page of the team did: a 500
    with connection.cursor() as cursor:
        cursor.execute(
            import_module("incidents.oncall.migrations.0002_overrides_past_the_window").CLAMP
        )
    ends = sorted(o.end for o in schedule.overrides.all())
    assert ends[-1] == datetime(2199, 12, 31, tzinfo=UTC)
    assert page_client(cast.admin).get(f"/schedules/{schedule.pk}/").status_code == 200
