"""The live room's broadcast leaves from a sender thread, not from the request that made
the change: the change is answered at once, broadcasts keep their order, and one that
fails does not stop the next."""

from __future__ import annotations

import threading

import psycopg
import pytest
from channels.db import database_sync_to_async
from django.db import connection

from incidents import lifecycle, live
from incidents.lifecycle import Change

from ..helpers import api_client, declare
from .test_live_room import connect_and_hello, receive_until, room

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 10


@pytest.fixture(autouse=True)
def nothing_left_queued(transactional_db):
    yield
    assert live.flush(TIMEOUT), "the sender thread did not drain its queue"


async def test_a_burst_of_changes_arrives_in_order_and_ends_with_the_latest_state(
    cast, sync_thread_db_closed
):
    incident = await database_sync_to_async(declare)(cast)
    watcher = await room(incident, cast.viewer)
    await connect_and_hello(watcher, after=incident.last_seq)

    def burst() -> None:
        for n in range(12):
            lifecycle.add_note(incident, cast.responder, f"note {n}")
        lifecycle.set_severity(incident, cast.responder, "SEV1")

    await database_sync_to_async(burst)()
    last = incident.last_seq + 13
    seqs, state = [], None
    while state is None or state["last_seq"] < last:
        message = await receive_until(watcher, "event" if len(seqs) < 13 else "incident")
        if message["type"] == "event":
            seqs.append(message["event"]["seq"])
        else:
            state = message["incident"]

    assert seqs == list(range(incident.last_seq + 1, last + 1))
    assert (state["severity"], state["last_seq"]) == ("SEV1", last)
    await watcher.disconnect()


async def test_a_failing_broadcast_is_logged_in_one_line_and_the_next_goes_out(
    cast, caplog, sync_thread_db_closed
):
    incident = await database_sync_to_async(declare)(cast)
    watcher = await room(incident, cast.viewer)
    await connect_and_hello(watcher, after=incident.last_seq)
    gone = Change(incident_id=0, ref="INC-0", event_ids=(0,), kinds=("note",), actor_id=None)

    live.broadcast_change(gone)
    await database_sync_to_async(lifecycle.add_note)(incident, cast.responder, "Still broadcasting")

    event = (await receive_until(watcher, "event"))["event"]
    assert event["body"] == "Still broadcasting"
    failures = [r for r in caplog.records if r.name == "incidents.background"]
    assert len(failures) == 1 and "INC-0" in failures[0].getMessage()
    assert failures[0].exc_info is None, "one line, not a traceback"
    await watcher.disconnect()


def test_a_note_is_answered_while_its_broadcast_is_held_up(cast, service):
    """The broadcast reads the incident's services. While another session holds the table
    exclusively, the broadcast waits; the person posting the note must not."""
    incident = declare(cast, services=[service])
    client = api_client(cast.responder)
    settings = connection.settings_dict
    answered, response = threading.Event(), {}

    def post_note() -> None:
        url = f"/api/v1/incidents/{incident.ref}/notes/"
        try:
            response["note"] = client.post(url, {"body": "Rolled back"}, format="json")
            answered.set()
        finally:
            connection.close()  # this thread's

    with psycopg.connect(
        host=settings["HOST"], port=settings["PORT"], user=settings["USER"],
        password=settings["PASSWORD"], dbname=settings["NAME"],
    ) as blocker:  # fmt: skip
        blocker.execute("LOCK TABLE incidents_service IN ACCESS EXCLUSIVE MODE")
        poster = threading.Thread(target=post_note)
        poster.start()
        was_answered = answered.wait(TIMEOUT)
        still_queued = not live.flush(timeout=0)
        blocker.rollback()  # let the broadcast go
    poster.join()

    assert was_answered, "the POST waited for the broadcast"
    assert response["note"].status_code == 201
    assert still_queued, "the broadcast was still waiting for the table"
    assert live.flush(TIMEOUT)
