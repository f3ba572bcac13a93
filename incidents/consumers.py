"""The live incident room: a WebSocket per open incident page.

Protocol (JSON text frames): the client says {"type": "hello", "after": <last seq it
has>}; the server replays every later event from the database in seq order (in batches,
never the whole timeline in memory), then pushes {"type": "event", "event": {...}} for
each new one, {"type": "event_update", ...} when a note is struck, {"type": "incident",
"incident": {...}} with the state after any change, and {"type": "presence", "users":
[...]} when people come and go. The client sends {"type": "ping"} every so often to stay
listed as present. Writes go over HTTP. A well-formed message the server cannot use gets
{"type": "error", "detail": "..."}.

Access ends at once. Each socket joins its incident's group and its person's group
(accounts/access.py): a logout, password change, deactivation or team change asks the
person's sockets to re-check; a change that may hide the incident from someone (made
private, a role removed) bumps the incident's access_version, which every push carries,
so a socket re-checks before it forwards the first push after it. A re-check reads the
database: the session still signs the person in, and they may still see the incident.
Besides, every socket re-checks on its own every ACCESS_RECHECK_SECONDS, in case a
message was lost. When access has ended the server sends {"type": "access_ended",
"detail": "..."} and closes.

Close codes (the page stops reconnecting on 4403; README, "The live room's protocol"):

- 4400  malformed frame: binary, not JSON, or larger than MAX_FRAME_CHARS
- 4403  access ended (logged out, password changed, deactivated, no longer allowed to see
        the incident); also when a replay finds access gone
- 4429  too many messages: more hellos, pings or frames than the limits below allow
- 1009  (from uvicorn, before Keel sees it) a frame over the Procfile's --ws-max-size

A socket closed for misbehaving is logged in one line (no traceback).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.access import session_fingerprint, user_group
from accounts.models import User
from accounts.permissions import can_view, get_incident_for, session_signs_in

from . import presence
from .live import event_payload, events_after, incident_payload, room_group
from .models import Incident
from .throttle import TokenBucket

log = logging.getLogger(__name__)

CLOSE_MALFORMED = 4400
CLOSE_ACCESS_ENDED = 4403
CLOSE_TOO_MANY = 4429

REPLAY_BATCH = 200
MAX_FRAME_CHARS = 4096
MAX_SEQ = 2**31 - 1
# The safety net: how often a socket re-checks its access with no reason to (jittered,
# so sockets opened together do not re-check together).
ACCESS_RECHECK_SECONDS = 60.0
# (burst, one more every n seconds). The page sends one hello per connection and a ping
# every 25 s; these leave room for that and refuse floods.
FRAME_LIMIT = (20, 0.5)
HELLO_LIMIT = (2, 30.0)
PING_LIMIT = (3, 10.0)


class IncidentRoomConsumer(AsyncJsonWebsocketConsumer):
    incident: Incident
    group: str | None = None  # set once the socket is accepted into the room
    person_group: str | None = None
    replayed_to: int | None = None  # the last seq sent by replay; None until hello
    access_version = 0  # the incident's access_version when access was last verified
    ended = False  # access ended or the socket was closed for misbehaving
    watchdog: asyncio.Task | None = None

    async def __call__(self, scope, receive, send) -> None:
        # A send to a browser that has just gone away raises out of the handler, and then
        # disconnect() never runs: leave the room here too, or the channel and the
        # presence entry would linger.
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.leave_room()

    async def connect(self) -> None:
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close()
            return
        # Listen for "re-check" before checking, so a change made meanwhile is not missed.
        self.person_group = user_group(user.pk)
        await self.channel_layer.group_add(self.person_group, self.channel_name)
        try:
            self.incident = await database_sync_to_async(get_incident_for)(
                user, self.scope["url_route"]["kwargs"]["ref"]
            )
        except (Http404, PermissionDenied):
            self.ended = True
            await self.leave_room()
            await self.close()
            return
        self.access_version = self.incident.access_version
        self.limits = {
            "frame": TokenBucket(*FRAME_LIMIT),
            "hello": TokenBucket(*HELLO_LIMIT),
            "ping": TokenBucket(*PING_LIMIT),
        }
        self.group = room_group(self.incident.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.watchdog = asyncio.create_task(self.recheck_now_and_then())
        # The room hears of it with the next coalesced presence update (see presence.py);
        # this socket gets the whole list after its hello.
        await presence.join(self.incident.pk, user.pk, user.name, self.channel_name)

    async def disconnect(self, code: int) -> None:
        await self.leave_room()

    async def leave_room(self) -> None:
        """Leave the groups and the presence list, once."""
        if self.watchdog is not None:
            self.watchdog.cancel()
            self.watchdog = None
        person_group, self.person_group = self.person_group, None
        if person_group is not None:
            await self.channel_layer.group_discard(person_group, self.channel_name)
        group, self.group = self.group, None
        if group is None:
            return
        await self.channel_layer.group_discard(group, self.channel_name)
        user = self.scope["user"]
        await presence.leave(self.incident.pk, user.pk, self.channel_name)

    # --- Frames from the browser -----------------------------------------------------------

    async def websocket_receive(self, message: dict) -> None:
        await self.receive(text_data=message.get("text"), bytes_data=message.get("bytes"))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        if self.ended:
            return
        if text_data is None:
            await self.refuse(CLOSE_MALFORMED, "a binary frame")
            return
        if len(text_data) > MAX_FRAME_CHARS:
            await self.refuse(CLOSE_MALFORMED, f"a frame of {len(text_data)} characters")
            return
        if not self.limits["frame"].take():
            await self.refuse(CLOSE_TOO_MANY, "too many frames")
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.refuse(CLOSE_MALFORMED, "a frame that is not JSON")
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "hello":
            after = content.get("after", 0)
            if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= MAX_SEQ:
                await self.send_json({"type": "error", "detail": "after must be a seq (>= 0)."})
            elif not self.limits["hello"].take():
                await self.refuse(CLOSE_TOO_MANY, "too many hellos")
            else:
                await self.replay(after)
        elif kind == "ping":
            if not self.limits["ping"].take():
                await self.refuse(CLOSE_TOO_MANY, "too many pings")
                return
            # Keeps this socket listed; also re-tells the room if a presence update was lost.
            user = self.scope["user"]
            await presence.join(self.incident.pk, user.pk, user.name, self.channel_name)
        else:
            await self.send_json({"type": "error", "detail": "Send hello or ping."})

    async def refuse(self, code: int, what: str) -> None:
        """Close a socket that misbehaves, saying why in one log line."""
        self.ended = True
        log.warning(
            "live room: closing user %s's socket on %s with %s: %s",
            self.scope["user"].pk, self.incident.ref, code, what,
        )  # fmt: skip
        await self.close(code=code)
        await self.leave_room()

    # --- Replay: frames are handled one at a time, so one replay is in flight at most -----

    async def replay(self, after: int) -> None:
        while True:
            batch = await database_sync_to_async(self._verified_batch)(after)
            if batch is None:  # access ended, perhaps while a long replay was streaming
                await self.end_access()
                return
            for payload in batch:
                await self.send_json({"type": "event", "event": payload})
            if batch:
                after = batch[-1]["seq"]
            if len(batch) < REPLAY_BATCH:
                break
        state = await database_sync_to_async(self._state)()
        self.replayed_to = after
        await self.send_json({"type": "incident", "incident": state})
        await self.send_json(
            {"type": "presence", "users": await presence.present(self.incident.pk)}
        )

    def _verified_batch(self, after: int) -> list[dict] | None:
        """The next events after `after`, rendered; None if access has ended. Access is
        checked for every batch (a few queries beside rendering hundreds of events)."""
        incident = self._verified_incident()
        if incident is None:
            return None
        return [event_payload(e, incident) for e in events_after(incident, after, REPLAY_BATCH)]

    def _state(self) -> dict:
        return incident_payload(Incident.objects.for_list().get(pk=self.incident.pk))

    # --- Access --------------------------------------------------------------------------

    def _verified_incident(self) -> Incident | None:
        """The incident, fresh from the database, if the person may still see it through
        the session this socket was opened with; None when access has ended."""
        user = User.objects.filter(pk=self.scope["user"].pk).first()
        if not session_signs_in(user, self.scope["session"].session_key):
            return None
        incident = Incident.objects.for_list().filter(pk=self.incident.pk).first()
        if incident is None or not can_view(user, incident):
            return None
        self.access_version = max(self.access_version, incident.access_version)
        return incident

    async def access_holds(self) -> bool:
        if not self.ended and await database_sync_to_async(self._verified_incident)():
            return True
        await self.end_access()
        return False

    async def end_access(self, detail: str | None = None) -> None:
        if self.ended:
            return
        self.ended = True
        detail = detail or f"You can no longer see {self.incident.ref} here."
        await self.send_json({"type": "access_ended", "detail": detail})
        await self.close(code=CLOSE_ACCESS_ENDED)
        await self.leave_room()

    async def may_forward(self, message: dict) -> bool:
        """Whether a push may go to this socket: re-checks first if the incident's access
        version moved past the one this socket was verified at."""
        if self.ended:
            return False
        if message.get("access", 0) > self.access_version:
            return await self.access_holds()
        return True

    async def recheck_now_and_then(self) -> None:
        """The safety net: ask this socket to re-check, through its own channel so the
        check runs in turn with the pushes, every minute or so."""
        while True:
            await asyncio.sleep(ACCESS_RECHECK_SECONDS * random.uniform(0.8, 1.2))
            try:
                await self.channel_layer.send(self.channel_name, {"type": "access.check"})
            except Exception as error:  # Redis away for a moment: try again next round
                log.warning("live room: could not schedule an access re-check: %s", error)

    # --- Messages from the channel layer, one handler per type ---------------------------

    async def access_check(self, message: dict) -> None:
        ended = message.get("ended_session")
        if ended and ended == session_fingerprint(self.scope["session"].session_key):
            await self.end_access("You signed out.")
        elif not self.ended:
            await self.access_holds()

    async def room_event(self, message: dict) -> None:
        # Before hello the replay will include it; events the replay sent are not repeated.
        if self.replayed_to is None or message["event"]["seq"] <= self.replayed_to:
            return
        if await self.may_forward(message):
            await self.send_json({"type": "event", "event": message["event"]})

    async def room_event_update(self, message: dict) -> None:
        if self.replayed_to is not None and await self.may_forward(message):
            await self.send_json({"type": "event_update", "event": message["event"]})

    async def room_incident(self, message: dict) -> None:
        if self.replayed_to is not None and await self.may_forward(message):
            await self.send_json({"type": "incident", "incident": message["incident"]})

    async def room_presence(self, message: dict) -> None:
        if await self.may_forward(message):
            await self.send_json({"type": "presence", "users": message["users"]})
