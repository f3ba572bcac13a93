"""Paging in Chromium, as people use it. Ana adds a webhook to her profile (at once, and again
after ten minutes); the team lead builds an escalation policy and edits it; then, in an
incident room, the lead pages Ana and Ben with "page someone", and the room's paging panel
shows, live, who was paged, how, and whether it arrived; Ana acknowledges from the link in
her page and the room shows it at once.

A real Celery worker on the `paging` queue delivers, as the Procfile runs it, to local HTTP
servers playing Ana's pager and Ben's (which refuses every page). Nothing of Keel's is mocked.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from accounts.models import Membership, Role, Team, User
from incidents import lifecycle
from incidents.models import IncidentRole, Service, Severity
from incidents.paging.models import Escalation, EscalationPolicy
from tests.oncall.helpers import make_schedule
from tests.paging.helpers import make_policy, webhook_for
from tests.paging.worker import purge, start_worker, stop
from tests.receivers import Answer, Receiver

from ..helpers import make_user
from .test_incident_flow import log_in
from .test_incident_page import assert_no_csp_trouble, watched

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ops() -> Team:
    team = Team.objects.create(name="Ops", slug="ops")
    for email, role in (("lead@example.com", Role.ADMIN), ("ana@example.com", Role.RESPONDER),
                        ("ben@example.com", Role.RESPONDER)):  # fmt: skip
        Membership.objects.create(team=team, user=make_user(email), role=role)
    make_schedule(team, [User.objects.get(email="ana@example.com")], name="Primary")
    return team


def add_webhook(page, server: str, url: str) -> None:
    """Ana, on her profile: a webhook at once, then the same webhook again after 10 minutes."""
    page.goto(f"{server}/accounts/profile/")
    page.get_by_label("Kind", exact=True).select_option("webhook")
    page.get_by_label("Address", exact=True).fill(url)
    page.get_by_label("Use after (minutes)", exact=True).fill("0")
    page.get_by_role("button", name="Add contact method").click()
    page.get_by_text("Its signing secret").wait_for()
    method = page.locator(".contact-method").first
    method.get_by_label("Also use after (minutes)").fill("10")
    method.get_by_role("button", name="Add rule").click()
    page.get_by_text("is also used 10 min after a page").wait_for()
    rules = page.locator(".contact-method").first.locator(".rule .tag")
    assert rules.all_inner_texts() == ["at once", "after 10 min"]
    # The same rule twice is refused, with the reason.
    method = page.locator(".contact-method").first
    method.get_by_label("Also use after (minutes)").fill("10")
    method.get_by_role("button", name="Add rule").click()
    page.get_by_text("is already used 10 min after a page").wait_for()
    page.go_back()


def build_policy(page, server: str) -> EscalationPolicy:
    """The lead: a two-step policy, then an edit that adds a step and changes a delay."""
    page.get_by_role("link", name="Lead").click()
    page.get_by_role("link", name="Escalation policies").click()
    page.get_by_role("link", name="New policy for Ops").click()
    page.get_by_label("Name", exact=True).fill("Checkout escalation")
    first, second = page.locator("fieldset.step").nth(0), page.locator("fieldset.step").nth(1)
    first.get_by_label("Ana (ana@example.com)").check()
    first.get_by_label("Minutes before the next step").fill("10")
    second.get_by_label("Primary").check()
    page.get_by_role("button", name="Add policy").click()
    page.get_by_text("Escalation policy “Checkout escalation” added.").wait_for()
    card = page.locator("article.policy", has_text="Checkout escalation")
    assert card.locator(".policy-steps li").all_inner_texts() == [
        "Ana · then 10 min to step 2",
        "on call: Primary",
    ]

    card.get_by_role("link", name="Edit Checkout escalation").click()
    page.get_by_role("heading", name="Edit Checkout escalation").wait_for()
    steps = page.locator("fieldset.step")
    assert steps.nth(0).get_by_label("Ana (ana@example.com)").is_checked()
    steps.nth(0).get_by_label("Minutes before the next step").fill("3")
    steps.nth(2).get_by_label("Ben (ben@example.com)").check()  # a blank step: a third one
    steps.nth(2).get_by_label("Every responder of Ops").check()
    page.get_by_label("Repeat", exact=True).fill("1")
    page.get_by_role("button", name="Save policy").click()
    page.get_by_text("Escalation policy “Checkout escalation” saved.").wait_for()
    card = page.locator("article.policy", has_text="Checkout escalation")
    assert "repeats 1\N{MULTIPLICATION SIGN}" in card.inner_text()
    assert card.locator(".policy-steps li").all_inner_texts() == [
        "Ana · then 3 min to step 2",
        "on call: Primary · then 5 min to step 3",
        "Ben, team Ops · then 5 min, and again from step 1",
    ]
    return EscalationPolicy.objects.get(name="Checkout escalation")


def page_someone(page, name: str) -> None:
    with page.expect_navigation():
        page.locator("#page-someone").get_by_label("Person").select_option(label=name)
        page.locator("#page-someone").get_by_role("button", name="Page someone").click()
    page.locator('#live-status[data-state="live"]').wait_for()


def test_a_lead_sets_up_paging_pages_ana_and_sees_it_delivered_and_acknowledged(
    asgi_server, new_page, ops
):
    ben = User.objects.get(email="ben@example.com")
    incident = lifecycle.declare(None, title="Checkout errors", team=ops)  # as an alert does
    purge()
    worker = None
    with Receiver() as pager, Receiver() as broken:
        broken.answer(*[Answer(status=410)] * 3)
        webhook_for(ben, f"{broken.url}/ben")

        ana_page = watched(new_page)
        log_in(ana_page, asgi_server, "ana@example.com")
        add_webhook(ana_page, asgi_server, f"{pager.url}/ana")

        room = watched(new_page)
        log_in(room, asgi_server, "lead@example.com")
        policy = build_policy(room, asgi_server)
        assert [s.delay_minutes for s in policy.steps.order_by("position")] == [3, 5, 5]

        room.goto(f"{asgi_server}/incidents/{incident.ref}/")
        room.locator('#live-status[data-state="live"]').wait_for()
        panel = room.locator("#paging-status")
        assert panel.inner_text().strip() == "Nobody has been paged."
        try:
            page_someone(room, "Ana")
            room.evaluate("window.notReloaded = true")
            room.locator(".timeline", has_text="Asked to page Ana.").wait_for()
            # No worker yet: nothing has gone out. It starts now, with the room open.
            assert "Nobody has been paged." in panel.inner_text() and pager.requests == []
            worker = start_worker(PAGING_MINUTE_SECONDS="60")

            delivered = panel.locator("li", has_text="Ana · Webhook · step 1 · Delivered")
            delivered.wait_for(timeout=30_000)
            later = panel.locator("li", has_text="Ana · Webhook · step 1 (after 10 min)")
            assert "Pending" in later.inner_text()
            assert room.evaluate("window.notReloaded") is True  # it came in live
            room.locator(".timeline", has_text="Paged Ana by webhook (step 1).").wait_for()
            assert len(pager.requests) == 1 and pager.requests[0].path == "/ana"

            page_someone(room, "Ben")
            room.evaluate("window.notReloaded = true")
            failed = panel.locator("li", has_text="Ben · Webhook · step 1 · Failed")
            failed.wait_for(timeout=30_000)
            assert "The receiver refused it (410)." in failed.inner_text()

            # Ana's phone: the link in her page. Opening it changes nothing; the button does.
            ack_url = json.loads(pager.requests[0].body)["ack_url"]
            phone = watched(new_page)  # not signed in
            phone.goto(asgi_server + urlsplit(ack_url).path)
            assert phone.get_by_role("heading", name=re.compile("Checkout errors")).is_visible()
            assert incident.escalations.filter(status="acknowledged").count() == 0
            phone.get_by_role("button", name="Acknowledge").click()
            phone.get_by_text("Acknowledged. Paging has stopped.").wait_for()

            # The room, still not reloaded, shows it, credited to Ana.
            room.locator(".event-ack", has_text="the incident from a page's link").wait_for()
            room.locator(".event-ack .event-who", has_text="Ana").wait_for()
            room.locator("#incident-badges", has_text="Investigating").wait_for()
            panel.locator("li", has_text="· acknowledged").wait_for()
            assert "Not sent (acknowledged first)" in later.inner_text()
            assert room.evaluate("window.notReloaded") is True
            assert len(pager.requests) == 1  # the ten-minute reminder never went out
        finally:
            if worker is not None:
                stop(worker)
            purge()
        for page in (ana_page, room, phone):
            assert_no_csp_trouble(page)


def test_a_declared_sev1_pages_and_acknowledge_in_the_room_stops_it_and_makes_ana_commander(
    asgi_server, new_page, ops
):
    """The room shows the paging at its top while the team works the incident (it is not
    `triggered`); Ana's Acknowledge there stops it (step 2 never pages the team) and makes
    her commander; the lead's room, open all along, shows it without a reload."""
    ana = User.objects.get(email="ana@example.com")
    lead = User.objects.get(email="lead@example.com")
    service = Service.objects.create(name="checkout", team=ops)
    make_policy(ops, (5, [{"user": ana.pk}]), (5, [{"team": ops.pk}]), service=service)
    purge()
    worker = start_worker(PAGING_MINUTE_SECONDS="4")  # step 2 is due 20 s after step 1
    try:
        with Receiver() as pager:
            webhook_for(ana, f"{pager.url}/ana")
            webhook_for(lead, f"{pager.url}/lead")
            incident = lifecycle.declare(lead, title="Checkout down", severity=Severity.SEV1,
                                         team=ops, services=[service])  # fmt: skip
            # The lead hands command to whoever answers the page.
            lifecycle.unassign_role(incident, lead, IncidentRole.COMMANDER, lead)

            room = watched(new_page)
            log_in(room, asgi_server, "lead@example.com")
            room.goto(f"{asgi_server}/incidents/{incident.ref}/")
            room.locator('#live-status[data-state="live"]').wait_for()
            room.evaluate("window.notReloaded = true")
            banner = room.locator("#paging-now")
            banner.get_by_text("Paging Ana.").wait_for(timeout=30_000)
            assert "Next: step 2 pages everyone in Ops" in banner.inner_text()
            assert [r.path for r in pager.requests] == ["/ana"]

            phone = watched(new_page)
            log_in(phone, asgi_server, "ana@example.com")
            phone.goto(f"{asgi_server}/incidents/{incident.ref}/")
            with phone.expect_navigation():
                phone.locator("#paging-now").get_by_role("button", name="Acknowledge").click()
            assert phone.locator("#paging-now").inner_text().strip() == ""
            assert "Ana" in phone.locator("#roles").inner_text()  # the lead holds no role

            # The lead's room, live: the banner goes, the timeline credits Ana.
            room.locator(".event-ack", has_text="acknowledged the page").wait_for()
            assert room.locator(".event-ack .event-who").inner_text() == "Ana"
            # A locator, not wait_for_function: polling a string predicate is eval, which
            # the CSP refuses whenever the banner has not gone by the first check.
            room.locator("#paging-now .paging-now").wait_for(state="detached")
            assert room.evaluate("window.notReloaded") is True
            escalation = Escalation.objects.get(incident=incident)
            assert escalation.status == "acknowledged"
            assert escalation.stopped_because == "Acknowledged by Ana."
            # Past step 2's time (20 s after step 1): nobody else was paged.
            wait_past(escalation.started_at + timedelta(seconds=24))
            assert [r.path for r in pager.requests] == ["/ana"]
            assert incident.roles.get(role=IncidentRole.COMMANDER).user == ana
    finally:
        stop(worker)
        purge()
    for page in (room, phone):
        assert_no_csp_trouble(page)


def wait_past(moment) -> None:
    """A short real wait (an end-to-end test with a real worker): until `moment` has passed."""
    left = (moment - datetime.now(UTC)).total_seconds()
    if left > 0:
        time.sleep(left)
