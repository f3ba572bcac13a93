"""WebSocket routes (served by keel.asgi)."""

from __future__ import annotations

from django.urls import re_path

from .consumers import IncidentRoomConsumer
from .feed import IncidentFeedConsumer

websocket_urlpatterns = [
    re_path(r"^ws/incidents/(?P<ref>[^/]+)/$", IncidentRoomConsumer.as_asgi()),
    re_path(r"^ws/feed/$", IncidentFeedConsumer.as_asgi()),
]
