"""Login throttling (django-axes): five failures for one account, or from one address,
pause logging in there for a while, with a message saying so; an admin can unlock."""

from __future__ import annotations

from django.core.management import call_command
from django.test import Client

from ..helpers import PASSWORD


def log_in(email: str, password: str, address: str = "203.0.113.7"):
    client = Client(REMOTE_ADDR=address)
    response = client.post("/accounts/login/", {"username": email, "password": password})
    return client, response


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(email: str, times: int, address: str = "203.0.113.7") -> None:
    for _ in range(times):
        _client, response = log_in(email, "wrong password", address)
        # The login page again: with "wrong password" (200), or, from the failure that
        # reaches the limit on, with "paused" (429).
        assert response.status_code in (200, 429)


def test_five_failures_for_an_account_lock_it_even_with_the_right_password(cast):
    fail("responder@example.com", 4)
    client, response = log_in("responder@example.com", PASSWORD)
    assert response.status_code == 302 and signed_in(client), "four failures are forgiven"
    fail("responder@example.com", 5, address="198.51.100.1")
    # From another address, with the right password, in another letter case: still locked.
    client, response = log_in("Responder@Example.com", PASSWORD, address="198.51.100.99")
    assert response.status_code == 429 and not signed_in(client)
    html = response.content.decode()
    assert "Too many failed logins" in html and "paused for 15 minutes" in html
    assert 'name="password"' in html, "still the login page"


def test_five_failures_from_one_address_lock_that_address(cast):
    for n in range(5):
        fail(f"nobody{n}@example.com", 1, address="192.0.2.50")
    client, response = log_in("viewer@example.com", PASSWORD, address="192.0.2.50")
    assert response.status_code == 429 and not signed_in(client)
    client, response = log_in("viewer@example.com", PASSWORD, address="192.0.2.51")
    assert response.status_code == 302 and signed_in(client)


def test_an_admin_unlocks_an_account_with_a_command(cast):
    fail("admin@example.com", 5)
    assert log_in("admin@example.com", PASSWORD)[1].status_code == 429
    call_command("axes_reset_username", "admin@example.com")
    client, response = log_in("admin@example.com", PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_signing_in_without_a_password_still_works_for_tests_and_tools(cast, client):
    fail("responder@example.com", 6)
    client.force_login(cast.responder)
    assert client.get("/incidents/").status_code == 200
