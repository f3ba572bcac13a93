"""Boosted navigation shows a refused form's answer: a form with a mistake, answered 400
with its errors, shows them (htmx would otherwise leave the page as it was)."""

from __future__ import annotations

import pytest

from accounts.models import Membership, Role, Team
from incidents.models import Service

from ..helpers import make_user
from .test_incident_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_boosted_form_with_a_mistake_shows_its_errors(asgi_server, new_page):
    team = Team.objects.create(name="Ops", slug="ops")
    Membership.objects.create(team=team, user=make_user("lead@example.com"), role=Role.ADMIN)
    Service.objects.create(name="checkout", team=team)
    page = new_page()
    log_in(page, asgi_server, "lead@example.com")
    page.get_by_role("link", name="Services").click()
    page.get_by_label("Name").fill("checkout")  # taken: the server refuses it
    page.get_by_label("Description").fill("Takes the money")
    page.get_by_role("button", name="Add service").click()
    page.locator(".error", has_text="already exists").wait_for()
    assert page.get_by_label("Description").input_value() == "Takes the money"  # kept
    page.get_by_label("Name").fill("checkout-eu")
    page.get_by_role("button", name="Add service").click()
    page.get_by_role("link", name="checkout-eu").wait_for()
    assert Service.objects.filter(name="checkout-eu", team=team).exists()
