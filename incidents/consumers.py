"""The live incident room: a WebSocket per open incident page.

Protocol (JSON): the client says {"type": "hello", "after": <last seq it has>}; the server
replays every later event from the database in seq order, then pushes
{"type": "event", "event": {...}} for each new one, {"type": "event_update", ...} when a
note is struck, {"type": "incident", "incident": {...}} with the state after any change,
and {"type": "presence", "users": [...]} when people come and go. The client sends
{"type": "ping"} every so often to stay listed as present. Writes go over HTTP.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.permissions import can_view, get_incident_for

from . import presence
from .live import event_payload, events_after, incident_payload, room_group
from .models import Incident

REPLAY_BATCH = 500


class IncidentRoomConsumer(AsyncJsonWebsocketConsumer):
    incident: Incident
    group: str | None = None  # set once the socket is accepted into the room
    replayed_to: int | None = None  # the last seq sent by replay; None until hello

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
        try:
            self.incident = await database_sync_to_async(get_incident_for)(
                user, self.scope["url_route"]["kwargs"]["ref"]
            )
        except (Http404, PermissionDenied):
            await self.close()
            return
        self.group = room_group(self.incident.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # The room hears of it with the next coalesced presence update (see presence.py);
        # this socket gets the whole list after its hello.
        await presence.join(self.incident.pk, user.pk, user.name, self.channel_name)

    async def disconnect(self, code: int) -> None:
        await self.leave_room()

    async def leave_room(self) -> None:
        """Leave the group and the presence list, once."""
        group, self.group = self.group, None
        if group is None:
            return
        await self.channel_layer.group_discard(group, self.channel_name)
        user = self.scope["user"]
        await presence.leave(self.incident.pk, user.pk, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "hello":
            after = content.get("after", 0)
            if isinstance(after, bool) or not isinstance(after, int) or after < 0:
                await self.send_json({"type": "error", "detail": "after must be a seq (>= 0)."})
                return
            await self.replay(after)
        elif kind == "ping":
            # Keeps this socket listed; also re-tells the room if a presence update was lost.
            user = self.scope["user"]
            await presence.join(self.incident.pk, user.pk, user.name, self.channel_name)
        else:
            await self.send_json({"type": "error", "detail": "Send hello or ping."})

    async def replay(self, after: int) -> None:
        loaded = await database_sync_to_async(self._load)(after)
        if loaded is None:  # access was withdrawn since the socket opened
            await self.close(code=4403)
            return
        events, state = loaded
        for payload in events:
            await self.send_json({"type": "event", "event": payload})
        self.replayed_to = events[-1]["seq"] if events else after
        await self.send_json({"type": "incident", "incident": state})
        await self.send_json(
            {"type": "presence", "users": await presence.present(self.incident.pk)}
        )

    def _load(self, after: int) -> tuple[list[dict], dict] | None:
        """The events after `after`, rendered, and the incident's state."""
        incident = Incident.objects.for_list().get(pk=self.incident.pk)
        if not can_view(self.scope["user"], incident):
            return None
        payloads: list[dict] = []
        while True:
            batch = events_after(incident, after, REPLAY_BATCH)
            payloads += [event_payload(event, incident) for event in batch]
            if len(batch) < REPLAY_BATCH:
                return payloads, incident_payload(incident)
            after = batch[-1].seq

    # --- Messages from the channel layer, one handler per type ---------------------------

    async def room_event(self, message: dict) -> None:
        # Before hello the replay will include it; events the replay sent are not repeated.
        if self.replayed_to is None or message["event"]["seq"] <= self.replayed_to:
            return
        await self.send_json({"type": "event", "event": message["event"]})

    async def room_event_update(self, message: dict) -> None:
        if self.replayed_to is not None:
            await self.send_json({"type": "event_update", "event": message["event"]})

    async def room_incident(self, message: dict) -> None:
        if self.replayed_to is not None:
            await self.send_json({"type": "incident", "incident": message["incident"]})

    async def room_presence(self, message: dict) -> None:
        await self.send_json({"type": "presence", "users": message["users"]})
