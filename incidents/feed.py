"""The live incident feed: a WebSocket per signed-in page that lists incidents (the
incident list, a service page), told "incident X changed" after every committed change.

The push carries no state, only the ref: the page fetches the part that lists incidents
again over HTTP (static/js/live_feed.js), so what it shows is exactly what a fresh load
would show, for that person, and cannot drift from it. Who hears of a change: for a
public incident everyone signed in (one group); for a private one only the people who
may see it (accounts.permissions.viewers_q), each through their own group, so nobody
else learns even its ref. The audience is read afresh for every change: someone removed
from the team or from the incident stops hearing of it with the next change.

Access ends as in the room (incidents/consumers.py): each socket also joins its person's
group (accounts/access.py), so logging out, a password change or deactivation asks it to
re-check its session, and it re-checks on its own now and then; when the session no longer
signs the person in it sends {"type": "access_ended"} and closes with 4403.

Frames from the browser: {"type": "ping"} only (anything else is answered with an error);
more than FRAME_LIMIT allows closes the socket with 4429.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.access import session_fingerprint, user_group
from accounts.models import User
from accounts.permissions import session_signs_in, viewers_q

from .models import Incident
from .throttle import TokenBucket

log = logging.getLogger(__name__)

PUBLIC_GROUP = "incident-feed"
CHANGED = "feed.changed"
CLOSE_ACCESS_ENDED = 4403
CLOSE_TOO_MANY = 4429
MAX_FRAME_CHARS = 1024
ACCESS_RECHECK_SECONDS = 60.0
FRAME_LIMIT = (10, 5.0)  # the page pings every 25 s


def person_group(user_id: int) -> str:
    return f"incident-feed-{user_id}"


def audience(incident: Incident) -> list[str]:
    """The groups that hear of a change to this incident."""
    if not incident.private:
        return [PUBLIC_GROUP]
    people = User.objects.filter(viewers_q(incident)).values_list("pk", flat=True).distinct()
    return [person_group(pk) for pk in people]


def announce(incident: Incident, send: Callable[[str, dict[str, Any]], object]) -> None:
    """Say that `incident` changed to everyone who may see it (live.py calls this on its
    sender thread; `send(group, message)` is the channel layer's group_send, run there)."""
    message = {"type": CHANGED, "ref": incident.ref}
    for group in audience(incident):
        send(group, message)


class IncidentFeedConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: tuple[str, ...] = ()
    ended = False
    watchdog: asyncio.Task | None = None

    async def __call__(self, scope, receive, send) -> None:
        # As in the room: a send to a browser that has gone away skips disconnect().
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.leave()

    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close()
            return
        # Listen for "re-check" before checking, so a logout meanwhile is not missed.
        self.groups_joined = (user_group(user.pk), person_group(user.pk), PUBLIC_GROUP)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        if not await database_sync_to_async(self._signed_in)():
            self.ended = True
            await self.leave()
            await self.close()
            return
        self.frames = TokenBucket(*FRAME_LIMIT)
        await self.accept()
        self.watchdog = asyncio.create_task(self.recheck_now_and_then())

    async def disconnect(self, code: int) -> None:
        await self.leave()

    async def leave(self) -> None:
        if self.watchdog is not None:
            self.watchdog.cancel()
            self.watchdog = None
        joined, self.groups_joined = self.groups_joined, ()
        for group in joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        if self.ended:
            return
        if not self.frames.take():
            self.ended = True
            log.warning("live feed: closing user %s's socket: too many frames",
                        self.scope["user"].pk)  # fmt: skip
            await self.close(code=CLOSE_TOO_MANY)
            await self.leave()
            return
        text = text_data or ""
        try:
            content = json.loads(text) if len(text) <= MAX_FRAME_CHARS else None
        except (ValueError, RecursionError):
            content = None
        if not (isinstance(content, dict) and content.get("type") == "ping"):
            await self.send_json({"type": "error", "detail": "Only ping is understood here."})

    # --- Access ---------------------------------------------------------------------------

    def _signed_in(self) -> bool:
        user = User.objects.filter(pk=self.scope["user"].pk).first()
        return session_signs_in(user, self.scope["session"].session_key)

    async def end_access(self, detail: str) -> None:
        if self.ended:
            return
        self.ended = True
        await self.send_json({"type": "access_ended", "detail": detail})
        await self.close(code=CLOSE_ACCESS_ENDED)
        await self.leave()

    async def recheck_now_and_then(self) -> None:
        """The safety net for a lost re-check message, as in the room."""
        while True:
            await asyncio.sleep(ACCESS_RECHECK_SECONDS * random.uniform(0.8, 1.2))
            try:
                await self.channel_layer.send(self.channel_name, {"type": "access.check"})
            except Exception as error:  # Redis away for a moment: try again next round
                log.warning("live feed: could not schedule an access re-check: %s", error)

    # --- Messages from the channel layer --------------------------------------------------

    async def access_check(self, message: dict) -> None:
        ended = message.get("ended_session")
        if ended and ended == session_fingerprint(self.scope["session"].session_key):
            await self.end_access("You signed out.")
        elif not self.ended and not await database_sync_to_async(self._signed_in)():
            await self.end_access("You are no longer signed in.")

    async def feed_changed(self, message: dict) -> None:
        if not self.ended:
            await self.send_json({"type": "changed", "ref": message["ref"]})
