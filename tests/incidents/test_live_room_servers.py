"""Two ASGI server processes sharing PostgreSQL and Redis, as in production: a note posted
through one reaches a browser socket connected to the other."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from django.test import Client

from accounts.models import ApiToken

from ..helpers import declare

pytestmark = pytest.mark.django_db(transaction=True)


async def next_event(socket) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
        if message["type"] == "event":
            return message["event"]


def test_a_note_posted_through_server_a_reaches_a_socket_on_server_b(cast, two_servers):
    server_a, server_b = two_servers
    incident = declare(cast)
    _token, raw = ApiToken.issue(cast.responder, "tests")
    browser = Client()
    browser.force_login(cast.viewer)
    cookie = f"sessionid={browser.cookies['sessionid'].value}"
    url = f"ws://127.0.0.1:{server_b.port}/ws/incidents/{incident.ref}/"

    async def scenario() -> dict:
        async with websockets.connect(
            url, origin=server_b.url, additional_headers={"Cookie": cookie}
        ) as socket:
            await socket.send(json.dumps({"type": "hello", "after": incident.last_seq}))
            while json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] != "incident":
                pass
            async with httpx.AsyncClient() as http:
                response = await http.post(
                    f"{server_a.url}/api/v1/incidents/{incident.ref}/notes/",
                    json={"body": "Posted through server A"},
                    headers={"Authorization": f"Bearer {raw}"},
                )
                assert response.status_code == 201, response.text
            return await next_event(socket)

    event = asyncio.run(scenario())
    assert (event["seq"], event["body"]) == (3, "Posted through server A")
    assert event["author"]["email"] == "responder@example.com"
