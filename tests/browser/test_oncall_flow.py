"""A team lead builds a follow-the-sun schedule with an override in Chromium, sees who is
on call now and next, and subscribes to it in a calendar."""

from __future__ import annotations

import re
from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone

from accounts.models import Membership, Role, Team
from incidents.oncall.models import Override, Schedule

from ..helpers import make_user
from ..oncall.helpers import make_schedule
from .test_incident_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_team_lead_builds_a_follow_the_sun_schedule_and_subscribes(asgi_server, new_page):
    team = Team.objects.create(name="Ops", slug="ops")
    lead = make_user("lead@example.com", time_zone="Europe/London")
    ana = make_user("ana@example.com")
    kai = make_user("kai@example.com")
    for person, role in ((lead, Role.ADMIN), (ana, Role.RESPONDER), (kai, Role.RESPONDER)):
        Membership.objects.create(team=team, user=person, role=role)
    page = new_page()
    log_in(page, asgi_server, "lead@example.com")

    page.get_by_role("link", name="On call").click()
    page.get_by_label("Name").fill("Follow the sun")
    page.get_by_label("Time zone").fill("Europe/London")  # a searchable box, not a list
    page.get_by_role("button", name="Create schedule").click()
    page.wait_for_url(re.compile(r"/schedules/\d+/edit/$"))

    # Layer 1, round the clock: kai then ana; picked the wrong way round, fixed with "move up".
    start = (timezone.localdate() - timedelta(days=7)).isoformat()
    layer = page.locator("fieldset.layer").first
    layer.get_by_label("Name").fill("Primary")
    layer.get_by_label("Turn 1").select_option(label="Ana (ana@example.com)")
    layer.get_by_label("Turn 2").select_option(label="Kai (kai@example.com)")
    layer.get_by_role("button", name="Move up").nth(1).click()
    # A third turn, at once: no saving first, no page load (the marker survives).
    page.evaluate("window.stillThisPage = true")
    layer.get_by_role("button", name="Add a turn").click()
    layer.get_by_label("Turn 3").select_option(label="Lead (lead@example.com)")
    assert page.evaluate("window.stillThisPage === true")
    layer.get_by_label("Shift length").fill("1")
    layer.get_by_label("Unit").select_option("days")
    layer.get_by_label("First handoff on").fill(start)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/schedules/\d+/$"))
    schedule = Schedule.objects.get(name="Follow the sun")
    primary = schedule.layers.get()
    assert [p.user.email for p in primary.participants.all()] == [
        "kai@example.com",
        "ana@example.com",
        "lead@example.com",
    ]

    # Layer 2 on top: the lead covers the London evenings from another office.
    page.get_by_role("link", name="Edit layers").click()
    evening = page.locator("fieldset.layer").nth(1)
    evening.get_by_label("Name").fill("Evenings")
    evening.get_by_label("Turn 1").select_option(label="Lead (lead@example.com)")
    evening.get_by_label("First handoff on").fill(start)
    evening.get_by_label("Restrictions").fill("daily 18:00-23:00")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/schedules/\d+/$"))
    assert schedule.layers.count() == 2

    # An override: ana covers tomorrow morning.
    tomorrow = timezone.localdate() + timedelta(days=1)
    page.get_by_label("Who covers").select_option(label="Ana (ana@example.com)")
    page.get_by_label("Start", exact=True).fill(f"{tomorrow.isoformat()}T06:00")
    page.get_by_label("End", exact=True).fill(f"{tomorrow.isoformat()}T08:00")
    page.get_by_role("button", name="Add override").click()
    page.get_by_text("Ana covers from").wait_for()
    assert Override.objects.filter(schedule=schedule, user=ana).exists()

    # Who is on call now and next, on the schedule and on the incident list.
    assert page.get_by_role("heading", name="On call now").is_visible()
    page.get_by_role("link", name="Incidents").first.click()
    panel = page.locator(".oncall-now")
    assert "Follow the sun" in panel.inner_text() and "Now:" in panel.inner_text()

    # Subscribe: the calendar address works without logging in.
    page.goto(f"{asgi_server}/schedules/{schedule.pk}/")
    url = page.get_by_label("Calendar address").input_value()
    feed = new_page().context.request.get(url)  # a calendar app: no session cookie
    calendar = icalendar.Calendar.from_ical(feed.body())
    people = {str(event["x-keel-user"]) for event in calendar.walk("VEVENT")}
    assert {"ana@example.com", "kai@example.com", "lead@example.com"} <= people


def test_the_schedule_page_fits_a_phone(asgi_server, new_page):
    team = Team.objects.create(name="Ops", slug="ops")
    lead = make_user("lead@example.com")
    Membership.objects.create(team=team, user=lead, role=Role.ADMIN)
    schedule = make_schedule(team, [lead], zone="Australia/Sydney")
    page = new_page()
    log_in(page, asgi_server, "lead@example.com")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{asgi_server}/schedules/{schedule.pk}/")
    page.get_by_role("heading", name="Next two weeks: who is on call").wait_for()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"
