"""Setting up on call in the browser: the schedule page lists each shift once, says "every
day", has a legend and shows the shift going on now whole; the editor adds turns without
saving, searches zones and warns when a viewer is put on call (so does the policy editor);
the personal calendar keeps one event per schedule; the integration form's labels read
right."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import icalendar
import pytest
import time_machine
from django.test import Client

from incidents.models import Service
from incidents.oncall.models import Layer, PersonalCalendar
from tests.paging.test_policy_pages import editor_data

from .helpers import make_schedule
from .test_pages import editor_post

NOW = datetime(2026, 6, 2, 10, tzinfo=UTC)  # Tue 2 Jun 2026, an hour into the admin's day


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_schedule_page_lists_each_shift_once_and_says_every_day(cast, frozen):
    schedule = make_schedule(cast.team, [cast.responder, cast.admin])
    html = signed_in(cast.admin).get(f"/schedules/{schedule.pk}/").content.decode()
    # 14 days ahead from Tue 2 Jun 09:00: 15 daily shifts, alternating, each listed once.
    rows = re.findall(r"<td><strong>(Responder|Admin)</strong></td>", html)
    assert len(rows) == 15
    assert "<td>Responder</td>" not in html and "<td>Admin</td>" not in html
    assert "every day at 09:00 UTC" in html and "every 1 days" not in html


@pytest.mark.parametrize(
    "length, unit, words",
    [(1, "days", "every day"), (2, "days", "every 2 days"), (1, "hours", "every hour"),
     (12, "hours", "every 12 hours"), (1, "weeks", "every week"), (3, "weeks", "every 3 weeks")],
)  # fmt: skip
def test_the_layer_says_how_often_it_hands_off_in_words(cast, frozen, length, unit, words):
    schedule = make_schedule(cast.team, [cast.responder], shift_length=length, shift_unit=unit)
    html = signed_in(cast.admin).get(f"/schedules/{schedule.pk}/").content.decode()
    assert f"{words} at 09:00" in html


def test_the_chart_has_a_legend_naming_each_persons_colour(cast, frozen):
    schedule = make_schedule(cast.team, [cast.responder, cast.admin])
    html = signed_in(cast.admin).get(f"/schedules/{schedule.pk}/").content.decode()
    legend = re.search(r'<ul class="timeline-legend"[^>]*>(.*?)</ul>', html, re.S)
    assert legend is not None
    keys = re.findall(r'<rect class="who-(\d)"[^>]*></rect></svg> (\w+)</li>', legend[1])
    # The admin holds the first bar, so the first colour; the bars use the same colours.
    assert keys == [("0", "Admin"), ("1", "Responder")]
    assert '<rect class="who-0" x="0.0"' in html


def test_the_shift_going_on_now_is_shown_whole_not_cut_at_now(cast, frozen):
    schedule = make_schedule(cast.team, [cast.responder, cast.admin])
    html = signed_in(cast.admin).get(f"/schedules/{schedule.pk}/").content.decode()
    first = re.search(r"<td><strong>(\w+)</strong></td>\s*<td>([^<]+)<", html)
    assert first is not None and first.groups() == ("Admin", "Tue 2 Jun 09:00 UTC")
    assert "<strong>Admin</strong> until Wed 3 Jun 09:00 UTC" in html


def test_the_incident_list_panel_reads_now_and_next_from_a_long_weekly_shift(cast, frozen):
    # Four-week shifts: the shift going on now began weeks ago and ends weeks ahead.
    make_schedule(cast.team, [cast.responder, cast.admin], shift_length=4, shift_unit="weeks",
                  start_date=date(2026, 5, 18))  # fmt: skip
    html = signed_in(cast.admin).get("/incidents/").content.decode()
    assert re.search(r"Now: <strong>Responder</strong> <span[^>]*>until Mon 15 Jun 09:00", html)
    assert re.search(r"Next: Admin <span[^>]*>from Mon 15 Jun 09:00", html)


def test_the_zone_field_is_a_searchable_box_read_as_the_api_reads_it(cast, frozen):
    client = signed_in(cast.responder)
    html = client.get("/schedules/").content.decode()
    assert re.search(r'<input[^>]*name="time_zone"[^>]*list="time-zones"', html)
    assert '<option value="Europe/London">' in html and '<select name="time_zone"' not in html
    refused = client.post("/schedules/", {"name": "X", "team": cast.team.pk,
                                          "time_zone": "Mars/Olympus"})  # fmt: skip
    assert refused.status_code == 400
    message = "'Mars/Olympus' is not a known time zone: give an IANA name such as Europe/London."
    assert message in refused.content.decode().replace("&#x27;", "'")
    api = client.post("/api/v1/schedules/", {"name": "X", "team": cast.team.pk,
                      "time_zone": "Mars/Olympus"}, content_type="application/json")  # fmt: skip
    assert api.status_code == 400 and api.json()["errors"]["time_zone"] == [message]
    created = client.post("/schedules/", {"name": "Y", "team": cast.team.pk,
                                          "time_zone": "America/New_York"})  # fmt: skip
    assert created.status_code == 302


def test_add_a_turn_without_script_shows_more_turns_and_saves_nothing(cast, frozen):
    schedule = make_schedule(cast.team, [cast.responder])
    client = signed_in(cast.responder)
    response = client.post(f"/schedules/{schedule.pk}/edit/",
                           {**editor_post(cast), "add_turn": "1"})  # fmt: skip
    assert response.status_code == 200
    html = response.content.decode()
    first_layer = html.split("<fieldset", 2)[1]
    turns = re.findall(r'<select name="layers-0-participants" aria-label="Turn (\d+)"', first_layer)
    assert turns == ["1", "2", "3", "4"]  # the two chosen, and two more empty turns
    assert f'<option value="{cast.admin.pk}" selected>' in first_layer
    # Nothing saved yet: still the one daily layer of the responder.
    layer = Layer.objects.get(schedule=schedule)
    assert layer.shift_unit == "days" and [p.user for p in layer.participants.all()] == [
        cast.responder
    ]


def test_enter_in_a_field_saves_rather_than_adding_a_turn(cast, frozen):
    # Browsers submit with the form's first submit button when Enter is pressed.
    schedule = make_schedule(cast.team, [cast.responder])
    html = signed_in(cast.responder).get(f"/schedules/{schedule.pk}/edit/").content.decode()
    form = html.split('<form method="post" class="stack schedule-editor">', 1)[1]
    first = re.search(r"<button[^>]*>", form)
    assert first is not None and 'type="submit"' in first[0] and "add_turn" not in first[0]


def test_putting_a_viewer_in_a_rotation_saves_with_a_warning(cast, frozen):
    schedule = make_schedule(cast.team, [cast.responder])
    client = signed_in(cast.responder)
    data = editor_post(cast, **{"layers-0-participants": [cast.responder.pk, cast.viewer.pk]})
    page = client.post(f"/schedules/{schedule.pk}/edit/", data, follow=True).content.decode()
    assert "saved" in page and "message-warning" in page
    assert "Viewer only views Ops: they would be paged but cannot acknowledge" in page
    calm = client.post(f"/schedules/{schedule.pk}/edit/", editor_post(cast), follow=True)
    assert "message-warning" not in calm.content.decode()


def test_paging_a_viewer_in_a_policy_saves_with_a_warning(cast):
    client = signed_in(cast.responder)
    new = f"/paging/policies/new/?team={cast.team.pk}"
    steps = [{"people": [cast.viewer.pk, cast.responder.pk], "delay_minutes": 5}]
    page = client.post(new, editor_data("Nights", steps), follow=True).content.decode()
    assert "Escalation policy “Nights” added." in page
    assert "Viewer only views Ops: they would be paged but cannot acknowledge" in page
    steps = [{"people": [cast.responder.pk], "delay_minutes": 5}]
    page = client.post(new, editor_data("Days", steps), follow=True).content.decode()
    assert "added" in page and "message-warning" not in page


def test_the_personal_feed_keeps_one_event_per_schedule_with_stable_uids(cast, client):
    # Two schedules give the admin the very same hours: two events, two UIDs.
    make_schedule(cast.team, [cast.admin], name="Primary")
    make_schedule(cast.team, [cast.admin], name="Database")
    calendar = PersonalCalendar.objects.create(user=cast.admin)
    url = f"/calendars/person/{calendar.token}.ics"

    def uids_and_summaries(moment):
        with time_machine.travel(moment, tick=False):
            body = client.get(url).content
        events = icalendar.Calendar.from_ical(body).walk("VEVENT")
        return [(str(e["uid"]), str(e["summary"])) for e in events]

    first = uids_and_summaries(NOW)
    uids = [uid for uid, _summary in first]
    assert len(uids) == len(set(uids))
    assert any("(Primary)" in s for _u, s in first) and any("(Database)" in s for _u, s in first)
    assert len(first) == 2 * len([s for _u, s in first if "(Primary)" in s])
    # Stable over time: a refresh later the same day gives the same UIDs.
    assert uids_and_summaries(NOW.replace(hour=18)) == first


def test_the_integration_form_labels_read_right(cast):
    service = Service.objects.create(name="checkout", team=cast.team)
    html = signed_in(cast.admin).get(f"/services/{service.pk}/").content.decode()
    assert "(optional)</span> <span" not in html and "optional) <span" not in html
    assert "HMAC secret (Grafana only)" in html and "(optional) (optional)" not in html
    kind = re.search(r'<select name="kind"[^>]*>(.*?)</select>', html, re.S)
    assert kind is not None and "---------" not in kind[1] and "Alertmanager" in kind[1]
