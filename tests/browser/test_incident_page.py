"""The incident page in Chromium: status buttons move the incident and every other open page's
controls follow at once; a back-dated note lands where it belongs; confirmations ask before
hard-to-undo changes; and nothing on the way breaks the Content-Security-Policy."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import ApiToken, Membership, Role, Team
from incidents import lifecycle

from ..helpers import make_user
from .test_incident_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Collects what the browser refused under the Content-Security-Policy. Playwright's init
# scripts are not page scripts, so the policy does not apply to this one.
WATCH_CSP = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def watched(new_page):
    """A page that records CSP violations and console errors."""
    page = new_page()
    page.add_init_script(WATCH_CSP)
    page.console_errors = []
    page.on(
        "console",
        lambda message: (
            page.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    return page


def assert_no_csp_trouble(page) -> None:
    assert page.evaluate("window.cspViolations") == []
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []


def click_and_wait(page, button: str) -> None:
    with page.expect_navigation():
        page.locator("#incident-actions").get_by_role("button", name=button, exact=True).click()
    page.locator('#live-status[data-state="live"]').wait_for()


def open_incident(page, server: str, email: str, ref: str) -> None:
    log_in(page, server, email)
    page.goto(f"{server}/incidents/{ref}/")
    page.locator('#live-status[data-state="live"]').wait_for()


@pytest.fixture
def ops():
    team = Team.objects.create(name="Ops", slug="ops")
    ana = make_user("ana@example.com", time_zone="Europe/Paris")
    ben = make_user("ben@example.com", time_zone="Asia/Tokyo")
    for person in (ana, ben):
        Membership.objects.create(team=team, user=person, role=Role.RESPONDER)
    return team


def test_status_buttons_move_the_incident_and_the_other_page_follows(asgi_server, new_page, ops):
    incident = lifecycle.declare(None, title="Checkout errors", team=ops)
    page_a, page_b = watched(new_page), watched(new_page)
    open_incident(page_a, asgi_server, "ana@example.com", incident.ref)
    open_incident(page_b, asgi_server, "ben@example.com", incident.ref)
    page_b.evaluate("window.notReloaded = true")
    actions_b = page_b.locator("#incident-actions")
    assert actions_b.locator(".status-now").inner_text() == "Status: Triggered"
    assert actions_b.locator("button").first.inner_text() == "Acknowledge"

    click_and_wait(page_a, "Acknowledge")
    # Ben's page: the new status, the moves from it, and Ana as commander, without reloading.
    actions_b.locator(".status-now", has_text="Investigating").wait_for(timeout=3000)
    assert actions_b.locator("button").all_inner_texts() == [
        "Identified", "Mitigated", "Resolve", "Decline",
    ]  # fmt: skip
    page_b.locator("#roles", has_text="Ana").wait_for(timeout=3000)
    assert page_b.locator("#merge details").is_visible()

    # Ben is typing a reason and has the Merge card open when Ana resolves: both survive.
    actions_b.get_by_label("Why (optional)").fill("Waiting for the fix")
    page_b.locator("#merge summary").click()
    click_and_wait(page_a, "Resolve")
    actions_b.get_by_role("button", name="Reopen").wait_for(timeout=3000)
    assert actions_b.get_by_label("Why (optional)").input_value() == "Waiting for the fix"
    page_b.locator("#merge details").wait_for(state="detached", timeout=3000)
    assert page_a.locator("#merge details").count() == 0

    click_and_wait(page_a, "Reopen")
    actions_b.get_by_role("button", name="Identified").wait_for(timeout=3000)
    page_b.locator("#merge details").wait_for(timeout=3000)
    assert page_b.locator("#merge details").get_attribute("open") is None, "a new card, closed"
    assert page_b.locator("#assign-form").is_visible()
    assert page_b.evaluate("window.notReloaded") is True

    # Ana renames it: Ben's edit form holds the new title, so saving it would not undo hers.
    page_a.locator("#edit summary").click()
    page_a.locator("#edit").get_by_label("Title").fill("Checkout errors in eu-west")
    with page_a.expect_navigation():
        page_a.locator("#edit").get_by_role("button", name="Save").click()
    page_b.locator("#incident-title", has_text="Checkout errors in eu-west").wait_for(timeout=3000)
    assert page_b.locator("#edit").get_by_label("Title").input_value() == (
        "Checkout errors in eu-west"
    )

    # Every time on Ben's page, pushed or not, is in his zone and says so.
    times = page_b.locator("#timeline time[data-when]").all_inner_texts()
    assert len(times) >= 5 and all(t.endswith(" JST") for t in times), times
    for page in (page_a, page_b):
        assert_no_csp_trouble(page)


def test_a_back_dated_note_lands_in_the_order_things_happened(asgi_server, new_page, ops):
    ana = ops.memberships.get(user__email="ana@example.com").user
    incident = lifecycle.declare(ana, title="Search is slow", team=ops)
    now = timezone.now()
    lifecycle.add_note(incident, ana, "Half an hour ago", occurred_at=now - timedelta(minutes=30))
    lifecycle.add_note(incident, ana, "Just now")
    page_a, page_b = watched(new_page), watched(new_page)
    open_incident(page_a, asgi_server, "ana@example.com", incident.ref)
    open_incident(page_b, asgi_server, "ben@example.com", incident.ref)

    ten_minutes_ago = (now - timedelta(minutes=10)).astimezone(ZoneInfo("Europe/Paris"))
    page_a.get_by_label("Note").fill("Ten minutes ago")
    page_a.get_by_label("When").fill(ten_minutes_ago.strftime("%Y-%m-%dT%H:%M"))
    with page_a.expect_navigation():
        page_a.get_by_role("button", name="Add note").click()

    expected = ["Half an hour ago", "Ten minutes ago", "Just now"]
    for page in (page_a, page_b):
        note = page.locator(".timeline .event-note", has_text="Ten minutes ago")
        note.wait_for(timeout=3000)
        assert page.locator(".timeline .event-note .event-body").all_inner_texts() == expected
        assert note.locator(".back-dated").inner_text().startswith("back-dated · noted ")
    # Ben's copy arrived live and sits before the declaration, which came after it.
    kinds = page_b.locator(".timeline > li").evaluate_all(
        "items => items.map(item => item.className.split(' ')[1])"
    )
    assert kinds.index("event-declared") > 1
    for page in (page_a, page_b):
        assert_no_csp_trouble(page)


def test_removing_the_commander_asks_first(asgi_server, new_page, ops):
    ana = ops.memberships.get(user__email="ana@example.com").user
    incident = lifecycle.declare(ana, title="Queue backlog", team=ops)
    page = watched(new_page)
    open_incident(page, asgi_server, "ana@example.com", incident.ref)
    remove = page.get_by_role("button", name="Remove Ana as Incident commander")
    questions = []

    def answer(dialog, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    remove.click()
    assert "will have no commander" in questions[0]
    assert incident.roles.filter(role="commander").exists()

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    with page.expect_navigation():
        remove.click()
    assert not incident.roles.filter(role="commander").exists()
    assert_no_csp_trouble(page)


def test_list_filters_swap_the_page_without_nesting_it(asgi_server, new_page, ops):
    page = watched(new_page)
    log_in(page, asgi_server, "ana@example.com")
    page.locator("#f-severity").select_option("SEV1")
    page.wait_for_url("**severity=SEV1**")
    # The address changes as the swap starts: let htmx finish it before the next change.
    page.wait_for_load_state("networkidle")
    page.locator("#f-status").select_option("closed")
    page.wait_for_url("**status=closed**")
    assert page.locator("main#main").count() == 1
    assert page.locator("#main #main").count() == 0
    assert_no_csp_trouble(page)


def test_the_api_docs_work_under_their_policy(asgi_server, new_page, ops):
    page = watched(new_page)
    log_in(page, asgi_server, "ana@example.com")
    page.goto(f"{asgi_server}/api/docs/")
    page.locator(".swagger-ui .info .title", has_text="Keel API").wait_for()
    assert_no_csp_trouble(page)


def test_revoking_a_token_asks_first_on_the_boosted_profile_page(asgi_server, new_page, ops):
    page = watched(new_page)
    log_in(page, asgi_server, "ana@example.com")
    page.get_by_role("link", name="Ana").click()
    page.get_by_label("Name", exact=True).fill("deploy script")
    page.get_by_role("button", name="Create token").click()
    page.get_by_label("New API token").wait_for()
    token = ApiToken.objects.get(name="deploy script")

    posts = []
    page.on(
        "request", lambda request: posts.append(request.url) if request.method == "POST" else None
    )
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Revoke").click()
    page.evaluate("1")  # the click's handlers have run
    assert posts == [] and page.get_by_label("New API token").is_visible()
    token.refresh_from_db()
    assert token.revoked_at is None

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke").click()
    page.get_by_text("revoked. Scripts using it will stop working").wait_for()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_no_csp_trouble(page)
