"""The schedule pages as a person uses them: the timeline in their own zone, the editor's
gap warning, overrides, "take this shift", and the on-call panels on other pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from incidents.oncall.models import Layer, Override, Schedule

from .helpers import make_schedule

NOW = datetime(2026, 6, 2, 10, tzinfo=UTC)  # Tue 2 Jun 2026


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def editor_post(cast, **changes):
    data = {
        "name": "Ops primary",
        "team": cast.team.pk,
        "time_zone": "Europe/London",
        "layer_count": "1",
        "layers-0-name": "Round the clock",
        "layers-0-participants": [cast.admin.pk, cast.responder.pk],
        "layers-0-shift_length": "1",
        "layers-0-shift_unit": "weeks",
        "layers-0-handoff_time": "09:00",
        "layers-0-start_date": "2026-06-01",
        "layers-0-restrictions": "",
    }
    data.update(changes)
    return data


def test_the_timeline_shows_shifts_in_the_viewers_zone_with_the_schedules_beneath(cast, frozen):
    cast.viewer.time_zone = "America/New_York"
    cast.viewer.save()
    schedule = make_schedule(cast.team, [cast.responder, cast.admin], zone="Europe/London")
    html = signed_in(cast.viewer).get(f"/schedules/{schedule.pk}/").content.decode()
    assert "America/New_York" in html and "Europe/London" in html
    # The responder's next day starts Wed 3 Jun 09:00 BST = 04:00 EDT.
    assert "Wed 3 Jun 04:00 EDT" in html
    assert "Wed 3 Jun 09:00 BST" in html
    assert "Primary" in html  # the layer, beneath the final shifts
    # The drawn timeline: the same bar, labelled in the viewer's zone.
    assert "<title>Responder: Wed 03 Jun 04:00 to Thu 04 Jun 04:00 EDT</title>" in html


def test_the_editor_warns_about_gaps_before_saving_and_saves_when_told_to(cast, frozen):
    schedule = make_schedule(cast.team, [cast.responder])
    client = signed_in(cast.responder)
    daytime = editor_post(cast, **{"layers-0-restrictions": "weekdays 09:00-17:00"})
    response = client.post(f"/schedules/{schedule.pk}/edit/", daytime)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nobody would be on call for part of the next four weeks" in html
    # Tue 2 Jun 17:00 BST to Wed 3 Jun 09:00 BST, in the responder's zone (UTC).
    assert "Tue 2 Jun 16:00 UTC \u2013 Wed 3 Jun 08:00 UTC" in html
    assert Layer.objects.get(schedule=schedule).name == "Primary", "saved despite the gaps"

    response = client.post(f"/schedules/{schedule.pk}/edit/", {**daytime, "accept_gaps": "1"})
    assert response.status_code == 302
    layer = Layer.objects.get(schedule=schedule)
    assert layer.restrictions == [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}
    ]


def test_the_editor_saves_participants_in_the_order_given(cast, frozen):
    schedule = make_schedule(cast.team, [cast.responder])
    response = signed_in(cast.responder).post(f"/schedules/{schedule.pk}/edit/", editor_post(cast))
    assert response.status_code == 302
    schedule.refresh_from_db()
    layer = schedule.layers.get()
    assert [p.user.email for p in layer.participants.all()] == [
        "admin@example.com",
        "responder@example.com",
    ]
    assert schedule.time_zone == "Europe/London"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"layers-0-handoff_time": "25:00"}, "handoff_time"),
        ({"layers-0-participants": ""}, "at least one participant"),
        ({"layers-0-restrictions": "mon 09:00-09:00"}, "ends when it starts"),
        ({"layers-0-restrictions": "someday 09:00-17:00"}, "is not a day"),
        ({"time_zone": "Mars/Base"}, "Mars/Base"),
    ],
)
def test_the_editor_refuses_bad_layers_and_says_why(cast, frozen, change, message):
    schedule = make_schedule(cast.team, [cast.responder])
    response = signed_in(cast.responder).post(
        f"/schedules/{schedule.pk}/edit/", editor_post(cast, **change)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Layer.objects.get(schedule=schedule).name == "Primary"


def test_a_responder_takes_a_shift_from_the_timeline(cast, frozen):
    schedule = make_schedule(cast.team, [cast.admin])
    client = signed_in(cast.responder)
    assert "<strong>Admin</strong>" in client.get("/schedules/").content.decode()
    html = client.get(f"/schedules/{schedule.pk}/").content.decode()
    assert "Take this shift" in html
    response = client.post(
        f"/schedules/{schedule.pk}/take/",
        {"start": "2026-06-02T09:00:00+00:00", "end": "2026-06-03T09:00:00+00:00"},
    )
    assert response.status_code == 302
    override = Override.objects.get(schedule=schedule)
    assert (override.user, override.start) == (cast.responder, datetime(2026, 6, 2, 9, tzinfo=UTC))
    listing = client.get("/schedules/").content.decode()
    assert "<strong>Responder</strong>" in listing and "<strong>Admin</strong>" not in listing


def test_a_viewer_sees_the_schedule_but_no_editing_buttons(cast, frozen):
    schedule = make_schedule(cast.team, [cast.admin])
    html = signed_in(cast.viewer).get(f"/schedules/{schedule.pk}/").content.decode()
    assert "Take this shift" not in html and "Edit layers" not in html


def test_the_incident_list_shows_who_is_on_call_now_and_next(cast, frozen):
    make_schedule(cast.team, [cast.responder, cast.admin])
    html = signed_in(cast.viewer).get("/incidents/").content.decode()
    panel = html.split("On call now and next")[1]
    # 1 Jun 09:00 the responder, 2 Jun 09:00 the admin (now), 3 Jun 09:00 the responder.
    now_part, next_part = panel.split("Next:", 1)
    assert "Admin" in now_part and "Responder" in next_part.split("</li>")[0]


def test_the_profile_page_lists_my_shifts_and_gives_me_a_calendar_address(cast, frozen):
    make_schedule(cast.team, [cast.responder, cast.admin])
    client = signed_in(cast.admin)
    html = client.get("/accounts/profile/").content.decode()
    assert "My shifts" in html and "Ops primary" in html
    assert "Get a calendar address" in html
    client.post("/schedules/my-calendar/")
    html = client.get("/accounts/profile/").content.decode()
    assert "/calendars/person/" in html


def test_a_new_schedule_from_the_page_opens_the_editor(cast, frozen):
    response = signed_in(cast.responder).post(
        "/schedules/", {"name": "Follow the sun", "team": cast.team.pk, "time_zone": "Asia/Tokyo"}
    )
    schedule = Schedule.objects.get(name="Follow the sun")
    assert response["Location"] == f"/schedules/{schedule.pk}/edit/"


def test_the_editor_puts_the_layer_with_the_highest_order_on_top(cast, frozen):
    schedule = make_schedule(cast.team, [cast.responder])
    data = editor_post(cast, **{"layer_count": "2", "layers-0-order": "2"})
    data.update({
        "layers-1-order": "1",
        "layers-1-name": "Beneath",
        "layers-1-participants": [cast.responder.pk],
        "layers-1-shift_length": "1",
        "layers-1-shift_unit": "days",
        "layers-1-handoff_time": "09:00",
        "layers-1-start_date": "2026-06-01",
    })  # fmt: skip
    response = signed_in(cast.responder).post(f"/schedules/{schedule.pk}/edit/", data)
    assert response.status_code == 302
    assert list(schedule.layers.values_list("name", flat=True)) == ["Beneath", "Round the clock"]
