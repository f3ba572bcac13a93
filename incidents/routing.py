"""WebSocket routes (served by keel.asgi)."""

from __future__ import annotations

websocket_urlpatterns: list = []
