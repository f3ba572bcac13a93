"""In Chromium, with its DevTools virtual authenticator (WebAuthn.addVirtualAuthenticator):
someone adds a passkey as their second factor, signs out, and signs in again with their
password and the passkey. WebAuthn refuses IP addresses as relying-party ids, so the page
is opened at http://localhost (a secure context, allowed while DEBUG is on)."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator

from ..helpers import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def password_sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_add_a_passkey_then_sign_in_with_it(asgi_server, new_page):
    base = asgi_server.replace("127.0.0.1", "localhost")
    make_user("ana@example.com")
    page = new_page()
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    authenticator = devtools.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
    }})  # fmt: skip

    password_sign_in(page, base, "ana@example.com")
    page.get_by_role("heading", name="Incidents").wait_for()
    page.goto(f"{base}/accounts/2fa/webauthn/add/")
    page.get_by_label("Password").fill(PASSWORD)  # allauth asks again before a change
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Name").fill("Laptop")
    page.wait_for_load_state("load")  # allauth's WebAuthn script is in place
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    key = Authenticator.objects.get(type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Laptop"
    # The credential Keel keeps is the one the authenticator made.
    made = devtools.send("WebAuthn.getCredentials", authenticator)["credentials"]
    assert len(made) == 1
    stored = key.data["credential"]["id"]
    assert made[0]["credentialId"].rstrip("=").replace("+", "-").replace("/", "_") == stored

    page.get_by_role("button", name="Log out").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" in url)
    password_sign_in(page, base, "ana@example.com")
    page.wait_for_url(lambda url: "/accounts/2fa/authenticate/" in url)
    page.get_by_role("button", name="Use a security key").click()
    page.get_by_role("heading", name="Incidents").wait_for()
    assert page.url == f"{base}/incidents/"
    assert (
        devtools.send("WebAuthn.getCredentials", authenticator)["credentials"][0]["signCount"] == 2
    )
