"""A responder logs in, declares an incident and adds a note, in Chromium."""

from __future__ import annotations

import re

import pytest

from accounts.models import Membership, Role, Team
from incidents.models import Incident

from ..helpers import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Incidents").wait_for()


def test_log_in_declare_an_incident_and_add_a_note(asgi_server, new_page):
    team = Team.objects.create(name="Ops", slug="ops")
    user = make_user("ana@example.com")
    Membership.objects.create(team=team, user=user, role=Role.RESPONDER)
    page = new_page()

    log_in(page, asgi_server, "ana@example.com")
    page.get_by_role("link", name="Declare incident").first.click()
    page.get_by_label("Title").fill("Checkout requests failing")
    page.get_by_label("Severity").select_option("SEV1")
    page.get_by_label("Summary").fill("About **30%** of checkouts fail.")
    page.get_by_role("button", name="Declare incident").click()

    page.wait_for_url(re.compile(r"/incidents/INC-\d+/$"))
    incident = Incident.objects.get()
    assert page.get_by_role("heading", name="Checkout requests failing").is_visible()
    assert page.locator(".incident-badges .sev-SEV1").is_visible()
    assert page.locator(".summary strong", has_text="30%").is_visible()

    page.get_by_label("Note").fill("Rolled back the 09:05 deploy; *errors falling*.")
    with page.expect_navigation():
        page.get_by_role("button", name="Add note").click()
    note = page.locator(".timeline .event-note").last
    note.get_by_text("errors falling").wait_for()
    assert note.locator("em").inner_text() == "errors falling"
    assert incident.events.filter(kind="note", author=user).count() == 1

    page.reload()
    assert page.locator(".timeline .event-note em", has_text="errors falling").is_visible()
