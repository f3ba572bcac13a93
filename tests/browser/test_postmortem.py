"""The postmortem in Chromium: script in any Markdown field never runs (editor previews and
the published page); two editors save the same section and nothing is lost; the checker
underlines a blameful sentence with a suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import TestCase

from accounts.models import Membership, Role, Team
from incidents import lifecycle
from incidents.models import Severity
from incidents.postmortems import records, workflow
from incidents.postmortems.models import Postmortem, Section

from ..helpers import make_user
from .test_incident_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYLOADS = (
    "<script>window.pwned = 'script'</script>\n\n"
    '<img src="x" onerror="window.pwned = \'onerror\'">\n\n'
    "[click me](javascript:window.pwned='link')\n\n"
    "<a href=\"javascript:window.pwned='raw-link'\">raw link</a>\n\n"
    "![img](javascript:window.pwned='image')\n\n"
    '<svg onload="window.pwned = \'svg\'"></svg> <iframe src="javascript:1"></iframe>'
)


def team_with(*emails: str):
    team = Team.objects.create(name="Ops", slug="ops")
    people = [make_user(email) for email in emails]
    for person in people:
        Membership.objects.create(team=team, user=person, role=Role.RESPONDER)
    return team, people


def resolved_incident(team, actor):
    incident = lifecycle.declare(actor, title="Checkout errors", severity=Severity.SEV2, team=team)
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.resolve(incident, actor)
    return incident


def assert_nothing_ran(page) -> None:
    assert page.evaluate("window.pwned === undefined"), page.evaluate("window.pwned")
    found = page.evaluate(
        """() => Array.from(document.querySelectorAll('.prose *, .pm-preview *')).filter(
            (el) => el.tagName === 'SCRIPT' || el.tagName === 'IFRAME' || el.tagName === 'SVG'
              || Array.from(el.attributes).some((a) => a.name.startsWith('on'))
              || /^\\s*javascript:/i.test(el.getAttribute('href') || el.getAttribute('src') || '')
          ).map((el) => el.outerHTML)"""
    )
    assert found == []


def test_script_in_every_markdown_field_never_runs(asgi_server, new_page):
    team, (ana, tom) = team_with("ana@example.com", "tom@example.com")
    incident = resolved_incident(team, ana)
    postmortem = Postmortem.objects.get(incident=incident)
    workflow.save_sections(postmortem, ana, 1, dict.fromkeys(Section.values, PAYLOADS))
    records.add_factor(postmortem, ana, category="technical", description=PAYLOADS)
    records.add_action_item(postmortem, ana, title=PAYLOADS[:200])
    records.add_comment(postmortem, ana, section="summary", body=PAYLOADS)
    page = new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, asgi_server, "ana@example.com")

    page.goto(f"{asgi_server}/incidents/{incident.ref}/postmortem/")
    # The live previews replace the server-rendered ones once they come back.
    page.locator('[data-preview-for="lessons"][data-live="true"]').wait_for()
    page.get_by_label("Summary (Markdown)").fill(PAYLOADS + "\n\n**typed live**")
    page.locator('[data-preview-for="summary"] strong', has_text="typed live").wait_for()
    assert_nothing_ran(page)
    # The unsafe link is shown as text, not as a link.
    assert (
        "javascript:window.pwned='link'"
        in page.locator('[data-preview-for="summary"]').inner_text()
    )
    assert_nothing_ran(page)

    page.get_by_text("All changes saved (version 3).").wait_for()  # autosaved

    workflow.request_review(postmortem, ana, [tom])
    workflow.approve(postmortem, tom, findings_acknowledged=True)
    workflow.publish(Postmortem.objects.get(pk=postmortem.pk), ana)
    page.goto(f"{asgi_server}/incidents/{incident.ref}/postmortem/")
    page.get_by_text("Published").first.wait_for()
    assert page.locator(".pm-rendered").count() == len(Section.values)
    assert_nothing_ran(page)
    assert dialogs == []


def test_two_editors_save_the_same_section_and_nothing_is_lost(asgi_server, new_page):
    team, (ana, tom) = team_with("ana@example.com", "tom@example.com")
    tom.display_name = "Tom Becker"
    tom.save()
    incident = resolved_incident(team, ana)
    lifecycle.assign_role(incident, ana, "scribe", tom)
    first, second = new_page(), new_page()
    log_in(first, asgi_server, "ana@example.com")
    log_in(second, asgi_server, "tom@example.com")
    url = f"{asgi_server}/incidents/{incident.ref}/postmortem/"
    first.goto(url)
    second.goto(url)

    first.get_by_label("Summary (Markdown)").fill("Ana: the pool ran out of connections.")
    first.get_by_text("All changes saved (version 2).").wait_for()

    second.get_by_label("Summary (Markdown)").fill("Tom Becker forgot to renew the certificate.")
    # The checker underlines the blameful sentence and suggests a rewording.
    mark = second.locator('[data-check-for="summary"] mark.finding')
    mark.wait_for()
    assert mark.inner_text() == "Tom Becker forgot to"
    assert "Try:" in mark.get_attribute("title")
    second.get_by_role("button", name="Save now").click()
    second.get_by_role("heading", name="Someone else saved while you were editing").wait_for()
    merge = second.locator("#pm-merge")
    assert merge.get_by_label("Your text").input_value() == (
        "Tom Becker forgot to renew the certificate."
    )
    assert merge.get_by_label("Their text").input_value() == (
        "Ana: the pool ran out of connections."
    )
    merge.get_by_role("button", name="Keep both").click()
    merge.get_by_label("Merged").fill(
        "Ana: the pool ran out of connections.\n\nThe certificate was not renewed."
    )
    merge.get_by_role("button", name="Save the merged text").click()
    second.get_by_text("All changes saved (version 3).").wait_for()

    saved = Postmortem.objects.get(incident=incident).sections["summary"]
    assert saved == "Ana: the pool ran out of connections.\n\nThe certificate was not renewed."


def test_resolve_write_review_publish_and_export_in_the_browser(asgi_server, new_page):
    """The issue's "done when": after resolving an incident, a person writes and publishes
    a postmortem with factors and action items, sees the checker flag a blameful sentence
    with a suggestion, and exports it."""
    team, (ana, tom) = team_with("ana@example.com", "tom@example.com")
    Membership.objects.filter(user=tom).update(role=Role.ADMIN)
    incident = lifecycle.declare(ana, title="Checkout errors", severity=Severity.SEV2, team=team)
    lifecycle.add_note(incident, ana, "Pool at 100% since 09:02.")
    page = new_page()
    log_in(page, asgi_server, "ana@example.com")
    page.goto(f"{asgi_server}/incidents/{incident.ref}/")
    with page.expect_navigation():
        page.locator("#incident-actions").get_by_role("button", name="Resolve", exact=True).click()
    page.reload()  # the draft is made after the change commits
    page.locator("#postmortem-panel").get_by_role("link", name="Draft postmortem").click()

    # The prompts are hints (placeholders), not text: an untouched section is empty.
    impact = page.get_by_label("Customer impact (Markdown)")
    assert impact.input_value() == ""
    assert impact.get_attribute("placeholder").startswith("Who was affected")
    summary = page.get_by_label("Summary (Markdown)")
    summary.fill("The on-call engineer forgot to scale the pool.")
    mark = page.locator('[data-check-for="summary"] mark.finding')
    mark.wait_for()
    assert "Try:" in mark.get_attribute("title")
    page.get_by_text("All changes saved (version 2).").wait_for(timeout=30_000)  # a busy machine
    summary.fill("The pool did not scale: its size is fixed in the config.")
    page.locator('[data-check-for="summary"] .pm-annotated').wait_for(state="detached")
    page.get_by_text("All changes saved (version 3).").wait_for()

    page.get_by_text("Add a contributing factor").click()
    page.get_by_label("Category").select_option("technical")
    page.get_by_label("Description").fill("The pool size is fixed in the config.")
    page.get_by_label("Evidence (event numbers)").fill("3")
    with page.expect_navigation():
        page.get_by_role("button", name="Add factor").click()
    page.get_by_text("Add an action item").click()
    page.get_by_label("Title").fill("Size the pool from traffic")
    page.get_by_label("Owner (email)").fill("tom@example.com")
    with page.expect_navigation():
        page.get_by_role("button", name="Add action item").click()
    page.get_by_label("Reviewers (emails)").fill("tom@example.com")
    with page.expect_navigation():
        page.get_by_role("button", name="Request review").click()

    reviewer = new_page()
    log_in(reviewer, asgi_server, "tom@example.com")
    reviewer.goto(f"{asgi_server}/incidents/{incident.ref}/postmortem/")
    with reviewer.expect_navigation():
        reviewer.get_by_role("button", name="Approve version 3").click()

    page.reload()
    with page.expect_navigation():
        page.get_by_role("button", name="Publish", exact=True).click()
    # Five sections were never written: publishing asks first, naming them.
    confirm = page.get_by_role("alertdialog", name="Publish with 5 empty sections?")
    assert confirm.get_by_role("listitem").all_inner_texts() == [
        "Customer impact", "What went well", "What was difficult", "Where we got lucky",
        "Lessons",
    ]  # fmt: skip
    assert Postmortem.objects.get(incident=incident).status == "in_review"
    with page.expect_navigation():
        confirm.get_by_role("button", name="Publish with these sections empty").click()
    page.get_by_text("Published", exact=True).first.wait_for()
    assert page.locator("textarea").count() == 0  # read-only now
    assert page.locator("#factors").get_by_text("The pool size is fixed").is_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download Markdown").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert "The pool did not scale" in text
    assert "| Size the pool from traffic | tom@example.com |" in text
