"""The live room stops the moment access ends, whichever way it ends, over a real socket
(the project's ASGI application, session auth, the Redis channel layer).

Each test opens the room for someone, takes their access away the way people do, and
checks that the socket is told (access_ended, then closed with 4403) without first
seeing the change that took it away, and that a note added afterwards reaches a witness
who still may look, but never the closed socket."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, User
from incidents import consumers, lifecycle, live
from incidents.models import Incident
from keel.asgi import application

from ..helpers import PASSWORD, declare

pytestmark = pytest.mark.django_db(transaction=True)
HEADERS = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
TIMEOUT = 5


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@sync_to_async
def open_room(incident: Incident, client: Client) -> WebsocketCommunicator:
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return WebsocketCommunicator(
        application, f"/ws/incidents/{incident.ref}/", headers=[*HEADERS, (b"cookie", cookie)]
    )


async def watch(incident: Incident, user: User, client: Client | None = None):
    """A socket in the room, caught up (hello answered)."""
    # The broadcasts of changes made so far have gone out: none arrives after the hello.
    assert await sync_to_async(live.flush)(TIMEOUT)
    client = client or await sync_to_async(signed_in)(user)
    communicator = await open_room(incident, client)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    await communicator.send_json_to({"type": "hello", "after": incident.last_seq})
    while (await communicator.receive_json_from(timeout=TIMEOUT))["type"] != "incident":
        pass
    return communicator


async def assert_access_ends(communicator) -> str:
    """The socket is told its access ended, then closed with 4403; nothing but presence
    reaches it before (not the change that ended its access)."""
    seen = []
    while True:
        message = await communicator.receive_json_from(timeout=TIMEOUT)
        if message["type"] == "access_ended":
            break
        seen.append(message["type"])
    assert set(seen) <= {"presence"}, f"received {seen} before access_ended"
    assert await communicator.receive_output(timeout=TIMEOUT) == {
        "type": "websocket.close",
        "code": 4403,
    }
    return message["detail"]


async def assert_later_notes_stay_away(incident: Incident, closed, witness, actor: User):
    """A note added now reaches the witness, and never the closed socket."""
    await sync_to_async(lifecycle.add_note)(incident, actor, "After access ended")
    while True:
        message = await witness.receive_json_from(timeout=TIMEOUT)
        if message["type"] == "event" and message["event"]["body"] == "After access ended":
            break
    assert await closed.receive_nothing(timeout=0.5)
    await closed.disconnect()
    await witness.disconnect()


@sync_to_async
def leave_team(user: User) -> None:
    Membership.objects.get(user=user).delete()


async def private_incident(cast) -> Incident:
    return await sync_to_async(declare)(cast, private=True)


async def test_logging_out_in_another_tab_closes_that_sessions_room(cast):
    incident = await sync_to_async(declare)(cast)
    browser = await sync_to_async(signed_in)(cast.viewer)
    tab = await watch(incident, cast.viewer, browser)
    other_device = await watch(incident, cast.viewer)  # another session of the same person
    await sync_to_async(browser.post)(reverse("accounts:logout"))
    assert await assert_access_ends(tab) == "You signed out."
    await assert_later_notes_stay_away(incident, tab, other_device, cast.responder)


async def test_removing_the_role_that_let_someone_see_a_private_incident(cast):
    incident = await private_incident(cast)
    await sync_to_async(lifecycle.assign_role)(incident, cast.admin, "responder", cast.outsider)
    outsider = await watch(incident, cast.outsider)
    witness = await watch(incident, cast.viewer)
    await sync_to_async(lifecycle.unassign_role)(incident, cast.admin, "responder", cast.outsider)
    await assert_access_ends(outsider)
    await assert_later_notes_stay_away(incident, outsider, witness, cast.responder)


async def test_handing_over_the_role_that_let_someone_see_a_private_incident(cast):
    incident = await private_incident(cast)
    await sync_to_async(lifecycle.assign_role)(incident, cast.admin, "scribe", cast.outsider)
    outsider = await watch(incident, cast.outsider)
    witness = await watch(incident, cast.viewer)
    await sync_to_async(lifecycle.assign_role)(incident, cast.admin, "scribe", cast.responder)
    await assert_access_ends(outsider)
    await assert_later_notes_stay_away(incident, outsider, witness, cast.responder)


async def test_leaving_the_team_of_a_private_incident(cast):
    incident = await private_incident(cast)
    viewer = await watch(incident, cast.viewer)
    witness = await watch(incident, cast.admin)
    await leave_team(cast.viewer)
    await assert_access_ends(viewer)
    await assert_later_notes_stay_away(incident, viewer, witness, cast.responder)


async def test_moving_to_another_team_in_the_admin_form_hides_a_private_incident(cast):
    incident = await private_incident(cast)
    viewer = await watch(incident, cast.viewer)
    witness = await watch(incident, cast.admin)

    @sync_to_async
    def move_to_other_team() -> None:
        membership = Membership.objects.get(user=cast.viewer)
        membership.team = cast.other_team
        membership.save()

    await move_to_other_team()
    await assert_access_ends(viewer)
    await assert_later_notes_stay_away(incident, viewer, witness, cast.responder)


async def test_making_the_incident_private_closes_the_rooms_of_outsiders(cast):
    incident = await sync_to_async(declare)(cast)
    outsider = await watch(incident, cast.outsider)
    witness = await watch(incident, cast.viewer)
    await sync_to_async(lifecycle.update)(incident, cast.admin, private=True, title="Secret")
    # The change itself (the edit event, the new title) never reaches the outsider.
    await assert_access_ends(outsider)
    await assert_later_notes_stay_away(incident, outsider, witness, cast.responder)


async def test_deactivation_closes_every_room_of_the_person(cast):
    incident = await sync_to_async(declare)(cast)
    viewer = await watch(incident, cast.viewer)
    witness = await watch(incident, cast.responder)

    @sync_to_async
    def deactivate() -> None:
        cast.viewer.is_active = False
        cast.viewer.save()

    await deactivate()
    await assert_access_ends(viewer)
    await assert_later_notes_stay_away(incident, viewer, witness, cast.responder)


async def test_losing_staff_closes_a_private_incident_of_another_team(cast):
    incident = await private_incident(cast)
    staff = await watch(incident, cast.staff)
    witness = await watch(incident, cast.viewer)

    @sync_to_async
    def demote() -> None:
        cast.staff.is_staff = False
        cast.staff.save()

    await demote()
    await assert_access_ends(staff)
    await assert_later_notes_stay_away(incident, staff, witness, cast.responder)


async def test_changing_the_password_closes_rooms_opened_with_older_sessions(cast):
    incident = await sync_to_async(declare)(cast)
    laptop = await watch(incident, cast.viewer)
    witness = await watch(incident, cast.responder)
    phone = await sync_to_async(signed_in)(cast.viewer)
    response = await sync_to_async(phone.post)(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-and-long-passphrase",
            "new_password2": "a-new-and-long-passphrase",
        },
    )
    assert response.status_code == 302, "the password was changed"
    await assert_access_ends(laptop)
    await assert_later_notes_stay_away(incident, laptop, witness, cast.responder)


async def test_changes_that_keep_access_keep_the_room(cast):
    """Re-checks are not closures: the team sees the incident made private, and a
    viewer promoted to responder stays in the room."""
    incident = await sync_to_async(declare)(cast)
    viewer = await watch(incident, cast.viewer)

    @sync_to_async
    def promote() -> None:
        membership = Membership.objects.get(user=cast.viewer)
        membership.role = "responder"
        membership.save()

    await promote()
    await sync_to_async(lifecycle.update)(incident, cast.admin, private=True, title="Quiet")
    while True:
        message = await viewer.receive_json_from(timeout=TIMEOUT)
        assert message["type"] != "access_ended"
        if message["type"] == "incident" and message["incident"]["private"]:
            break
    assert message["incident"]["title"] == "Quiet"
    await viewer.disconnect()


@pytest.mark.parametrize("how", ["deactivated behind the signals' back", "session deleted"])
async def test_a_lost_message_is_caught_by_the_periodic_recheck(cast, monkeypatch, how):
    """queryset.update() and a session deleted by hand send no signal: the socket's own
    re-check still closes it."""
    monkeypatch.setattr(consumers, "ACCESS_RECHECK_SECONDS", 0.2)
    incident = await sync_to_async(declare)(cast)
    browser = await sync_to_async(signed_in)(cast.viewer)
    viewer = await watch(incident, cast.viewer, browser)
    witness = await watch(incident, cast.responder)

    @sync_to_async
    def take_access_away() -> None:
        if how == "session deleted":
            Session.objects.filter(session_key=browser.session.session_key).delete()
        else:
            User.objects.filter(pk=cast.viewer.pk).update(is_active=False)

    await take_access_away()
    await assert_access_ends(viewer)
    await assert_later_notes_stay_away(incident, viewer, witness, cast.responder)


async def test_a_room_opened_after_access_ended_is_refused(cast):
    incident = await private_incident(cast)
    browser = await sync_to_async(signed_in)(cast.viewer)
    await leave_team(cast.viewer)
    communicator = await open_room(incident, browser)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert not connected
