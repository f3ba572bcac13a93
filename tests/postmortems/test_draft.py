"""The draft: created when a SEV1/SEV2 incident resolves, on request otherwise, and
pre-filled from the seeded timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.test import TestCase

from incidents import lifecycle
from incidents.models import Incident, Severity, TimelineEvent
from incidents.postmortems.draft import key_times
from incidents.postmortems.models import Postmortem, SectionTemplate

from ..helpers import api_client, declare
from .helpers import postmortem_of, seeded_incident


def test_resolving_a_sev2_drafts_the_postmortem_and_says_so_on_the_timeline(cast):
    incident = seeded_incident(cast)
    postmortem = postmortem_of(incident)
    assert postmortem.status == "draft"
    assert postmortem.version == 1
    last = TimelineEvent.objects.filter(incident=incident).order_by("-seq").first()
    assert last.kind == "postmortem"
    assert last.body == "Postmortem draft created."


def test_the_draft_is_prefilled_with_times_people_alerts_and_the_timeline(cast):
    incident = seeded_incident(cast)
    timeline = postmortem_of(incident).sections["timeline"]
    for moment in ("Impact started", "Detected", "Acknowledged", "Mitigated", "Resolved"):
        assert moment in timeline
    assert "Time to resolve:" in timeline
    assert "Incident commander: Priya Nair (responder@example.com)" in timeline
    assert "Scribe: Tom Becker (admin@example.com)" in timeline
    assert "HighErrorRate firing" in timeline
    # The highlighted note is in; the note nobody highlighted is not.
    assert "Rolled back release 2024.11.3." in timeline
    assert "Error rate on checkout at 30%." not in timeline
    assert "severity SEV2 → SEV1" in timeline
    assert "status investigating → resolved" in timeline


def test_a_sev3_is_not_drafted_automatically_but_can_be_started_on_request(cast):
    incident = declare(cast, severity=Severity.SEV3)
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.resolve(incident, cast.responder)
    assert not Postmortem.objects.filter(incident=incident).exists()
    client = api_client(cast.responder)
    response = client.post(f"/api/v1/incidents/{incident.ref}/postmortem/")
    assert response.status_code == 201
    assert response.json()["status"] == "draft"
    again = client.post(f"/api/v1/incidents/{incident.ref}/postmortem/")
    assert again.status_code == 200
    assert Postmortem.objects.filter(incident=incident).count() == 1


def test_get_before_there_is_a_postmortem_is_a_404_that_says_how_to_start(cast):
    incident = declare(cast, severity=Severity.SEV3)
    response = api_client(cast.viewer).get(f"/api/v1/incidents/{incident.ref}/postmortem/")
    assert response.status_code == 404
    assert "POST" in response.json()["detail"]


def test_highlighting_from_the_room_records_a_live_event(cast, client):
    incident = declare(cast)
    note = lifecycle.add_note(incident, cast.responder, "Restarted the pooler.")
    client.force_login(cast.responder)
    response = client.post(f"/incidents/{incident.ref}/events/{note.seq}/highlight/")
    assert response.status_code == 302
    last = TimelineEvent.objects.filter(incident=incident).order_by("-seq").first()
    assert (last.kind, last.data) == ("postmortem", {"highlight": note.seq})
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Highlight for postmortem" in page
    assert f'Highlighted <a href="#event-{note.seq}"' in page
    assert "Highlighted for the postmortem" in page  # the event itself, marked


def test_the_checker_runs_on_timeline_notes(cast, client):
    incident = declare(cast)
    lifecycle.add_note(incident, cast.responder, "The operator was careless with the flag.")
    lifecycle.add_note(incident, cast.responder, "The deploy failed to start.")
    client.force_login(cast.viewer)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert page.count('class="note-findings') == 1
    assert ">careless</span>" in page


def test_key_times_show_every_duration_even_a_zero_one():
    moment = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    incident = Incident(
        number=7,
        title="t",
        impact_started_at=moment - timedelta(minutes=65),
        detected_at=moment,
        acknowledged_at=moment,
        mitigated_at=moment + timedelta(seconds=40),
    )
    table = key_times(incident)
    assert "| Detected | 2030-01-01 09:00 UTC | 1 h 05 min |" in table
    assert "| Acknowledged | 2030-01-01 09:00 UTC | 0 s |" in table
    assert "| Mitigated | 2030-01-01 09:00 UTC | 40 s |" in table
    assert "| Resolved | — |  |" in table


def test_resolving_again_after_a_reopen_keeps_the_one_postmortem(cast):
    incident = seeded_incident(cast)
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.reopen(incident, cast.responder)
        lifecycle.resolve(incident, cast.responder)
    assert Postmortem.objects.filter(incident=incident).count() == 1
    created = TimelineEvent.objects.filter(incident=incident, body="Postmortem draft created.")
    assert created.count() == 1


def test_admins_set_the_prompt_of_a_section_which_is_a_hint_not_text(cast, client):
    SectionTemplate.objects.create(section="lessons", text="What surprised us?")
    incident = seeded_incident(cast)
    sections = postmortem_of(incident).sections
    assert sections["lessons"] == sections["went_well"] == ""
    client.force_login(cast.responder)
    page = client.get(f"/incidents/{incident.ref}/postmortem/").content.decode()
    assert 'placeholder="What surprised us?"' in page
    assert 'placeholder="What helped: tools, habits, people working together."' in page
