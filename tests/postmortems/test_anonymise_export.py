"""Anonymised publishing leaves no user's name or email in the published text, timeline,
records or export; the Markdown export downloads the whole postmortem."""

from __future__ import annotations

from accounts.models import User
from incidents.postmortems import records, workflow

from ..helpers import api_client
from .helpers import postmortem_of, publishable, seeded_incident


def names_and_emails() -> list[str]:
    found = []
    for user in User.objects.all():
        found += [user.email, user.display_name, user.email.split("@")[0]]
    return [f for f in found if f]


def test_anonymised_publishing_leaves_no_name_or_email_anywhere(cast, client):
    incident = seeded_incident(cast)
    postmortem = postmortem_of(incident)
    text = {
        "summary": "Priya Nair paged Tom. Tom Becker (admin@example.com) rolled back; "
        "priya said responder@example.com was paged twice."
    }
    workflow.save_sections(postmortem, cast.responder, 1, text)
    records.add_factor(
        postmortem,
        cast.responder,
        category="process",
        description="Tom Becker had no staging access.",
    )
    records.add_action_item(
        postmortem, cast.responder, title="Give Priya a runbook", owner=cast.admin
    )
    publishable(postmortem_of(incident), cast.responder, cast.admin)
    response = api_client(cast.responder).post(
        f"/api/v1/incidents/{incident.ref}/postmortem/publish/",
        {"anonymise": True, "allow_empty": True},
        format="json",
    )
    assert response.status_code == 200
    published = response.json()
    assert published["anonymised"] is True
    summary = published["sections"]["summary"]
    assert "Incident commander paged Scribe" in summary
    client.force_login(cast.viewer)
    outputs = {
        "api": str(published["sections"]),
        "page": client.get(f"/incidents/{incident.ref}/postmortem/").content.decode(),
        "export": client.get(f"/incidents/{incident.ref}/postmortem/export.md").content.decode(),
    }
    for where, output in outputs.items():
        for word in names_and_emails():
            if where == "page" and word.lower() in ("viewer", "viewer@example.com"):
                continue  # the page's top bar names the person reading it
            assert word.lower() not in output.lower(), f"{word!r} left in the {where}"
    assert "Incident commander" in outputs["export"]


def test_without_anonymising_the_names_stay(cast):
    incident = seeded_incident(cast)
    postmortem = postmortem_of(incident)
    workflow.save_sections(postmortem, cast.responder, 1, {"summary": "Priya Nair paged Tom."})
    publishable(postmortem_of(incident), cast.responder, cast.admin)
    published = workflow.publish(postmortem_of(incident), cast.responder, allow_empty=True)
    assert published.published_sections["summary"] == "Priya Nair paged Tom."


def test_the_markdown_export_is_a_download_with_every_section_and_record(cast, client):
    incident = seeded_incident(cast)
    postmortem = postmortem_of(incident)
    records.add_factor(
        postmortem, cast.responder, category="tooling", description="No dry-run mode.", evidence=[1]
    )
    records.add_action_item(postmortem, cast.responder, title="Add a dry-run flag")
    client.force_login(cast.viewer)
    response = client.get(f"/incidents/{incident.ref}/postmortem/export.md")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    assert text.startswith(f"# Postmortem — {incident.ref}: Checkout errors")
    for heading in (
        "## Summary",
        "## Customer impact",
        "## Timeline",
        "## Lessons",
        "## Where we got lucky",
    ):
        assert heading in text
    assert "**Tooling**: No dry-run mode. (evidence: [#1](" in text
    assert "| Add a dry-run flag | unassigned |" in text


def test_the_export_links_absolutely_and_lists_each_factor_and_item_once(cast, client, settings):
    settings.SITE_URL = "https://keel.example.org"
    incident = seeded_incident(cast)
    postmortem = postmortem_of(incident)
    workflow.save_sections(postmortem, cast.responder, 1, {
        "factors": "Two conditions lined up; see [the room](#event-2) and [the list](/incidents/).",
        "lessons": "[Runbook][rb]\n\n[rb]: /runbooks/checkout/",
    })  # fmt: skip
    records.add_factor(postmortem, cast.responder, category="tooling",
                       description="No dry-run mode.", evidence=[1])  # fmt: skip
    records.add_action_item(postmortem, cast.responder, title="Add a dry-run flag",
                            link="https://tracker.example.org/KEEL-7")  # fmt: skip
    client.force_login(cast.viewer)
    text = client.get(f"/incidents/{incident.ref}/postmortem/export.md").content.decode()

    site = "https://keel.example.org"
    page = f"{site}/incidents/{incident.ref}/postmortem/"
    assert f"[Incident {incident.ref}]({site}/incidents/{incident.ref}/)" in text
    # The draft's timeline links to the incident's events, now with the host.
    assert f"]({site}/incidents/{incident.ref}/#event-" in text
    assert f"see [the room]({page}#event-2) and [the list]({site}/incidents/)." in text
    assert f"[rb]: {site}/runbooks/checkout/" in text
    assert f"(evidence: [#1]({site}/incidents/{incident.ref}/#event-1))" in text
    assert "](/" not in text and "](#" not in text and "]: /" not in text
    # Each thing once: one heading per section, the records under it after the prose.
    assert text.count("## Contributing factors") == text.count("## Action items") == 1
    assert "(records)" not in text
    assert text.count("No dry-run mode.") == text.count("Add a dry-run flag") == 1
    factors = text.split("## Contributing factors")[1].split("## ")[0]
    assert factors.index("Two conditions") < factors.index("**Tooling**: No dry-run mode.")
    actions = text.split("## Action items")[1].split("## ")[0]
    assert "| [Add a dry-run flag](https://tracker.example.org/KEEL-7) | unassigned |" in actions
    assert "## What went well\n\n_(empty)_" in text


def test_the_page_has_a_print_stylesheet(cast, client):
    incident = seeded_incident(cast)
    client.force_login(cast.viewer)
    page = client.get(f"/incidents/{incident.ref}/postmortem/").content.decode()
    assert "css/postmortems.css" in page
    css = client.get("/static/css/postmortems.css")
    body = b"".join(css.streaming_content) if css.streaming else css.content
    assert b"@media print" in body


def test_the_page_shows_factors_and_items_once_under_their_own_sections(cast, client):
    incident = seeded_incident(cast)
    postmortem = postmortem_of(incident)
    records.add_factor(postmortem, cast.responder, category="tooling",
                       description="No dry-run mode.")  # fmt: skip
    records.add_action_item(postmortem, cast.responder, title="Add a dry-run flag")
    publishable(postmortem_of(incident), cast.responder, cast.admin)
    workflow.publish(postmortem_of(incident), cast.responder, allow_empty=True)
    client.force_login(cast.viewer)
    page = client.get(f"/incidents/{incident.ref}/postmortem/").content.decode()
    assert page.count(">Contributing factors</h2>") == page.count(">Action items</h2>") == 1
    factors = page.split('id="section-factors"')[1].split('id="section-went_well"')[0]
    assert "No dry-run mode." in factors and "Left empty." not in factors
    actions = page.split('id="section-actions"')[1].split('id="section-lessons"')[0]
    assert "Add a dry-run flag" in actions and "Left empty." not in actions
    assert page.count("No dry-run mode.") == page.count("Add a dry-run flag") == 1
