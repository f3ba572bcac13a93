"""What the incident page and the list show: the current status and the moves from it, the
timeline in the order things happened, times in the viewer's zone, and no control a person
cannot use."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from incidents import display, lifecycle
from incidents.live import incident_payload
from incidents.models import Incident, Status

from ..helpers import declare, incident_in


@pytest.fixture
def signed_in(client, cast):
    client.force_login(cast.responder)
    return client


def move_buttons(html: str) -> list[str]:
    return re.findall(r'data-move="([^"]+)"[^>]*>([^<]+)</button>', html)


def test_the_page_shows_the_current_status_and_the_usual_next_step_first(cast, signed_in):
    incident = declare(cast)
    html = signed_in.get(f"/incidents/{incident.ref}/").content.decode()
    assert "Status: <strong" in html and ">Investigating</strong>" in html
    assert move_buttons(html) == [
        ("status:identified", "Identified"),
        ("status:monitoring", "Mitigated"),
        ("status:resolved", "Resolve"),
        ("status:declined", "Decline"),
    ]


@pytest.mark.parametrize(
    ("status", "first", "labels"),
    [
        (Status.TRIGGERED, "acknowledge", ["Acknowledge", "Identified", "Mitigated", "Resolve",
                                           "Decline"]),
        (Status.IDENTIFIED, "status:monitoring", ["Mitigated", "Resolve", "Back to investigating",
                                                  "Decline"]),
        (Status.MONITORING, "status:resolved", ["Resolve", "Back to identified",
                                                "Back to investigating", "Decline"]),
        (Status.RESOLVED, "reopen", ["Reopen"]),
        (Status.DECLINED, "reopen", ["Reopen"]),
        (Status.MERGED, None, []),
    ],
)  # fmt: skip
def test_each_status_offers_its_moves_as_buttons(cast, signed_in, status, first, labels):
    incident = incident_in(cast, status)
    buttons = move_buttons(signed_in.get(f"/incidents/{incident.ref}/").content.decode())
    assert [label for _, label in buttons] == labels
    assert (buttons[0][0] if buttons else None) == first


def test_a_button_posts_to_its_own_action(cast, signed_in):
    incident = incident_in(cast, Status.TRIGGERED)
    html = signed_in.get(f"/incidents/{incident.ref}/").content.decode()
    assert f'formaction="/incidents/{incident.ref}/acknowledge/"' in html
    resolved = incident_in(cast, Status.RESOLVED)
    html = signed_in.get(f"/incidents/{resolved.ref}/").content.decode()
    assert f'formaction="/incidents/{resolved.ref}/reopen/"' in html


def test_merged_incidents_offer_no_severity_role_or_merge_controls(cast, signed_in):
    incident = incident_in(cast, Status.MERGED)
    html = signed_in.get(f"/incidents/{incident.ref}/").content.decode()
    assert "/severity/" not in html and "/merge/" not in html
    assert re.search(r'<form[^>]*id="assign-form"[^>]*hidden', html)


def test_the_live_state_carries_every_state_dependent_control(cast):
    incident = Incident.objects.for_list().get(pk=declare(cast).pk)
    open_state = incident_payload(incident)
    assert 'data-move="status:identified"' in open_state["actions_html"]
    assert "/merge/" in open_state["merge_html"] and "/severity/" in open_state["severity_html"]
    lifecycle.resolve(incident, cast.responder)
    resolved = incident_payload(Incident.objects.for_list().get(pk=incident.pk))
    assert 'data-move="reopen"' in resolved["actions_html"]
    assert resolved["merge_html"].strip() == ""


def test_the_timeline_is_in_the_order_things_happened_and_marks_back_dated_entries(cast, signed_in):
    incident = declare(cast)
    lifecycle.add_note(incident, cast.responder, "Errors at 30%")
    earlier = timezone.now() - timedelta(minutes=10)
    signed_in.post(
        f"/incidents/{incident.ref}/note/",
        {"body": "First alert fired", "occurred_at": earlier.strftime("%Y-%m-%dT%H:%M")},
    )
    html = signed_in.get(f"/incidents/{incident.ref}/").content.decode()
    assert html.index("First alert fired") < html.index("Errors at 30%")
    assert html.count("back-dated · noted") == 1
    back_dated = incident.events.get(body="First alert fired")
    assert back_dated.seq == 4 and back_dated.occurred_at < back_dated.created_at


def test_the_when_field_is_read_in_the_viewers_zone(cast, signed_in):
    cast.responder.time_zone = "America/New_York"
    cast.responder.save()
    incident = declare(cast)
    an_hour_ago = (timezone.now() - timedelta(hours=1)).replace(second=0, microsecond=0)
    on_their_clock = an_hour_ago.astimezone(ZoneInfo("America/New_York"))
    signed_in.post(
        f"/incidents/{incident.ref}/note/",
        {"body": "Earlier", "occurred_at": on_their_clock.strftime("%Y-%m-%dT%H:%M")},
    )
    assert incident.events.get(body="Earlier").occurred_at == an_hour_ago


def test_times_are_in_the_viewers_zone_and_say_which(cast, signed_in):
    cast.responder.time_zone = "Asia/Tokyo"
    cast.responder.save()
    incident = declare(cast)
    html = signed_in.get(f"/incidents/{incident.ref}/").content.decode()
    times = re.findall(r"<time [^>]*data-when>([^<]+)</time>", html)
    assert times and all(t.endswith(" JST") for t in times), times
    assert "times in Asia/Tokyo" in html
    listed = signed_in.get("/incidents/").content.decode()
    assert re.search(r"<time [^>]*data-when>\d\d:\d\d JST</time>", listed)


def test_a_time_not_today_shows_its_date():
    now = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
    with timezone.override(UTC):
        assert display.format_when(datetime(2026, 11, 22, 9, 5, tzinfo=UTC), now) == "09:05 UTC"
        assert display.format_when(datetime(2026, 3, 1, 9, 5, tzinfo=UTC), now) == (
            "Mar 1, 09:05 UTC"
        )
        assert display.format_when(datetime(2025, 3, 1, 9, 5, tzinfo=UTC), now) == (
            "Mar 1 2025, 09:05 UTC"
        )


def test_a_time_at_the_edge_of_the_calendar_still_renders_west_of_utc():
    with timezone.override(ZoneInfo("America/Los_Angeles")):
        assert display.format_when(datetime(1, 1, 1, 0, 0, tzinfo=UTC)) == "Jan 1 1, 00:00 UTC"


def test_the_timeline_sort_key_sorts_as_text_across_the_calendar():
    moments = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(999, 5, 1, tzinfo=UTC),
        datetime(2026, 11, 22, 15, 12, 0, 5, tzinfo=UTC),
        datetime(2026, 11, 22, 15, 12, 0, 40, tzinfo=UTC),
    ]
    keys = [display.utc_key(moment) for moment in moments]
    assert sorted(keys) == keys and keys[0] == "0001-01-01T00:00:00.000000Z"


def test_zone_names_let_the_browser_mark_times_as_the_server_does():
    names = display.zone_names("Europe/Paris", datetime(2026, 11, 22, tzinfo=UTC))
    assert names == {"+01:00": "CET", "+02:00": "CEST"}


def test_viewers_see_neither_declare_nor_controls_they_cannot_use(cast, client):
    incident = declare(cast)
    client.force_login(cast.viewer)
    for path in ("/incidents/", f"/incidents/{incident.ref}/", "/services/"):
        html = client.get(path).content.decode()
        assert "Declare incident" not in html, path
    html = client.get(f"/incidents/{incident.ref}/").content.decode()
    assert "data-move=" not in html and "/severity/" not in html and "/merge/" not in html
    client.force_login(cast.responder)
    assert "Declare incident" in client.get("/services/").content.decode()


def test_the_list_filters_replace_main_instead_of_nesting_it(cast, signed_in):
    html = signed_in.get("/incidents/").content.decode()
    form = re.search(r'<form method="get" class="filters"[^>]*>', html).group(0)
    assert 'hx-select="#main"' in form and 'hx-target="#main"' in form
    assert 'hx-swap="outerHTML"' in form


def test_forms_name_their_empty_choices_and_group_the_services(cast, signed_in, service):
    html = signed_in.get("/incidents/new/").content.decode()
    assert "---------" not in html
    assert ">No team</option>" in html
    assert re.search(r"<fieldset[^>]*>\s*<legend>Services", html)
    incident = declare(cast)
    html = signed_in.get(f"/incidents/{incident.ref}/").content.decode()
    assert "---------" not in html and ">Choose a person…</option>" in html


def test_removing_someone_from_a_role_asks_first_and_more_so_for_the_commander(cast, signed_in):
    incident = declare(cast)
    html = signed_in.get(f"/incidents/{incident.ref}/").content.decode()
    assert "will have no commander until someone takes the role" in html
    lifecycle.add_note(incident, cast.responder, "Mine")
    html = signed_in.get(f"/incidents/{incident.ref}/").content.decode()
    assert 'name="reason"' in html and 'data-confirm="Strike through note #' in html


def test_acknowledging_makes_the_person_commander_when_there_is_none(cast):
    incident = incident_in(cast, Status.TRIGGERED)
    lifecycle.acknowledge(incident, cast.admin)
    assert [(r.role, r.user) for r in incident.roles.all()] == [("commander", cast.admin)]
    kinds = list(incident.events.order_by("seq").values_list("kind", flat=True))
    assert kinds[-2:] == ["ack", "role"]


def test_acknowledging_keeps_a_commander_already_named(cast):
    incident = declare(cast, actor=None, commander=cast.admin)
    lifecycle.acknowledge(incident, cast.responder)
    assert [(r.role, r.user) for r in incident.roles.all()] == [("commander", cast.admin)]


def test_the_declare_page_tells_a_viewer_how_to_become_a_responder(cast, client):
    client.force_login(cast.viewer)
    html = client.get("/incidents/new/").content.decode()
    assert "Only responders declare incidents" in html and 'name="title"' not in html


def test_the_live_edit_form_holds_the_incident_as_it_is_now(cast):
    incident = declare(cast, title="Checkout errors")
    lifecycle.update(incident, cast.admin, title="Payments gateway down")
    state = incident_payload(Incident.objects.for_list().get(pk=incident.pk))
    assert 'value="Payments gateway down"' in state["edit_html"]
    assert 'name="csrfmiddlewaretoken"' in state["edit_html"], "the page fills in its token"
