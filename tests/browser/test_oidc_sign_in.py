"""In Chromium: the login page's provider button, the provider's own sign-in form (a real
OpenID Connect provider, tests/oidc_peer.py), and back in Keel, in the team the person's
group maps to; logging out ends the session at the provider too."""

from __future__ import annotations

import json
import os
import re

import pytest

from accounts.models import Membership, Team

from ..oidc_peer import OidcPeer
from ..servers import AsgiServer, free_port, shared_database_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def keel_with_idp(django_db_setup, django_db_blocker):
    """Keel (its own server, configured with OIDC_PROVIDERS) and the provider it trusts."""
    port = free_port()
    idp = OidcPeer([f"http://127.0.0.1:{port}/accounts/oidc/test/login/callback/"], users={
        "ana": {"email": "ana@example.com", "email_verified": True, "name": "Ana Lima",
                "groups": ["platform-oncall"]},
    }).start()  # fmt: skip
    teams = {"platform-oncall": {"team": "platform", "role": "responder"}}
    provider = idp.keel_settings(teams=teams)
    os.environ["OIDC_PROVIDERS"] = json.dumps([provider])
    try:
        with django_db_blocker.unblock():
            server = AsgiServer(shared_database_url(), port=port).start()
    finally:
        del os.environ["OIDC_PROVIDERS"]
    yield server.url, idp
    server.stop()
    idp.stop()


def test_signing_in_through_the_identity_provider(keel_with_idp, new_page):
    keel, idp = keel_with_idp
    Team.objects.create(name="Platform", slug="platform")
    page = new_page()
    page.goto(f"{keel}/accounts/login/")
    page.get_by_role("button", name="Sign in with Test IdP").click()
    # The provider's own page, on its own address.
    page.wait_for_url(re.compile(re.escape(idp.issuer)))
    page.locator("input[name=login]").fill("ana")
    page.locator("input[name=password]").fill("anything")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("heading", name="Incidents").wait_for()
    assert page.url == f"{keel}/incidents/"

    page.goto(f"{keel}/accounts/profile/")
    assert page.get_by_text("ana@example.com").first.is_visible()
    assert page.locator("li", has_text="Platform").get_by_text("Responder").is_visible()
    membership = Membership.objects.get(user__email="ana@example.com")
    assert (membership.team.slug, membership.role) == ("platform", "responder")

    page.get_by_role("button", name="Log out").first.click()
    page.wait_for_url(re.compile(re.escape(f"{idp.issuer}/session/end")))
    page.goto(f"{keel}/incidents/")
    page.get_by_role("heading", name="Log in to Keel").wait_for()
