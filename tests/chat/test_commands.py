"""`/incident …` slash commands, signed as Slack signs them, against the real views."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import Membership, Role, Team
from incidents.chat.models import ChatChannel, LinkedChannel
from incidents.models import Incident, TimelineEvent
from incidents.paging.models import ContactMethod, Escalation
from tests.helpers import declare
from tests.oncall.helpers import make_schedule

from .helpers import proven_link
from .slack import command_body, post_signed

URL = "/slack/commands"


@pytest.fixture
def slack(signing_secret, linked):
    client = Client()

    def command(text: str, **fields) -> dict:
        response = post_signed(client, URL, command_body(text, **fields), signing_secret)
        assert response.status_code == 200, response.content
        return response.json()

    return command


def triggered(cast) -> Incident:
    return declare(cast, actor=None)


# --- Verification ---------------------------------------------------------------------------


def test_an_unsigned_request_is_refused(db, signing_secret):
    response = Client().post(
        URL, command_body("list"), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 401
    assert "missing" in response.json()["error"]


def test_a_bad_signature_is_refused(cast, signing_secret, linked):
    response = post_signed(Client(), URL, command_body("declare Down"), "not-the-secret")
    assert response.status_code == 401
    assert not Incident.objects.exists()


def test_a_stale_timestamp_is_refused(cast, signing_secret, linked):
    stale = int(time.time()) - 6 * 60
    response = post_signed(
        Client(), URL, command_body("declare Down"), signing_secret, timestamp=stale
    )
    assert response.status_code == 401
    assert "five minutes" in response.json()["error"]
    assert not Incident.objects.exists()


def test_a_body_altered_after_signing_is_refused(cast, signing_secret, linked):
    incident = triggered(cast)
    signed = command_body(f"ack {incident.ref}")
    altered = command_body(f"resolve {incident.ref}")
    response = post_signed(Client(), URL, altered, signing_secret, signed_body=signed)
    assert response.status_code == 401
    assert Incident.objects.get(pk=incident.pk).status == "triggered"


def test_without_a_signing_secret_chat_says_it_is_not_configured(db, settings):
    settings.SLACK_SIGNING_SECRET = ""
    response = post_signed(Client(), URL, command_body("list"), "anything")
    assert response.status_code == 503
    assert "SLACK_SIGNING_SECRET" in response.json()["error"]


def test_a_get_is_not_allowed(db, signing_secret):
    assert Client().get(URL).status_code == 405


# --- People -------------------------------------------------------------------------------


def test_an_unlinked_person_is_told_how_to_link_and_nothing_else(cast, slack, settings):
    settings.SITE_URL = "https://keel.example.com"
    reply = slack("declare Everything is down", user_id="USTRANGER")
    assert reply["response_type"] == "ephemeral"
    assert "https://keel.example.com/accounts/profile/" in reply["text"]
    assert "USTRANGER" in reply["text"]
    assert not Incident.objects.exists()


def test_help_lists_every_command(cast, slack):
    for text in ["help", "", "   "]:
        reply = slack(text)
        assert reply["response_type"] == "ephemeral"
        for verb in ["declare", "ack", "status", "sev", "note", "lead", "page", "resolve",
                     "list", "oncall", "link"]:  # fmt: skip
            assert f"/incident {verb}" in reply["text"]


def test_an_unknown_command_gets_help(cast, slack):
    reply = slack("reboot the world")
    assert "I don't know `reboot`" in reply["text"] and "/incident ack" in reply["text"]


# --- Commands -------------------------------------------------------------------------------


def test_declare_opens_an_incident_as_the_person_in_their_team_and_links_the_channel(cast, slack):
    reply = slack("declare Checkout is down sev1")
    incident = Incident.objects.get()
    assert (incident.title, incident.severity, incident.team) == (
        "Checkout is down",
        "SEV1",
        cast.team,
    )
    assert incident.declared_by == cast.responder and incident.commander == cast.responder
    assert reply["response_type"] == "in_channel"
    assert incident.ref in reply["text"] and "Responder declared" in reply["text"]
    assert LinkedChannel.objects.get(slack_channel_id="C0OPS").incident == incident


def test_declare_without_a_severity_is_sev3_and_without_a_title_is_usage(cast, slack):
    slack("declare Slow search")
    assert Incident.objects.get().severity == "SEV3"
    reply = slack("declare")
    assert "Usage: `/incident declare" in reply["text"]


def test_declare_in_a_teams_channel_declares_for_that_team(cast, slack):
    ChatChannel.objects.create(
        team=cast.team, name="#ops", webhook_url="https://hooks.example.com/x",
        slack_channel_id="C0OPS",
    )  # fmt: skip
    slack("declare Queue backlog sev2")
    assert Incident.objects.get().team == cast.team


def test_a_viewer_may_not_declare(cast, slack):
    reply = slack("declare Down", user_id="UVIEWER")
    assert "Only responders" in reply["text"]
    assert not Incident.objects.exists()


def test_ack_acknowledges_as_the_person_and_the_timeline_says_so(cast, slack):
    incident = triggered(cast)
    reply = slack(f"ack {incident.ref}")
    incident.refresh_from_db()
    assert incident.status == "investigating"
    event = TimelineEvent.objects.get(incident=incident, kind="ack")
    assert event.author == cast.responder
    assert reply["response_type"] == "ephemeral" and incident.ref in reply["text"]


def test_the_ref_may_be_left_out_in_a_channel_linked_to_the_incident(cast, slack):
    incident = triggered(cast)
    LinkedChannel.objects.create(slack_channel_id="C0INC", incident=incident)
    slack("ack", channel_id="C0INC")
    assert Incident.objects.get(pk=incident.pk).status == "investigating"


def test_leaving_out_the_ref_elsewhere_asks_which_incident(cast, slack):
    triggered(cast)
    reply = slack("ack", channel_id="C0ELSEWHERE")
    assert "Which incident?" in reply["text"] and "Usage" in reply["text"]


def test_acknowledging_twice_says_why_not(cast, slack):
    incident = triggered(cast)
    slack(f"ack {incident.ref}")
    reply = slack(f"ack {incident.ref}")
    assert f"{incident.ref} has nothing to acknowledge: nobody is being paged" in reply["text"]
    assert reply["response_type"] == "ephemeral"


def test_status_changes_the_status_and_bad_ones_get_usage(cast, slack):
    incident = declare(cast)
    slack(f"status identified {incident.ref}")
    assert Incident.objects.get(pk=incident.pk).status == "identified"
    reply = slack(f"status exploded {incident.ref}")
    assert "Usage: `/incident status" in reply["text"] and "monitoring" in reply["text"]


def test_sev_changes_the_severity_and_bad_ones_get_usage(cast, slack):
    incident = declare(cast)
    slack(f"sev 1 {incident.ref}")
    assert Incident.objects.get(pk=incident.pk).severity == "SEV1"
    for bad in ["sev 9", "sev", "sev one", "sev 1 2"]:
        assert "Usage: `/incident sev" in slack(f"{bad} {incident.ref}")["text"]


def test_note_adds_a_note_by_the_person(cast, slack):
    incident = declare(cast)
    slack(f"note {incident.ref} Rolled back deploy 412 (INC-99 is unrelated)")
    note = TimelineEvent.objects.get(incident=incident, kind="note")
    assert (
        note.body == "Rolled back deploy 412 (INC-99 is unrelated)"
        and note.author == cast.responder
    )
    assert "Usage" in slack(f"note {incident.ref}")["text"]


def test_lead_makes_the_mentioned_person_commander(cast, slack):
    incident = declare(cast)
    slack(f"lead <@UADMIN|admin> {incident.ref}")
    assert Incident.objects.get(pk=incident.pk).commander == cast.admin
    slack(f"lead viewer@example.com {incident.ref}")
    assert Incident.objects.get(pk=incident.pk).commander == cast.viewer
    reply = slack(f"lead <@UNOBODY> {incident.ref}")
    assert "not linked" in reply["text"]
    assert "Usage" in slack(f"lead {incident.ref}")["text"]


def test_resolve_resolves(cast, slack):
    incident = declare(cast)
    slack(f"resolve {incident.ref}")
    assert Incident.objects.get(pk=incident.pk).status == "resolved"


def test_list_shows_the_open_incidents_the_person_may_see(cast, slack, linked):
    proven_link(cast.outsider, "UOUTSIDER")
    public = declare(cast, title="Public trouble")
    private = declare(cast, title="Secret trouble", private=True)
    closed = declare(cast, title="Old trouble")
    slack(f"resolve {closed.ref}")
    mine = slack("list")["text"]
    assert public.ref in mine and private.ref in mine and closed.ref not in mine
    theirs = slack("list", user_id="UOUTSIDER")["text"]
    assert public.ref in theirs and private.ref not in theirs and "Secret" not in theirs


def test_page_pages_a_person_or_a_schedule_by_hand(cast, slack, linked):
    incident = declare(cast)
    ContactMethod.objects.create(user=cast.admin, kind="email", address="admin@example.com")
    ContactMethod.objects.create(user=cast.viewer, kind="email", address="viewer@example.com")
    reply = slack(f"page admin@example.com {incident.ref}")["text"]
    assert reply.startswith(f"Paging Admin (email) for {incident.ref}.")
    schedule = make_schedule(cast.team, [cast.viewer], name="Ops primary")
    assert "Paging Viewer (email)" in slack(f"page Ops primary {incident.ref}")["text"]
    targets = [e.manual_targets for e in Escalation.objects.order_by("pk")]
    assert targets == [[{"user": cast.admin.pk}], [{"schedule": schedule.pk}]]
    assert "Name a person" in slack(f"page nobody at all {incident.ref}")["text"]


def test_page_says_truthfully_when_nobody_could_be_paged_and_why(cast, slack, linked):
    """Someone on call with no contact method, or a schedule with nobody on call now:
    the answer says nobody was paged, and why, instead of "Paging whoever…"."""
    incident = declare(cast)
    make_schedule(cast.team, [cast.viewer], name="Ops primary")
    with time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=UTC), tick=False):
        reply = slack(f"page Ops primary {incident.ref}")["text"]
    assert reply == (
        f"Nobody was paged for {incident.ref}: Viewer cannot be paged: no contact method in Keel."
    )
    assert "Paging" not in reply
    make_schedule(cast.team, [], name="Empty")
    reply = slack(f"page Empty {incident.ref}")["text"]
    assert reply.startswith(f"Nobody was paged for {incident.ref}: nobody is on call for Empty")
    assert "cannot be paged" in slack(f"page me {incident.ref}")["text"]


def test_oncall_names_who_is_on_call_now_and_next(cast, slack):
    assert "has an on-call schedule yet" in slack("oncall")["text"]
    make_schedule(cast.team, [cast.viewer, cast.admin])
    with time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=UTC), tick=False):
        expected = "*Ops primary* (Ops): Viewer until Tue 09:00 UTC; next Admin from Tue 09:00 UTC"
        assert slack("oncall")["text"] == expected
        assert slack("oncall ops")["text"] == expected
    assert "No on-call schedule of other that you can see" in slack("oncall other")["text"]


def test_an_unknown_or_hidden_incident_is_no_such_incident(cast, slack, linked):
    proven_link(cast.outsider, "UOUTSIDER")
    assert "No such incident" in slack("ack INC-999")["text"]
    private = declare(cast, private=True, actor=None)
    reply = slack(f"ack {private.ref}", user_id="UOUTSIDER")
    assert "No such incident" in reply["text"]
    assert Incident.objects.get(pk=private.pk).status == "triggered"


def test_a_viewer_is_told_they_may_not_change_it(cast, slack):
    incident = triggered(cast)
    reply = slack(f"ack {incident.ref}", user_id="UVIEWER")
    assert "can view" in reply["text"]
    assert Incident.objects.get(pk=incident.pk).status == "triggered"


def test_a_malformed_body_gets_a_reply_not_an_error(cast, signing_secret, linked):
    for body in ["%%%", "text=%ZZ&user_id=URESPONDER", "\x00\xff", "a=" + "x" * 20000]:
        response = post_signed(Client(), URL, body, signing_secret)
        assert response.status_code == 200
        assert response.json()["response_type"] == "ephemeral"


@hypothesis_settings(
    max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
@given(
    text=st.one_of(
        st.text(max_size=200),
        st.lists(
            st.sampled_from(["declare", "ack", "status", "sev", "note", "lead", "page",
                             "resolve", "list", "oncall", "help", "INC-1", "INC-0",
                             "INC-99999999999", "sev1", "1", "<@UADMIN>", "<@", "me",
                             "identified", "merged", "\x00", "ß", "link",
                             "K7QF-M2XR-P4", "team:ops", "team:", "team:x:y", "&amp;",
                             "&lt;!channel&gt;", "Ops primary"]),
            max_size=6,
        ).map(" ".join),
    )
)  # fmt: skip
def test_any_text_gets_a_reply_never_an_error(cast, signing_secret, linked, text):
    response = post_signed(Client(), URL, command_body(text), signing_secret)
    assert response.status_code == 200
    assert response.json()["response_type"] in ("ephemeral", "in_channel")
    assert "<!" not in response.json()["text"]  # typed text never pings the channel


@pytest.mark.parametrize(
    "text", ["declare Bad\x00title", "note INC-1 nul\x00here", "ack INC-1\x00"]
)
def test_nul_characters_get_a_reply_never_an_error(cast, slack, text):
    declare(cast)
    assert slack(text)["response_type"] in ("ephemeral", "in_channel")


def test_slacks_certificate_check_gets_an_empty_200(db, signing_secret):
    response = post_signed(Client(), URL, "ssl_check=1&token=legacy", signing_secret)
    assert response.status_code == 200 and response.content == b""


def test_a_display_name_cannot_ping_the_channel(cast, slack):
    cast.responder.display_name = "<!channel> Mallory"
    cast.responder.save()
    reply = slack("declare Checkout is down")
    assert "<!channel>" not in reply["text"] and "&lt;!channel&gt; Mallory" in reply["text"]


def test_lead_and_page_name_only_people_the_person_may_see(cast, slack, linked):
    """Someone outside the requester's teams is answered as if unknown: not made commander
    (which would let them into a private incident), not paged, not confirmed to exist."""
    incident = declare(cast, private=True)
    proven_link(cast.outsider, "UOUTSIDER")
    assert "not linked" in slack(f"lead <@UOUTSIDER> {incident.ref}")["text"]
    unknown = slack(f"lead nobody@example.com {incident.ref}")["text"]
    assert slack(f"lead outsider@example.com {incident.ref}")["text"] == unknown
    assert "Name a person" in slack(f"page outsider@example.com {incident.ref}")["text"]
    assert not incident.roles.filter(user=cast.outsider).exists()
    assert not Escalation.objects.exists()


# --- Help before linking ----------------------------------------------------------------------


def test_help_from_someone_not_linked_yet_shows_how_to_link_and_the_commands(cast, slack, settings):
    settings.SITE_URL = "https://keel.example.com"
    reply = slack("help", user_id="USTRANGER")["text"]
    assert "https://keel.example.com/accounts/profile/" in reply and "USTRANGER" in reply
    for verb in ["declare", "ack", "page", "list", "link"]:
        assert f"/incident {verb}" in reply
    assert "/incident declare" not in slack("list", user_id="USTRANGER")["text"]


# --- Declaring for one of several teams ------------------------------------------------------


@pytest.fixture
def in_two_teams(cast):
    """The responder responds for Other too."""
    Membership.objects.create(team=cast.other_team, user=cast.responder, role=Role.RESPONDER)
    return cast.responder


def test_someone_in_two_teams_declares_for_the_teams_channel_they_type_in(
    cast, slack, in_two_teams
):
    ChatChannel.objects.create(
        team=cast.other_team, name="#other", webhook_url="https://hooks.example.com/x",
        slack_channel_id="C0OTHER",
    )  # fmt: skip
    reply = slack("declare Queue backlog sev2", channel_id="C0OTHER")
    assert reply["response_type"] == "in_channel"
    assert Incident.objects.get().team == cast.other_team


def test_someone_in_two_teams_declares_for_the_team_of_the_incident_the_channel_was_given(
    cast, slack, in_two_teams
):
    first = declare(cast, team=cast.other_team)
    LinkedChannel.objects.create(slack_channel_id="C0WAR", incident=first)
    slack("declare Second trouble", channel_id="C0WAR")
    assert Incident.objects.exclude(pk=first.pk).get().team == cast.other_team


def test_elsewhere_someone_in_two_teams_names_the_team(cast, slack, in_two_teams):
    reply = slack("declare Queue backlog sev2", channel_id="C0ELSEWHERE")["text"]
    assert "team:ops" in reply and "team:other" in reply and "browser" not in reply
    assert not Incident.objects.exists()
    reply = slack("declare Queue backlog sev2 team:other", channel_id="C0ELSEWHERE")
    incident = Incident.objects.get()
    assert (incident.title, incident.severity, incident.team) == (
        "Queue backlog", "SEV2", cast.other_team,
    )  # fmt: skip
    assert reply["response_type"] == "in_channel"
    slack("declare team:OPS Disk full", channel_id="C0ELSEWHERE")
    assert Incident.objects.get(title="Disk full").team == cast.team


def test_a_team_one_does_not_respond_for_is_refused_like_one_that_does_not_exist(cast, slack):
    Team.objects.create(name="Secret", slug="secret")
    hidden = slack("declare Down team:secret")["text"]
    missing = slack("declare Down team:nosuch")["text"]
    assert hidden.replace("secret", "X") == missing.replace("nosuch", "X")
    assert "team:ops" in hidden
    assert slack("declare Down team:ops", user_id="UVIEWER")["text"].startswith(
        "You do not respond for a team 'ops'."
    )
    assert not Incident.objects.exists()


# --- Text both ways ---------------------------------------------------------------------------


def test_what_slack_escaped_is_stored_as_typed(cast, slack):
    """Slack sends `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;` (and a typed `&lt;` as
    `&amp;lt;`): unescaped once, titles and notes read as the person typed them."""
    reply = slack("declare R&amp;D &lt;api&gt; down &amp;lt;sic&amp;gt; sev2")
    incident = Incident.objects.get()
    assert incident.title == "R&D <api> down &lt;sic&gt;"
    # ... and escaped again on the way out, so Slack shows it as typed.
    assert "R&amp;D &lt;api&gt; down &amp;lt;sic&amp;gt;" in reply["text"]
    slack(f"note {incident.ref} p99 &gt; 2s &amp; rising")
    assert TimelineEvent.objects.get(incident=incident, kind="note").body == "p99 > 2s & rising"


def test_usage_lines_and_refusals_are_escaped_for_slack(cast, slack):
    reply = slack("declare")["text"]
    assert "&lt;title&gt;" in reply and "<title>" not in reply
    help_text = slack("help")["text"]
    assert "`/incident page &lt;person or schedule&gt; [INC-n]`" in help_text
    assert "<" not in help_text.replace("<http", "")
    unknown = slack("&lt;!channel&gt;")["text"]
    assert "<!channel>" not in unknown and "&lt;!channel&gt;" in unknown


def test_a_long_list_ends_with_whole_items_and_how_many_more(cast, slack):
    for number in range(20):
        declare(cast, title=f"Trouble {number} " + "&" * 150)
    text = slack("list")["text"]
    assert len(text) <= 2900
    lines = text.split("\n")
    assert lines[-1].startswith("…and ") and lines[-1].endswith(" more.")
    shown = lines[:-1]
    assert all(line.endswith("· SEV2 · investigating · Responder") for line in shown)
    assert len(shown) + int(lines[-1].split()[1]) == 20


def test_page_pages_only_schedules_of_ones_own_teams(cast, slack, linked):
    """As the API: someone of Other working Ops's public incident cannot page Ops's
    schedule, and Ops's responder cannot page Other's; both are answered as unknown."""
    proven_link(cast.outsider, "UOUTSIDER")
    incident = declare(cast)
    make_schedule(cast.team, [cast.viewer], name="Ops primary")
    make_schedule(cast.other_team, [cast.outsider], name="Other primary")
    hidden = slack(f"page Ops primary {incident.ref}", user_id="UOUTSIDER")["text"]
    missing = slack(f"page No such rota {incident.ref}", user_id="UOUTSIDER")["text"]
    assert hidden == missing and "Name a person" in hidden
    assert "Name a person" in slack(f"page Other primary {incident.ref}")["text"]
    assert not Escalation.objects.exists()
    with time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=UTC), tick=False):
        own = slack(f"page Other primary {incident.ref}", user_id="UOUTSIDER")["text"]
    assert "Outsider cannot be paged" in own
    assert Escalation.objects.count() == 1


def test_a_long_oncall_answer_ends_with_whole_lines_and_how_many_more(cast, slack):
    for number in range(40):
        make_schedule(cast.team, [cast.viewer], name=f"Rota {number:02} " + "&" * 40)
    with time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=UTC), tick=False):
        lines = slack("oncall")["text"].split("\n")
    assert lines[-1].startswith("…and ") and lines[-1].endswith(" more.")
    assert all(line.startswith("*Rota ") and "): Viewer until " in line for line in lines[:-1])
    assert len(lines) - 1 + int(lines[-1].split()[1]) == 40
