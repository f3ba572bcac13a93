"""The live incident feed (/ws/feed/) over a real socket (the project's ASGI application,
session auth, the Redis channel layer): a change reaches exactly the people who may see the
incident, says nothing but its ref, and stops reaching someone the moment access ends."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.test import Client

from accounts.models import Membership, User
from accounts.permissions import can_view, viewers_q
from incidents import lifecycle, live
from incidents.models import Incident
from keel.asgi import application

from ..helpers import declare

pytestmark = pytest.mark.django_db(transaction=True)
HEADERS = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
TIMEOUT = 5


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def open_feed(user: User, client: Client | None = None) -> WebsocketCommunicator:
    client = client or await sync_to_async(signed_in)(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    communicator = WebsocketCommunicator(
        application, "/ws/feed/", headers=[*HEADERS, (b"cookie", cookie)]
    )
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    return communicator


async def change(action, *args, **kwargs):
    """Make a change through lifecycle and wait until its broadcast has gone out."""
    result = await sync_to_async(action)(*args, **kwargs)
    assert await sync_to_async(live.flush)(TIMEOUT)
    return result


async def refs_heard(communicator) -> list[str]:
    heard = []
    while not await communicator.receive_nothing(timeout=0.3):
        message = await communicator.receive_json_from(timeout=TIMEOUT)
        assert message == {"type": "changed", "ref": message["ref"]}, "nothing but the ref"
        heard.append(message["ref"])
    return heard


async def test_a_new_private_incident_reaches_its_team_and_nobody_else(cast):
    member, viewer, outsider, staff = (
        await open_feed(cast.responder), await open_feed(cast.viewer),
        await open_feed(cast.outsider), await open_feed(cast.staff),
    )  # fmt: skip
    incident = await change(declare, cast, private=True, title="Card data leak")
    assert await refs_heard(member) == [incident.ref]
    assert await refs_heard(viewer) == [incident.ref]
    assert await refs_heard(staff) == [incident.ref]
    assert await refs_heard(outsider) == []
    for communicator in (member, viewer, outsider, staff):
        await communicator.disconnect()


async def test_a_public_incident_reaches_everyone_signed_in(cast):
    outsider = await open_feed(cast.outsider)
    incident = await change(declare, cast, title="Slow search")
    await change(lifecycle.add_note, incident, cast.responder, "Looking")
    assert await refs_heard(outsider) == [incident.ref, incident.ref]
    await outsider.disconnect()


async def test_someone_given_a_role_hears_of_the_private_incident_from_then_on(cast):
    incident = await change(declare, cast, private=True)
    outsider = await open_feed(cast.outsider)
    await change(lifecycle.add_note, incident, cast.responder, "Before")
    assert await refs_heard(outsider) == []
    await change(lifecycle.assign_role, incident, cast.responder, "responder", cast.outsider)
    assert await refs_heard(outsider) == [incident.ref]
    await outsider.disconnect()


async def test_leaving_the_team_stops_the_private_incidents_changes_at_once(cast):
    incident = await change(declare, cast, private=True)
    leaving, staying = await open_feed(cast.viewer), await open_feed(cast.responder)
    await change(lifecycle.add_note, incident, cast.responder, "One")
    assert await refs_heard(leaving) == [incident.ref]
    await sync_to_async(Membership.objects.filter(user=cast.viewer).delete)()
    await change(lifecycle.add_note, incident, cast.responder, "Two")
    assert await refs_heard(staying) == [incident.ref, incident.ref]
    assert await refs_heard(leaving) == []
    await leaving.disconnect()
    await staying.disconnect()


async def test_signing_out_ends_the_feed(cast):
    client = await sync_to_async(signed_in)(cast.responder)
    communicator = await open_feed(cast.responder, client)
    await sync_to_async(client.post)("/accounts/logout/")
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {
        "type": "access_ended",
        "detail": "You signed out.",
    }
    assert (await communicator.receive_output(timeout=TIMEOUT))["code"] == 4403
    await change(declare, cast, title="After signing out")
    assert await communicator.receive_nothing(timeout=0.5)


async def test_a_deactivated_person_stops_hearing_at_once(cast):
    communicator = await open_feed(cast.responder)
    cast.responder.is_active = False
    await sync_to_async(cast.responder.save)()
    assert (await communicator.receive_json_from(timeout=TIMEOUT))["type"] == "access_ended"
    assert (await communicator.receive_output(timeout=TIMEOUT))["code"] == 4403


async def test_nobody_signed_in_gets_no_feed(db):
    communicator = WebsocketCommunicator(application, "/ws/feed/", headers=HEADERS)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert not connected


async def test_anything_but_ping_is_answered_with_an_error_and_floods_are_closed(cast):
    communicator = await open_feed(cast.responder)
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.send_to(text_data="not json")
    assert (await communicator.receive_json_from(timeout=TIMEOUT))["type"] == "error"
    for _ in range(20):
        await communicator.send_json_to({"type": "ping"})
    assert (await communicator.receive_output(timeout=TIMEOUT))["code"] == 4429


def test_the_feeds_audience_is_exactly_who_may_see_the_incident(cast):
    """viewers_q mirrors incident_role for private incidents, for the whole cast."""
    incident = declare(cast, private=True)
    lifecycle.assign_role(incident, cast.responder, "scribe", cast.outsider)
    incident = Incident.objects.get(pk=incident.pk)
    for private_team in (cast.team, None):
        Incident.objects.filter(pk=incident.pk).update(team=private_team)
        incident.refresh_from_db()
        audience = set(User.objects.filter(viewers_q(incident)).distinct())
        everyone = {p for p in User.objects.all() if can_view(User.objects.get(pk=p.pk), incident)}
        assert audience == everyone
