"""The schedules API as DESIGN.md's contract gives it, and the 400s that name the field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from incidents.oncall import services
from incidents.oncall.models import Override, Schedule

from ..helpers import api_client
from .helpers import make_schedule

URL = "/api/v1/schedules/"


def layer(**fields):
    return {
        "participants": ["responder@example.com", "admin@example.com", "viewer@example.com"],
        "shift_length": 1,
        "shift_unit": "weeks",
        "handoff_time": "09:00",
        "start_date": "2026-03-02",
        **fields,
    }


def schedule_body(cast, **fields):
    return {
        "name": "Primary",
        "team": cast.team.pk,
        "time_zone": "America/New_York",
        "layers": [layer()],
        **fields,
    }


def test_a_responder_creates_a_schedule_and_gets_its_id_and_calendar_address(cast):
    response = api_client(cast.responder).post(URL, schedule_body(cast), format="json")
    assert response.status_code == 201, response.data
    schedule = Schedule.objects.get(pk=response.data["id"])
    assert response.data["ical_url"] == (
        f"http://testserver/calendars/schedule/{schedule.calendar_token}.ics"
    )
    assert response.data["layers"] == [
        {
            "id": schedule.layers.get().pk,
            "name": "",
            "participants": ["responder@example.com", "admin@example.com", "viewer@example.com"],
            "shift_length": 1,
            "shift_unit": "weeks",
            "handoff_time": "09:00",
            "start_date": "2026-03-02",
            "restrictions": [],
        }
    ]


def test_who_is_on_call_follows_the_wall_clock_across_the_spring_change(cast):
    client = api_client(cast.viewer)
    created = api_client(cast.responder).post(URL, schedule_body(cast), format="json").data
    oncall = f"{URL}{created['id']}/oncall/"
    # Mon 9 Mar 2026 08:59 EDT = 12:59Z: still the responder's week (it began 2 Mar 09:00 EST).
    before = client.get(oncall, {"at": "2026-03-09T12:59:00Z"}).data
    assert [u["email"] for u in before["users"]] == ["responder@example.com"]
    # 09:00 EDT = 13:00Z: the admin takes over at 09:00 local, not at 14:00Z.
    after = client.get(oncall, {"at": "2026-03-09T09:00:00-04:00"}).data
    assert after["users"] == [
        {"id": cast.admin.pk, "email": "admin@example.com", "name": cast.admin.name}
    ]


def test_shifts_come_joined_with_offsets_and_gaps(cast):
    body = schedule_body(cast, layers=[layer(start_date="2026-03-09")])
    created = api_client(cast.responder).post(URL, body, format="json").data
    response = api_client(cast.viewer).get(
        f"{URL}{created['id']}/shifts/",
        {"start": "2026-03-08T00:00:00Z", "end": "2026-03-17T00:00:00Z"},
    )
    assert response.status_code == 200
    assert [(s["user"]["email"], s["start"], s["end"]) for s in response.data["shifts"]] == [
        ("responder@example.com", "2026-03-09T13:00:00Z", "2026-03-16T13:00:00Z"),
        ("admin@example.com", "2026-03-16T13:00:00Z", "2026-03-17T00:00:00Z"),
    ]
    assert response.data["gaps"] == [
        {"start": "2026-03-08T00:00:00Z", "end": "2026-03-09T13:00:00Z"}
    ]


def test_an_override_covers_on_top_of_the_layers(cast):
    schedule = make_schedule(cast.team, [cast.responder])
    response = api_client(cast.responder).post(
        f"{URL}{schedule.pk}/overrides/",
        {"user": "viewer@example.com", "start": "2026-06-02T10:00:00Z", "end": "2026-06-02T14:00Z"},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert [
        u.email for u in services.on_call(schedule.pk, datetime(2026, 6, 2, 12, tzinfo=UTC))
    ] == ["viewer@example.com"]
    assert [
        u.email for u in services.on_call(schedule.pk, datetime(2026, 6, 2, 14, tzinfo=UTC))
    ] == ["responder@example.com"]


def test_put_replaces_the_layers_and_patch_without_layers_keeps_them(cast):
    client = api_client(cast.responder)
    created = client.post(URL, schedule_body(cast), format="json").data
    replaced = client.put(
        f"{URL}{created['id']}/",
        schedule_body(cast, layers=[layer(name="Day", participants=["admin@example.com"])]),
        format="json",
    ).data
    assert [(each["name"], each["participants"]) for each in replaced["layers"]] == [
        ("Day", ["admin@example.com"])
    ]
    patched = client.patch(f"{URL}{created['id']}/", {"name": "Renamed"}, format="json").data
    assert patched["name"] == "Renamed"
    assert [each["name"] for each in patched["layers"]] == ["Day"]


def test_without_at_the_answer_is_for_now(cast):
    schedule = make_schedule(cast.team, [cast.responder, cast.admin])
    with time_machine.travel(datetime(2026, 6, 2, 10, tzinfo=UTC), tick=False):
        response = api_client(cast.viewer).get(f"{URL}{schedule.pk}/oncall/")
    assert response.data["at"] == "2026-06-02T10:00:00Z"
    assert [u["email"] for u in response.data["users"]] == ["admin@example.com"]


def test_a_revoked_calendar_address_stops_working(cast, client):
    created = api_client(cast.responder).post(URL, schedule_body(cast), format="json").data
    old = created["ical_url"].removeprefix("http://testserver")
    assert client.get(old).status_code == 200
    response = api_client(cast.responder).post(f"{URL}{created['id']}/revoke-calendar/")
    assert response.status_code == 200
    assert client.get(old).status_code == 404
    assert (
        client.get(response.data["ical_url"].removeprefix("http://testserver")).status_code == 200
    )


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "not a known time zone"),
        ({"layers": [layer(handoff_time="25:00")]}, "handoff_time", "HH:MM"),
        ({"layers": [layer(handoff_time="9am")]}, "handoff_time", "HH:MM"),
        ({"layers": [layer(participants=[])]}, "participants", "at least one participant"),
        ({"layers": [layer(participants=["nobody@example.com"])]}, "participants", "No active"),
        # Someone outside the team is not even confirmed to exist (people_visible_to).
        ({"layers": [layer(participants=["outsider@example.com"])]}, "participants", "No active"),
        ({"layers": [layer(shift_unit="months")]}, "shift_unit", "not a valid choice"),
        ({"layers": [layer(shift_length=0)]}, "shift_length", "greater than or equal to 1"),
        ({"layers": [layer(start_date="0001-01-01")]}, "start_date", "between"),
        (
            {"layers": [layer(restrictions=[{"days": ["mon"], "start": "09:00", "end": "09:00"}])]},
            "end",
            "ends when it starts",
        ),
        (
            {
                "layers": [
                    layer(restrictions=[{"days": ["funday"], "start": "09:00", "end": "17:00"}])
                ]
            },
            "days",
            "not a valid choice",
        ),
        (
            {"layers": [layer(restrictions=[{"days": ["mon"], "start": "09:00", "end": "24:30"}])]},
            "end",
            "24:00",
        ),
    ],
)
def test_bad_schedules_get_a_400_naming_the_field(cast, change, field, words):
    response = api_client(cast.responder).post(URL, schedule_body(cast, **change), format="json")
    assert response.status_code == 400, response.data
    assert field in str(response.data["errors"]), response.data
    assert words in response.data["detail"], response.data["detail"]
    assert not Schedule.objects.exists()


def test_night_and_whole_day_restrictions_are_accepted(cast):
    nights = {"days": ["mon", "tue"], "start": "18:00", "end": "08:00"}
    weekends = {"days": ["sat", "sun"], "start": "00:00", "end": "24:00"}
    body = schedule_body(cast, layers=[layer(restrictions=[nights, weekends])])
    response = api_client(cast.responder).post(URL, body, format="json")
    assert response.status_code == 201, response.data
    assert response.data["layers"][0]["restrictions"] == [nights, weekends]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"start": "2026-01-01T00:00:00Z", "end": "2026-04-02T00:00:00Z"}, "at most 90 days"),
        ({"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "after start"),
        ({"start": "yesterday"}, "start"),
        ({"start": "0001-01-01T00:00:00Z"}, "between"),
    ],
)
def test_bad_shift_ranges_get_a_400_naming_the_field(cast, query, words):
    schedule = make_schedule(cast.team, [cast.responder])
    response = api_client(cast.viewer).get(f"{URL}{schedule.pk}/shifts/", query)
    assert response.status_code == 400
    assert words in response.data["detail"], response.data


def test_an_override_that_ends_before_it_starts_gets_a_400_naming_end(cast):
    schedule = make_schedule(cast.team, [cast.responder])
    response = api_client(cast.responder).post(
        f"{URL}{schedule.pk}/overrides/",
        {"user": "viewer@example.com", "start": "2026-06-02T14:00Z", "end": "2026-06-02T10:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert response.data["errors"] == {"end": ["The override ends before it starts."]}
    assert not Override.objects.exists()


def test_a_bad_at_gets_a_400(cast):
    schedule = make_schedule(cast.team, [cast.responder])
    response = api_client(cast.viewer).get(f"{URL}{schedule.pk}/oncall/", {"at": "soon"})
    assert response.status_code == 400
    assert "at" in response.data["errors"]


def test_the_schema_documents_the_schedule_endpoints_and_their_errors(cast):
    schema = api_client(cast.viewer).get("/api/schema/?format=json").json()
    shifts = schema["paths"]["/api/v1/schedules/{id}/shifts/"]["get"]
    assert {"200", "400", "404"} <= set(shifts["responses"])
    assert "/api/v1/schedules/{id}/oncall/" in schema["paths"]
    assert "201" in schema["paths"]["/api/v1/schedules/{id}/overrides/"]["post"]["responses"]
