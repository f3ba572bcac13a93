"""Signing in through an OpenID Connect provider: a real one (tests/oidc_peer.py), real HTTP
between Keel and it. People arrive by verified email, in the teams their groups map to;
spoiled or replayed answers from the provider sign nobody in."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from accounts.models import ApiToken, Membership, Team, User
from accounts.oidc_config import allauth_apps, parse_providers

from ..helpers import PASSWORD, api_client
from ..oidc_peer import OidcPeer
from ..servers import free_port

BACK = "http://testserver/accounts/oidc/test/login/callback/"
TEAMS = {
    "platform-oncall": {"team": "Platform", "role": "responder"},
    "platform-leads": {"team": "platform", "role": "admin"},
    "ops-readers": {"team": "ops", "role": "viewer"},
}


@pytest.fixture(scope="module")
def idp():
    peer = OidcPeer([BACK], users={}).start()
    yield peer
    peer.stop()


@pytest.fixture
def keel(idp, settings, db):
    """Keel configured with the test provider (as OIDC_PROVIDERS would)."""
    providers = parse_providers(json.dumps([idp.keel_settings(teams=TEAMS)]))
    settings.OIDC_PROVIDERS = providers
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": allauth_apps(providers)}
    }
    Team.objects.get_or_create(slug="platform", defaults={"name": "Platform"})
    idp.spoil_id_tokens("normal")
    return settings


def person(email: str, groups: list[str], verified: bool = True) -> dict:
    return {"email": email, "email_verified": verified, "groups": groups, "name": "Ana Lima"}


def start(client: Client) -> str:
    response = client.post("/accounts/oidc/test/login/")
    assert response.status_code == 302, response.content[:300]
    return response["Location"]


def sign_in(idp: OidcPeer, client: Client, account: str):
    back = idp.sign_in(start(client), account, BACK)
    return client.get(back.removeprefix("http://testserver")), back


def signed_in_as(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def roles(user: User) -> dict[str, str]:
    return {m.team.slug: m.role for m in Membership.objects.filter(user=user)}


def test_the_authorization_request_uses_pkce_state_and_a_nonce(keel, idp):
    query = parse_qs(urlsplit(start(Client())).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == [BACK]


def test_a_new_person_arrives_in_the_team_their_group_maps_to(keel, idp):
    idp.set_user("ana", person("Ana@Example.com", ["platform-oncall", "unrelated"]))
    client = Client()
    response, _back = sign_in(idp, client, "ana")
    assert response.status_code == 302 and response["Location"] == "/incidents/"
    ana = signed_in_as(client)
    assert ana.email == "ana@example.com" and ana.display_name == "Ana Lima"
    assert not ana.has_usable_password()
    assert roles(ana) == {"platform": "responder"}
    assert client.get("/incidents/").status_code == 200


def test_groups_are_applied_again_at_every_sign_in(keel, idp, cast):
    idp.set_user("ana", person("ana@example.com", ["platform-oncall", "platform-leads"]))
    sign_in(idp, Client(), "ana")
    ana = User.objects.get(email="ana@example.com")
    assert roles(ana) == {"platform": "admin"}, "the highest role of her groups"
    # Added by hand, in a team the mapping does not name: left alone.
    Membership.objects.create(team=cast.other_team, user=ana, role="viewer")
    other = cast.other_team.slug
    idp.set_user("ana", person("ana@example.com", ["platform-oncall"]))
    sign_in(idp, Client(), "ana")
    assert roles(ana) == {"platform": "responder", other: "viewer"}
    idp.set_user("ana", person("ana@example.com", []))
    sign_in(idp, Client(), "ana")
    assert roles(ana) == {other: "viewer"}, "left the group: no role in Platform any more"


def test_a_mapped_membership_is_removed_when_the_group_goes(keel, idp, cast):
    # Ops is named by the mapping (ops-readers), so the provider manages it.
    idp.set_user("view", person("viewer@example.com", ["ops-readers"]))
    sign_in(idp, Client(), "view")
    assert roles(cast.viewer) == {"ops": "viewer"}
    idp.set_user("view", person("viewer@example.com", []))
    sign_in(idp, Client(), "view")
    assert roles(cast.viewer) == {}


def test_an_existing_account_with_that_verified_email_is_the_one_signed_in(keel, idp, cast):
    idp.set_user("resp", person("Responder@example.com", ["ops-readers"]))
    client = Client()
    response, _back = sign_in(idp, client, "resp")
    assert response.status_code == 302
    assert signed_in_as(client) == cast.responder
    assert User.objects.filter(email__iexact="responder@example.com").count() == 1
    assert cast.responder.__class__.objects.get(pk=cast.responder.pk).check_password(PASSWORD)


def test_an_unverified_email_is_refused(keel, idp, cast):
    idp.set_user("mallory", person("responder@example.com", ["platform-leads"], verified=False))
    client = Client()
    response, _back = sign_in(idp, client, "mallory")
    assert response.status_code == 403 and signed_in_as(client) is None
    assert "has not verified your email address" in response.content.decode()
    assert roles(cast.responder) == {"ops": "responder"}


@pytest.mark.parametrize(
    ("spoiled", "says"),
    [("tamper", "did not work"), ("wrong-audience", "did not work"), ("expired", "did not work"),
     ("wrong-nonce", "was not for this sign-in")],
)  # fmt: skip
def test_a_spoiled_id_token_is_refused(keel, idp, spoiled, says):
    idp.set_user("ana", person("ana@example.com", ["platform-oncall"]))
    idp.spoil_id_tokens(spoiled)
    client = Client()
    response, _back = sign_in(idp, client, "ana")
    assert response.status_code == 403 and signed_in_as(client) is None
    assert says in response.content.decode() and "not signed in" in response.content.decode()
    assert not User.objects.filter(email="ana@example.com").exists()


def test_a_replayed_answer_is_refused(keel, idp):
    idp.set_user("ana", person("ana@example.com", ["platform-oncall"]))
    client = Client()
    response, back = sign_in(idp, client, "ana")
    assert response.status_code == 302 and signed_in_as(client) is not None
    client.post("/accounts/logout/")
    # The same answer again, in the same browser and in another one: its state was used up.
    for replay in (client, Client()):
        response = replay.get(back.removeprefix("http://testserver"))
        assert response.status_code == 403 and signed_in_as(replay) is None


def test_the_login_page_has_a_button_per_provider(keel):
    html = Client().get("/accounts/login/").content.decode()
    assert "Sign in with Test IdP" in html and 'action="/accounts/oidc/test/login/"' in html
    assert 'name="password"' in html
    # Opened as a link rather than by the button: a page asking to go on (no sign-in on GET,
    # so another site cannot sign someone in unasked).
    confirm = Client().get("/accounts/oidc/test/login/")
    assert confirm.status_code == 200 and "Test IdP" in confirm.content.decode()


def test_a_provider_out_of_reach_is_said_so(keel, idp):
    unreachable = {**keel.OIDC_PROVIDERS[0], "issuer": f"http://127.0.0.1:{free_port()}"}
    keel.OIDC_PROVIDERS = [unreachable]
    keel.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": allauth_apps([unreachable])}}
    response = Client().post("/accounts/oidc/test/login/")
    assert response.status_code == 503
    assert "Test IdP cannot be reached right now" in response.content.decode()


def test_sso_only_refuses_passwords_except_for_break_glass_staff(keel, cast):
    keel.SSO_ONLY = True
    keel.SSO_BREAK_GLASS_EMAILS = ["staff@example.com", "responder@example.com"]
    html = Client().get("/accounts/login/").content.decode()
    assert "Sign in with Test IdP" in html and 'name="password"' not in html
    assert "Break-glass sign-in" in html
    for email in ("admin@example.com", "responder@example.com"):  # the second is not staff
        client = Client()
        response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
        assert response.status_code == 200 and signed_in_as(client) is None
        assert "Password sign-in is off here" in response.content.decode()
    client = Client()
    assert 'name="password"' in client.get("/accounts/login/?break_glass=1").content.decode()
    response = client.post(
        "/accounts/login/", {"username": "staff@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302 and signed_in_as(client) == cast.staff


def test_api_tokens_keep_working_with_sso_only(keel, cast):
    keel.SSO_ONLY = True
    _token, raw = ApiToken.issue(cast.responder, "deploy script")
    response = Client().get("/api/v1/incidents/", headers={"authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert api_client(cast.viewer).get("/api/v1/incidents/").status_code == 200


def test_signing_out_ends_the_session_at_the_provider_too(keel, idp):
    idp.set_user("ana", person("ana@example.com", ["platform-oncall"]))
    client = Client()
    sign_in(idp, client, "ana")
    response = client.post("/accounts/logout/")
    assert signed_in_as(client) is None
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}" == idp.issuer
    query = parse_qs(location.query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    assert query["id_token_hint"][0].count(".") == 2
    # The provider accepts it: it asks the person to confirm signing out there.
    with_provider = __import__("httpx").get(response["Location"])
    assert with_provider.status_code == 200 and "logout" in with_provider.text.lower()


def test_a_password_session_signs_out_at_keel_only(keel, cast):
    client = Client()
    client.post("/accounts/login/", {"username": "viewer@example.com", "password": PASSWORD})
    assert client.post("/accounts/logout/")["Location"] == "/accounts/login/"


@pytest.mark.parametrize(
    ("value", "reason"),
    [("not json", "not valid JSON"), ('[{"id": "x", "name": "X"}]', "needs 'issuer'"),
     ('[{"id": "x", "name": "X", "issuer": "https://idp", "client_id": "c", '
      '"client_secret": "s", "teams": {"g": {"team": "Ops", "role": "owner"}}}]', "role 'owner'")],
)  # fmt: skip
def test_a_wrong_provider_setting_stops_keel_at_start_with_the_reason(value, reason):
    run = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env={"DEBUG": "true", "OIDC_PROVIDERS": value, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode != 0
    assert "OIDC_PROVIDERS:" in run.stderr and reason in run.stderr
