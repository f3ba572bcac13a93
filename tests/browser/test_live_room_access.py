"""In Chromium, a person whose access ends sees the room stop: "Access ended", a way back
in, no more events, and no endless "Reconnecting…"."""

from __future__ import annotations

import threading

import pytest

from accounts.models import Membership, Role, Team
from incidents import lifecycle

from ..helpers import make_user
from ..servers import AsgiServer, shared_database_url
from .test_incident_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_room(page, base: str, ref: str) -> None:
    page.goto(f"{base}/incidents/{ref}/")
    page.locator('#live-status[data-state="live"]').wait_for()


def in_a_thread(change) -> None:
    """Make a change the way a request does: on a thread with no event loop (this one
    runs Playwright's)."""
    thread = threading.Thread(target=change)
    thread.start()
    thread.join()


def assert_room_stopped(page, witness) -> None:
    """`page` shows the room stopped; a note the witness adds now reaches only them."""
    status = page.locator("#live-status")
    page.locator('#live-status[data-state="ended"]').wait_for()
    assert status.inner_text() == "Access ended"
    assert page.get_by_role("link", name="Reload").is_visible()
    assert page.get_by_role("link", name="sign in").is_visible()
    # Its forms no longer work for this person, and look it.
    assert page.evaluate("[...document.querySelectorAll('main form')].every(f => f.inert)")
    witness.get_by_label("Note").fill("Written after access ended")
    with witness.expect_navigation():
        witness.get_by_role("button", name="Add note", exact=True).click()
    witness.locator(".timeline .event-note", has_text="Written after access ended").wait_for()
    assert page.locator(".timeline", has_text="Written after access ended").count() == 0
    assert status.inner_text() == "Access ended"
    assert page.evaluate("window.keelRoom.socket.readyState") == 3  # CLOSED, not retrying


def test_removed_from_the_team_of_a_private_incident(asgi_server, new_page):
    team = Team.objects.create(name="Ops", slug="ops")
    ana, ben = make_user("ana@example.com"), make_user("ben@example.com")
    Membership.objects.create(team=team, user=ana, role=Role.ADMIN)
    Membership.objects.create(team=team, user=ben, role=Role.VIEWER)
    incident = lifecycle.declare(ana, title="Payroll export leaked", team=team, private=True)
    page, witness = new_page(), new_page()
    log_in(page, asgi_server, "ben@example.com")
    open_room(page, asgi_server, incident.ref)
    log_in(witness, asgi_server, "ana@example.com")
    open_room(witness, asgi_server, incident.ref)

    # As an admin would in the Django admin.
    in_a_thread(lambda: Membership.objects.get(user=ben).delete())

    assert_room_stopped(page, witness)


def test_logging_out_in_another_tab_stops_the_room(asgi_server, new_page):
    team = Team.objects.create(name="Ops", slug="ops")
    ana, ben = make_user("ana@example.com"), make_user("ben@example.com")
    Membership.objects.create(team=team, user=ana, role=Role.RESPONDER)
    Membership.objects.create(team=team, user=ben, role=Role.RESPONDER)
    incident = lifecycle.declare(ana, title="Checkout errors", team=team)
    page, witness = new_page(), new_page()
    log_in(page, asgi_server, "ana@example.com")
    open_room(page, asgi_server, incident.ref)
    log_in(witness, asgi_server, "ben@example.com")
    open_room(witness, asgi_server, incident.ref)

    other_tab = page.context.new_page()
    other_tab.goto(f"{asgi_server}/incidents/")
    other_tab.get_by_role("button", name="Log out").click()
    other_tab.get_by_label("Password").wait_for()

    assert_room_stopped(page, witness)


def test_access_that_ended_while_the_connection_was_down(new_page, transactional_db):
    """The server refuses the reconnect; the page finds out why over HTTP and stops,
    rather than saying "Reconnecting…" for ever."""
    server = AsgiServer(shared_database_url()).start()
    try:
        team = Team.objects.create(name="Ops", slug="ops")
        ana, ben = make_user("ana@example.com"), make_user("ben@example.com")
        Membership.objects.create(team=team, user=ana, role=Role.ADMIN)
        Membership.objects.create(team=team, user=ben, role=Role.VIEWER)
        incident = lifecycle.declare(ana, title="Payroll export leaked", team=team, private=True)
        page = new_page()
        log_in(page, server.url, "ben@example.com")
        open_room(page, server.url, incident.ref)

        server.stop()
        page.locator('#live-status[data-state="reconnecting"]').wait_for()
        in_a_thread(lambda: Membership.objects.get(user=ben).delete())
        server.start()

        page.locator('#live-status[data-state="ended"]').wait_for(timeout=30_000)
        assert page.locator("#live-status").inner_text() == "Access ended"
        assert page.get_by_role("link", name="Reload").is_visible()
    finally:
        server.stop()
