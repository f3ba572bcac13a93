"""Staff move a team in from another tool in Chromium: read the account, look at the plan
(nothing changed yet), Apply, copy the new integration's key, see no on-call difference."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accounts.models import Team
from incidents.alerts.models import Integration

from ..helpers import make_user
from ..importing.toy_source import TOKEN, ToyServer
from ..servers import AsgiServer, shared_database_url
from .test_incident_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TOY = "tests.importing.toy_source"


@pytest.fixture
def import_server(transactional_db, monkeypatch) -> Iterator[str]:
    """Keel offering the toy source on its import page (a server of its own: the shared
    one offers only the real vendors)."""
    monkeypatch.setenv("IMPORT_SOURCES", TOY)
    server = AsgiServer(shared_database_url()).start()
    yield server.url
    server.stop()


def test_staff_plan_then_apply_an_import(import_server, new_page):
    make_user("root@example.com", is_staff=True)
    make_user("ana@example.com"), make_user("ben@example.com")
    page = new_page()
    log_in(page, import_server, "root@example.com")

    with ToyServer() as toy:
        page.get_by_role("link", name="Import", exact=True).click()
        page.get_by_label("Move in from").select_option(TOY)
        page.get_by_label("API URL").fill(toy.url)
        page.get_by_label("API token").fill(TOKEN)
        page.get_by_role("button", name="Read the account and show the plan").click()
        page.get_by_role("heading", name="Will create (7)").wait_for()
        assert page.get_by_text("schedule Primary (toys)").is_visible()
        assert page.get_by_text("Toy urgency rules have no match.").is_visible()
        assert not Team.objects.filter(slug="toys").exists()  # a plan changes nothing

        page.get_by_role("button", name="Apply").click()
        page.get_by_role("heading", name="Point each sender at its new integration").wait_for()

    key = page.locator("#new-integrations td code").nth(1).inner_text()
    assert Integration.by_key(key, "generic").service.name == "toy-shop"
    assert page.get_by_text("No difference in 1 schedule").is_visible()
    assert page.get_by_role("heading", name="Created (7)").is_visible()
    assert Team.objects.filter(slug="toys").exists()
