"""Logging in, profiles and personal API tokens."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import ApiToken, User, hash_token

from ..helpers import PASSWORD, api_client


def test_logging_in_with_email_any_case_and_out(cast):
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "Responder@Example.com", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/incidents/"
    assert client.get("/incidents/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/incidents/").status_code == 302


def test_a_wrong_password_is_refused_with_a_message(cast):
    response = Client().post(
        "/accounts/login/", {"username": "responder@example.com", "password": "nope"}
    )
    assert response.status_code == 200
    assert "correct email and password" in response.content.decode()


def test_passwords_are_hashed_with_argon2(db, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = User.objects.create_user("argon@example.com", "a-long-password")
    assert user.password.startswith("argon2")


def test_changing_the_password(cast):
    client = Client()
    client.force_login(cast.responder)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "a new long passphrase",
         "new_password2": "a new long passphrase"},
    )  # fmt: skip
    assert response.status_code == 302
    cast.responder.refresh_from_db()
    assert cast.responder.check_password("a new long passphrase")


def test_tokens_from_the_profile_page_are_shown_once_and_stored_hashed(cast):
    client = Client()
    client.force_login(cast.responder)
    html = client.post(
        "/accounts/profile/", {"create_token": "1", "name": "deploy script"}
    ).content.decode()
    token = ApiToken.objects.get(name="deploy script")
    raw = html.split('value="keel_')[1].split('"')[0]
    assert token.key_hash == hash_token("keel_" + raw)
    assert "keel_" + raw not in client.get("/accounts/profile/").content.decode()
    assert (
        api_client(None).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer keel_{raw}").status_code
        == 200
    )
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert (
        api_client(None).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer keel_{raw}").status_code
        == 401
    )


def test_nobody_revokes_someone_elses_token(cast):
    token, _raw = ApiToken.issue(cast.admin, "admin's")
    client = Client()
    client.force_login(cast.responder)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_profile_saves_name_and_time_zone(cast):
    client = Client()
    client.force_login(cast.responder)
    client.post(
        "/accounts/profile/",
        {"save_profile": "1", "display_name": "Res", "time_zone": "Europe/Paris"},
    )
    cast.responder.refresh_from_db()
    assert (cast.responder.display_name, cast.responder.time_zone) == ("Res", "Europe/Paris")


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer   ", "Bearer a b", "Bearer keel_not-a-real-token"],
)
def test_bad_bearer_headers_are_401_with_a_message(cast, header):
    response = api_client(None).get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.data["detail"]


def test_a_deactivated_users_tokens_stop_working(cast):
    client = api_client(cast.responder)
    assert client.get("/api/v1/me/").status_code == 200
    User.objects.filter(pk=cast.responder.pk).update(is_active=False)
    assert client.get("/api/v1/me/").status_code == 401


def test_issue_token_command_prints_a_working_token(cast):
    out = io.StringIO()
    call_command("issue_token", "Responder@example.com", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("keel_")
    assert api_client(None).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}").data[
        "email"
    ] == ("responder@example.com")
    with pytest.raises(CommandError, match="No user"):
        call_command("issue_token", "ghost@example.com")
