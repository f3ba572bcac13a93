"""Section prompts are placeholders, never text: a new draft's untouched sections are empty,
old drafts lose the prompts they stored, and publishing with empty sections asks first,
naming them (the page asks; the API answers 409 unless `allow_empty`)."""

from __future__ import annotations

import importlib

from django.apps import apps

from incidents.postmortems import records, workflow
from incidents.postmortems.models import Postmortem, SectionTemplate

from ..helpers import api_client
from .helpers import postmortem_of, publishable, seeded_incident

migration = importlib.import_module(
    "incidents.postmortems.migrations.0002_section_prompts_are_placeholders"
)


def base(incident) -> str:
    return f"/api/v1/incidents/{incident.ref}/postmortem/"


def write_all_but(postmortem: Postmortem, actor, *keys: str) -> Postmortem:
    text = {key: f"Written: {key}." for key in migration.OLD_PROMPTS if key not in keys}
    return workflow.save_sections(postmortem, actor, postmortem.version, text)


def test_a_new_draft_stores_no_prompt_and_the_editor_shows_them_as_placeholders(cast, client):
    incident = seeded_incident(cast)
    sections = postmortem_of(incident).sections
    assert sections["impact"] == sections["went_well"] == sections["lessons"] == ""
    assert sections["summary"] == incident.summary  # what the incident already says
    assert "### Key times" in sections["timeline"]
    client.force_login(cast.responder)
    page = client.get(f"/incidents/{incident.ref}/postmortem/").content.decode()
    # The prompt is the empty textarea's placeholder, not its text.
    assert (
        'placeholder="Who was affected, how, and for how long. Numbers where we have them.">'
        "</textarea>" in page
    )


def test_publishing_with_empty_sections_is_refused_naming_them_until_allowed(cast):
    incident = seeded_incident(cast)
    postmortem = write_all_but(postmortem_of(incident), cast.responder, "impact", "lucky",
                               "factors", "actions")  # fmt: skip
    # Recorded factors and action items count as written, without prose around them.
    records.add_factor(postmortem, cast.responder, category="tooling", description="No dry run.")
    publishable(postmortem_of(incident), cast.responder, cast.admin)
    client = api_client(cast.responder)
    assert client.get(base(incident)).json()["empty_sections"] == ["impact", "lucky", "actions"]

    refused = client.post(base(incident) + "publish/", {}, format="json")
    assert refused.status_code == 409
    body = refused.json()
    assert body["empty_sections"] == ["impact", "lucky", "actions"]
    assert "Customer impact, Where we got lucky, Action items" in body["detail"]
    assert "allow_empty" in body["detail"]
    assert postmortem_of(incident).status == "in_review"

    published = client.post(base(incident) + "publish/", {"allow_empty": True}, format="json")
    assert published.status_code == 200
    assert published.json()["status"] == "published"


def test_a_postmortem_with_every_section_written_publishes_without_asking(cast):
    incident = seeded_incident(cast)
    postmortem = write_all_but(postmortem_of(incident), cast.responder)
    records.add_action_item(postmortem, cast.responder, title="Add a dry run")
    publishable(postmortem_of(incident), cast.responder, cast.admin)
    published = api_client(cast.responder).post(base(incident) + "publish/", {}, format="json")
    assert published.status_code == 200
    assert published.json()["empty_sections"] == []


def test_the_page_asks_before_publishing_with_empty_sections(cast, client):
    incident = seeded_incident(cast)
    write_all_but(postmortem_of(incident), cast.responder, "lessons", "went_well", "actions")
    publishable(postmortem_of(incident), cast.responder, cast.admin)
    client.force_login(cast.responder)
    url = f"/incidents/{incident.ref}/postmortem/"
    before = client.get(url).content.decode()
    assert 'id="empty-warning"' in before and "Publishing will ask you to confirm." in before

    asked = client.post(url + "publish/", {"anonymise": "on"})
    assert asked.status_code == 409
    page = asked.content.decode()
    assert "Publish with 3 empty sections?" in page
    for label in ("What went well", "Action items", "Lessons"):
        assert f">{label}</a></li>" in page
    assert '<input type="hidden" name="anonymise" value="on">' in page
    assert postmortem_of(incident).status == "in_review"

    confirmed = client.post(url + "publish/", {"anonymise": "on", "allow_empty": "on"})
    assert confirmed.status_code == 302
    published = postmortem_of(incident)
    assert published.status == "published" and published.anonymised
    shown = client.get(url).content.decode()
    assert shown.count("Left empty.") == 3


def test_old_drafts_lose_the_untouched_prompts_they_stored(cast):
    SectionTemplate.objects.create(section="lessons", text="What surprised us?")
    incident = seeded_incident(cast)
    postmortem = postmortem_of(incident)
    old = migration.OLD_PROMPTS
    stored = {
        **postmortem.sections,
        "summary": "Checkout failed for 30% of users.\n\n" + old["summary"],
        "timeline": postmortem.sections["timeline"],
        "impact": old["impact"] + "\n",
        "went_well": "Paging worked.",
        "difficult": "No dashboards.\n\n" + old["difficult"],
        "lessons": "What surprised us?",
        "lucky": old["lucky"],
    }
    Postmortem.objects.filter(pk=postmortem.pk).update(
        sections=stored, published_sections={"impact": old["impact"], "lessons": "Pools."}
    )
    migration.forwards(apps, None)
    postmortem.refresh_from_db()
    assert postmortem.sections == {
        **stored,
        "summary": "Checkout failed for 30% of users.",
        "impact": "",
        "difficult": "No dashboards.",
        "lessons": "",
        "lucky": "",
    }
    assert postmortem.published_sections == {"impact": "", "lessons": "Pools."}
    assert postmortem.version == 1  # nothing a person wrote changed
