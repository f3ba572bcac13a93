"""Two people in two browsers on one incident, each on a different server process.
Changes appear without reloading; a cut connection loses nothing."""

from __future__ import annotations

import re

import pytest

from accounts.models import Membership, Role, Team

from ..helpers import make_user
from .test_incident_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def note_texts(page) -> list[str]:
    return page.locator(".timeline .event-note .event-body").all_inner_texts()


def submit(page, button: str) -> None:
    """Click a form's button and wait for the page it leads to (forms post, then redirect
    back to the incident; the socket may show the change before the new page loads)."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()
    page.locator('#live-status[data-state="live"]').wait_for()


def add_note(page, text: str) -> None:
    page.get_by_label("Note").fill(text)
    submit(page, "Add note")
    page.locator(".timeline .event-note", has_text=text).wait_for()


def test_two_people_see_each_others_changes_and_a_reconnect_loses_nothing(two_servers, new_page):
    from incidents import lifecycle

    server_a, server_b = two_servers
    team = Team.objects.create(name="Ops", slug="ops")
    ana, ben = make_user("ana@example.com"), make_user("ben@example.com")
    for person in (ana, ben):
        Membership.objects.create(team=team, user=person, role=Role.RESPONDER)
    incident = lifecycle.declare(ana, title="Checkout errors", team=team)

    page_a, page_b = new_page(), new_page()
    log_in(page_a, server_a.url, "ana@example.com")
    log_in(page_b, server_b.url, "ben@example.com")
    for page, server in ((page_a, server_a), (page_b, server_b)):
        page.goto(f"{server.url}/incidents/{incident.ref}/")
        page.locator('#live-status[data-state="live"]').wait_for()
    # Both are listed as present on both pages, though they are on different servers.
    for page in (page_a, page_b):
        page.locator("#presence", has_text="Ana").wait_for()
        page.locator("#presence", has_text="Ben").wait_for()
    page_b.evaluate("window.notReloaded = true")

    add_note(page_a, "Error rate is 30%")
    page_b.locator(".timeline .event-note", has_text="Error rate is 30%").wait_for(timeout=3000)

    page_a.locator('select[name="severity"]').select_option("SEV1")
    submit(page_a, "Set")
    page_b.locator("#incident-badges .sev-SEV1").wait_for(timeout=3000)
    submit(page_a, "Identified")
    page_b.locator("#incident-badges .status-identified").wait_for(timeout=3000)

    # Cut Ben's connection by stopping his server; Ana posts three notes meanwhile.
    server_b.stop()
    page_b.locator('#live-status[data-state="reconnecting"]').wait_for()
    assert page_b.locator("#live-status").inner_text() == "Reconnecting…"
    for text in ("Rolled back deploy 412", "Errors falling", "Back to normal"):
        add_note(page_a, text)
    server_b.start()
    page_b.locator('#live-status[data-state="live"]').wait_for(timeout=20000)
    page_b.locator(".timeline .event-note", has_text="Back to normal").wait_for()

    expected = ["Error rate is 30%", "Rolled back deploy 412", "Errors falling", "Back to normal"]
    assert note_texts(page_b) == expected
    assert note_texts(page_a) == expected
    seqs = [int(s) for s in page_b.locator(".timeline > li").evaluate_all(
        "items => items.map(item => item.dataset.seq)")]  # fmt: skip
    assert seqs == sorted(set(seqs)) == list(range(1, len(seqs) + 1))
    assert page_b.evaluate("window.notReloaded") is True
    # Ben may strike Ana's note? No: only its author or an admin. Ana sees her strike control.
    assert page_b.locator(".event-note [data-requires=strike]").count() == 0
    assert page_a.locator(".event-note [data-requires=strike]").count() == 4
    assert re.search(r"INC-\d+", page_b.title())

    # The header's actions follow the status: nothing to acknowledge, and once Ana
    # resolves it, Ben is offered Reopen without reloading.
    reopen = page_b.get_by_role("button", name="Reopen")
    assert not page_b.get_by_role("button", name="Acknowledge").is_visible()
    assert not reopen.is_visible()
    submit(page_a, "Resolve")
    reopen.wait_for(state="visible", timeout=3000)
    assert page_b.evaluate("window.notReloaded") is True
