"""Linking a Slack account: a code from the profile (or PATCH /api/v1/me/), proven by a
signed `/incident link <code>` from the member. Typing a member id proves nothing."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from incidents.chat import blocks
from incidents.chat.models import ChatIdentity
from incidents.models import Incident, TimelineEvent
from tests.helpers import api_client, declare

from .helpers import proven_link
from .slack import action_body, command_body, post_signed

INVALID = (
    "That code is not valid: codes work once, for 15 minutes. Get a new one on your "
    "profile: https://keel.example.com/accounts/profile/"
)
SHOWN_CODE = re.compile(r'value="([2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2})"')


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = "https://keel.example.com"


@pytest.fixture
def slack(signing_secret):
    """A signed `/incident …` from a member (the responder's id unless told)."""
    client = Client()

    def command(text: str, user_id: str = "URESPONDER") -> str:
        response = post_signed(client, "/slack/commands", command_body(text, user_id=user_id),
                               signing_secret)  # fmt: skip
        assert response.status_code == 200, response.content
        assert response.json()["response_type"] == "ephemeral"
        return response.json()["text"]

    return command


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def code_from_profile(user, member_id: str = "") -> str:
    response = signed_in(user).post("/chat/link/", {"chat_user_id": member_id})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return SHOWN_CODE.search(response.content.decode()).group(1)


def acked_by(incident: Incident):
    event = TimelineEvent.objects.filter(incident=incident, kind="ack").first()
    return event.author if event else None


def proven(user) -> str | None:
    identity = ChatIdentity.objects.filter(user=user, verified_at__isnull=False).first()
    return identity.chat_user_id if identity else None


# --- The flow ------------------------------------------------------------------------------


def test_a_code_from_the_profile_typed_in_slack_links_the_person_who_can_then_ack(cast, slack):
    incident = declare(cast, actor=None)
    told = slack(f"ack {incident.ref}")
    assert "Link my Slack account" in told and "`/incident link CODE`" in told
    assert "https://keel.example.com/accounts/profile/" in told and "URESPONDER" in told
    assert acked_by(incident) is None

    client = signed_in(cast.responder)
    assert "Link my Slack account" in client.get("/accounts/profile/").content.decode()
    response = client.post("/chat/link/", {"chat_user_id": ""})
    page = response.content.decode()
    code = SHOWN_CODE.search(page).group(1)
    assert f"/incident link {code}" in page and "15 minutes" in page
    stored = ChatIdentity.objects.get(user=cast.responder)
    assert stored.code_hash == hashlib.sha256(code.replace("-", "").encode()).hexdigest()
    assert code.replace("-", "") not in str(list(ChatIdentity.objects.values()))
    assert proven(cast.responder) is None

    reply = slack(f"link {code}")
    assert reply.startswith("Linked") and "responder@example.com" in reply
    assert proven(cast.responder) == "URESPONDER"
    assert "acknowledged" in slack(f"ack {incident.ref}")
    assert acked_by(incident) == cast.responder
    profile = client.get("/accounts/profile/").content.decode()
    assert "Linked to Slack member <code>URESPONDER</code>" in profile and "Forget" in profile


def test_the_code_may_be_typed_in_lower_case_or_without_dashes(cast, slack):
    code = code_from_profile(cast.responder)
    assert slack(f"link {code.replace('-', ' ').lower()}").startswith("Linked")
    assert proven(cast.responder) == "URESPONDER"


def test_forget_unlinks_at_once(cast, slack):
    proven_link(cast.responder, "URESPONDER")
    response = signed_in(cast.responder).post("/chat/unlink/")
    assert response.status_code == 302
    assert not ChatIdentity.objects.exists()
    assert "Keel does not know who you are" in slack("list")


def test_help_and_usage_name_link(cast, slack):
    proven_link(cast.responder, "URESPONDER")
    # Escaped for Slack, which shows `<code>` (a bare <code> would be read as a link).
    assert "/incident link &lt;code&gt;" in slack("help")
    assert "Usage: `/incident link &lt;code&gt;`" in slack("link")
    assert "Usage: `/incident link &lt;code&gt;`" in slack("link", user_id="USTRANGER")


# --- Claims prove nothing ----------------------------------------------------------------


def test_claiming_a_colleagues_id_on_the_profile_or_by_api_does_not_make_you_them(
    cast, slack, linked
):
    incident = declare(cast, actor=None)
    signed_in(cast.responder).post("/chat/link/", {"chat_user_id": "UADMIN"}, format="json")
    response = api_client(cast.viewer).patch(
        "/api/v1/me/", {"chat_user_id": "UADMIN"}, format="json"
    )
    assert response.status_code == 200 and response.data["chat_user_id"] is None
    slack(f"ack {incident.ref}", user_id="UADMIN")
    assert acked_by(incident) == cast.admin
    assert proven(cast.admin) == "UADMIN"

    # A colleague who never linked: their commands reach nobody, the claimer least of all.
    other = declare(cast, actor=None, title="Another")
    signed_in(cast.responder).post("/chat/link/", {"chat_user_id": "UCOLLEAGUE"}, format="json")
    api_client(cast.viewer).patch("/api/v1/me/", {"chat_user_id": "UCOLLEAGUE"}, format="json")
    assert "Keel does not know who you are" in slack(f"ack {other.ref}", user_id="UCOLLEAGUE")
    assert acked_by(other) is None and Incident.objects.get(pk=other.pk).status == "triggered"
    assert "not linked" in slack(f"lead <@UCOLLEAGUE> {other.ref}", user_id="UADMIN")


def test_a_claimed_id_does_not_act_through_buttons_either(
    cast, channel, receiver, eager, signing_secret, django_capture_on_commit_callbacks
):
    incident = declare(cast, actor=None)
    signed_in(cast.responder).post("/chat/link/", {"chat_user_id": "UCOLLEAGUE"}, format="json")
    reply_url = f"{receiver.url}/actions/T0KEEL/7/xyz"
    body = action_body(blocks.ACKNOWLEDGE, blocks.button_value(incident.ref, channel.pk),
                       reply_url, user_id="UCOLLEAGUE")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert post_signed(Client(), "/slack/actions", body, signing_secret).status_code == 200
    assert Incident.objects.get(pk=incident.pk).status == "triggered"
    [told] = [r for r in receiver.requests if r.path == "/actions/T0KEEL/7/xyz"]
    assert b"Link my Slack account" in told.body


def test_a_link_from_before_proof_was_needed_is_ignored_and_shown_unconfirmed(cast, slack):
    ChatIdentity.objects.create(user=cast.responder, chat_user_id="URESPONDER")
    incident = declare(cast, actor=None)
    assert "Keel does not know who you are" in slack(f"ack {incident.ref}")
    proven_link(cast.admin, "UADMIN")
    assert "not linked" in slack(f"lead <@URESPONDER> {incident.ref}", user_id="UADMIN")
    assert acked_by(incident) is None
    profile = signed_in(cast.responder).get("/accounts/profile/").content.decode()
    assert "<code>URESPONDER</code> — <strong>not confirmed</strong>" in profile
    assert 'value="URESPONDER"' in profile  # the form is ready to get a code for it
    me = api_client(cast.responder).get("/api/v1/me/").data
    assert me["chat_user_id"] is None
    assert me["chat_link"] == {
        "status": "pending", "verified_at": None, "expected_chat_user_id": "URESPONDER",
        "expires_at": None,
    }  # fmt: skip

    assert slack(f"link {code_from_profile(cast.responder, 'URESPONDER')}").startswith("Linked")
    slack(f"ack {incident.ref}")
    assert acked_by(incident) == cast.responder


def test_a_pending_claim_does_not_block_the_real_owner(cast, slack):
    api_client(cast.responder).patch("/api/v1/me/", {"chat_user_id": "UADMIN"}, format="json")
    assert slack(f"link {code_from_profile(cast.admin)}", user_id="UADMIN").startswith("Linked")
    assert proven(cast.admin) == "UADMIN"
    # Claiming it again afterwards is still only a claim.
    response = api_client(cast.responder).patch(
        "/api/v1/me/", {"chat_user_id": "UADMIN"}, format="json"
    )
    assert response.status_code == 200 and response.data["chat_link"]["status"] == "pending"
    incident = declare(cast, actor=None)
    slack(f"ack {incident.ref}", user_id="UADMIN")
    assert acked_by(incident) == cast.admin


def test_a_new_proof_moves_the_member_id_from_another_account(cast, slack):
    proven_link(cast.admin, "USHARED")
    assert slack(f"link {code_from_profile(cast.responder)}", user_id="USHARED").startswith(
        "Linked"
    )
    assert proven(cast.responder) == "USHARED"
    assert not ChatIdentity.objects.filter(user=cast.admin).exists()
    incident = declare(cast, actor=None)
    slack(f"ack {incident.ref}", user_id="USHARED")
    assert acked_by(incident) == cast.responder


# --- Codes that do not work ----------------------------------------------------------------


def test_a_wrong_code_gets_the_one_reply_and_links_nothing(cast, slack):
    code_from_profile(cast.responder)
    for typed in ["ABCD-EFGH-JK", "K7QF", "K7QF-M2XR-P4-EXTRA", "!!!", "K7QF-\x00M2XR"]:
        assert slack(f"link {typed}") == INVALID
    assert slack("link ABCD-EFGH-JK", user_id="USTRANGER") == INVALID
    assert not ChatIdentity.objects.verified().exists()


def test_an_expired_code_gets_the_same_reply(cast, slack):
    with time_machine.travel(timezone.now()) as clock:
        late, in_time = code_from_profile(cast.admin), code_from_profile(cast.responder)
        clock.shift(timedelta(minutes=14))
        assert slack(f"link {in_time}").startswith("Linked")
        clock.shift(timedelta(minutes=1, seconds=1))
        assert slack(f"link {late}", user_id="UADMIN") == INVALID
    assert proven(cast.admin) is None


def test_a_used_code_gets_the_same_reply(cast, slack):
    code = code_from_profile(cast.responder)
    assert slack(f"link {code}").startswith("Linked")
    assert slack(f"link {code}") == INVALID
    assert slack(f"link {code}", user_id="UOTHER") == INVALID
    assert proven(cast.responder) == "URESPONDER"


def test_a_new_code_replaces_the_old_one(cast, slack):
    old, new = code_from_profile(cast.responder), code_from_profile(cast.responder)
    assert slack(f"link {old}") == INVALID
    assert slack(f"link {new}").startswith("Linked")


def test_a_code_made_for_one_member_typed_by_another_links_nothing_and_is_spent(cast, slack):
    code = code_from_profile(cast.responder, "uresponder")
    reply = slack(f"link {code}", user_id="UOTHER")
    assert "different Slack member id" in reply and "UOTHER" in reply
    assert "https://keel.example.com/accounts/profile/" in reply
    assert not ChatIdentity.objects.verified().exists()
    assert slack(f"link {code}") == INVALID


def test_a_deactivated_persons_code_does_not_work(cast, slack):
    code = code_from_profile(cast.responder)
    cast.responder.is_active = False
    cast.responder.save()
    assert slack(f"link {code}") == INVALID


# --- PATCH /api/v1/me/ ----------------------------------------------------------------------


def test_patch_me_starts_a_pending_link_and_get_never_shows_the_code(cast, slack):
    client = api_client(cast.responder)
    before = timezone.now()
    response = client.patch("/api/v1/me/", {"chat_user_id": "u0resp"}, format="json")
    assert response.status_code == 200 and response.data["chat_user_id"] is None
    link = response.data["chat_link"]
    code = link["code"]
    assert SHOWN_CODE.match(f'value="{code}"') and link["command"] == f"/incident link {code}"
    assert link["status"] == "pending" and link["expected_chat_user_id"] == "U0RESP"
    expires = datetime.fromisoformat(link["expires_at"])
    assert before + timedelta(minutes=15) <= expires <= timezone.now() + timedelta(minutes=15)

    shown = client.get("/api/v1/me/").data
    assert "code" not in shown["chat_link"] and "command" not in shown["chat_link"]
    assert shown["chat_link"]["status"] == "pending" and shown["chat_user_id"] is None

    assert slack(f"link {code}", user_id="U0RESP").startswith("Linked")
    shown = client.get("/api/v1/me/").data
    assert shown["chat_user_id"] == "U0RESP" and shown["chat_link"]["status"] == "linked"
    assert shown["chat_link"]["verified_at"] and shown["chat_link"]["expires_at"] is None
    # The same id again changes nothing: no new code, still linked.
    again = client.patch("/api/v1/me/", {"chat_user_id": "U0RESP"}, format="json").data
    assert again["chat_link"]["status"] == "linked" and "code" not in again["chat_link"]


@pytest.mark.parametrize("unlink", ["", None])
def test_patch_me_with_an_empty_or_null_id_unlinks_at_once(cast, unlink):
    proven_link(cast.responder, "U0RESP")
    response = api_client(cast.responder).patch(
        "/api/v1/me/", {"chat_user_id": unlink}, format="json"
    )
    assert response.status_code == 200 and response.data["chat_user_id"] is None
    assert response.data["chat_link"]["status"] == "none"
    assert not ChatIdentity.objects.exists()


@pytest.mark.parametrize("bad", ["no spaces!", 123, ["U1"], "U" * 41])
def test_patch_me_refuses_a_malformed_id(cast, bad):
    response = api_client(cast.responder).patch("/api/v1/me/", {"chat_user_id": bad}, format="json")
    assert response.status_code == 400 and response.data["detail"]
    assert not ChatIdentity.objects.exists()


def test_a_malformed_id_on_the_profile_is_told_and_changes_nothing(cast):
    response = signed_in(cast.responder).post(
        "/chat/link/", {"chat_user_id": "no spaces!"}, follow=True
    )
    assert "letters and digits" in response.content.decode()
    assert not ChatIdentity.objects.exists()
