"""A second factor for password accounts (django-allauth's MFA under /accounts/2fa/): an
authenticator app's codes checked against a clock the tests move, recovery codes used up
once, and the requirement (site-wide or per team) that keeps someone out of the web app
until they have set one up, while API tokens go on working."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.test import Client

from accounts.models import Membership, Role, Team
from tests.helpers import PASSWORD, api_client, make_user

pytestmark = pytest.mark.django_db
T0 = datetime(2027, 3, 1, 9, 0, 5, tzinfo=UTC)


def totp(secret: str, at: datetime) -> str:
    """RFC 6238 with an authenticator app's defaults (SHA-1, 30 s, 6 digits), written here
    from the RFC rather than taken from the library under test."""
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", int(at.timestamp()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**6:06d}"


def sign_in(client: Client, email: str) -> str:
    """Password sign-in; where it went next."""
    answer = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert answer.status_code == 302, answer.content[:500]
    return answer["Location"]


def turn_on_totp(client: Client, email: str, at: datetime) -> str:
    """Sign in and set up an authenticator app at `at`; its secret."""
    with time_machine.travel(at, tick=False):
        sign_in(client, email)
        # allauth asks for the password again before any change to the second factor
        asked = client.get("/accounts/2fa/totp/activate/")
        assert asked["Location"].startswith("/accounts/reauthenticate/")
        again = client.post(asked["Location"], {"password": PASSWORD})
        assert again.status_code == 302, again.content[:300]
        assert client.get("/accounts/2fa/totp/activate/").status_code == 200
        secret = client.session["mfa.totp.secret"]
        answer = client.post("/accounts/2fa/totp/activate/", {"code": totp(secret, at)})
        assert answer.status_code == 302
    return secret


def test_a_password_sign_in_then_asks_for_the_apps_code_and_only_a_current_one_works():
    make_user("ana@example.com")
    secret = turn_on_totp(Client(), "ana@example.com", T0)
    assert Authenticator.objects.filter(type=Authenticator.Type.TOTP).count() == 1

    later = T0 + timedelta(minutes=2)
    browser = Client()
    with time_machine.travel(later, tick=False):
        assert sign_in(browser, "ana@example.com") == "/accounts/2fa/authenticate/"
        assert browser.get("/incidents/").status_code == 302  # not signed in yet
        wrong = browser.post("/accounts/2fa/authenticate/", {"code": "000000"})
        assert wrong.status_code == 200 and b"Incorrect code" in wrong.content
        stale = browser.post("/accounts/2fa/authenticate/", {"code": totp(secret, T0)})
        assert stale.status_code == 200  # the code of two minutes ago is refused
        right = browser.post("/accounts/2fa/authenticate/", {"code": totp(secret, later)})
        assert right.status_code == 302
        assert browser.get("/incidents/").status_code == 200


def test_a_recovery_code_signs_in_once():
    make_user("ana@example.com")
    turn_on_totp(Client(), "ana@example.com", T0)
    codes = Authenticator.objects.get(type=Authenticator.Type.RECOVERY_CODES).wrap()
    unused = codes.get_unused_codes()
    assert len(unused) == 10

    first, second = Client(), Client()
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        sign_in(first, "ana@example.com")
        assert first.post("/accounts/2fa/authenticate/", {"code": unused[0]}).status_code == 302
        sign_in(second, "ana@example.com")
        again = second.post("/accounts/2fa/authenticate/", {"code": unused[0]})
        assert again.status_code == 200  # used up
    codes = Authenticator.objects.get(type=Authenticator.Type.RECOVERY_CODES).wrap()
    assert len(codes.get_unused_codes()) == 9


def test_the_profile_says_what_is_set_up():
    make_user("ana@example.com")
    browser = Client()
    turn_on_totp(browser, "ana@example.com", T0)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        page = browser.get("/accounts/profile/").content.decode()
    assert "Authenticator app: on" in page
    assert "Recovery codes left: 10" in page
    assert "Manage two-factor authentication" in page


@pytest.fixture
def team_requiring_mfa():
    team = Team.objects.create(name="Payments", slug="payments", require_mfa=True)
    ana = make_user("ana@example.com")
    Membership.objects.create(team=team, user=ana, role=Role.RESPONDER)
    return team


def test_a_team_that_requires_it_keeps_its_members_out_until_they_set_it_up(team_requiring_mfa):
    outsider = Client()
    make_user("ben@example.com")
    with time_machine.travel(T0, tick=False):
        sign_in(outsider, "ben@example.com")
        assert outsider.get("/incidents/").status_code == 200  # not in that team

        member = Client()
        sign_in(member, "ana@example.com")
        answer = member.get("/incidents/")
        assert (answer.status_code, answer["Location"]) == (302, "/accounts/2fa/")
        assert member.get("/accounts/2fa/").status_code == 200  # the way out stays open
        refused = member.get("/api/v1/incidents/")
        assert refused.status_code == 403 and "two-factor" in refused.json()["detail"]
    # Scripts with an API token are not sessions: they go on working.
    assert api_client(team_requiring_mfa.members.get()).get("/api/v1/incidents/").status_code == 200

    turn_on_totp(member, "ana@example.com", T0 + timedelta(minutes=5))
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        assert member.get("/incidents/").status_code == 200


def test_required_site_wide_with_mfa_required(settings):
    settings.MFA_REQUIRED = True
    make_user("ben@example.com")
    browser = Client()
    with time_machine.travel(T0, tick=False):
        sign_in(browser, "ben@example.com")
        assert browser.get("/incidents/")["Location"] == "/accounts/2fa/"
        assert browser.get("/accounts/profile/")["Location"] == "/accounts/2fa/"


@pytest.mark.parametrize(
    "code", ["", "12345", "abcdef", "1" * 500, "\x00\x01", "\uff11\uff12\uff13\uff14\uff15\uff16"]
)
def test_odd_codes_are_refused_with_a_message_not_an_error(code):
    make_user("ana@example.com")
    secret = turn_on_totp(Client(), "ana@example.com", T0)
    browser = Client()
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        sign_in(browser, "ana@example.com")
        answer = browser.post("/accounts/2fa/authenticate/", {"code": code})
        assert answer.status_code == 200
        setup = Client()
        sign_in(setup, "ana@example.com")
    assert secret


def test_someone_without_a_password_is_told_their_provider_asks_for_the_second_factor():
    sam = make_user("sam@example.com")
    sam.set_unusable_password()  # as an account made at a provider sign-in is
    sam.save()
    browser = Client()
    browser.force_login(sam)
    page = browser.get("/accounts/profile/").content.decode()
    assert "You sign in through your identity provider" in page
    assert "Change password" not in page and "Set up two-factor" not in page


def test_a_page_can_be_acknowledged_before_the_required_second_factor_is_set_up(
    team_requiring_mfa,
):
    member = Client()
    with time_machine.travel(T0, tick=False):
        sign_in(member, "ana@example.com")
        # The signed link itself decides (here: unknown token); no detour to /accounts/2fa/.
        answer = member.get("/page/ack/not-a-real-token/")
    assert answer.status_code != 302 or "/accounts/2fa/" not in answer["Location"]
