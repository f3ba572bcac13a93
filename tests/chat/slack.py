"""Requests as Slack sends them: form-encoded, signed with the app's signing secret."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from django.test import Client

from incidents.chat.signing import sign

FORM = "application/x-www-form-urlencoded"


def post_signed(
    client: Client, path: str, body: str, secret: str, *, timestamp: int | None = None,
    signed_body: str | None = None,
):  # fmt: skip
    """POST `body`, signed (as `signed_body`, when a test alters the body after signing)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = sign(secret, stamp, (body if signed_body is None else signed_body).encode())
    return client.post(
        path,
        body,
        content_type=FORM,
        headers={"X-Slack-Signature": signature, "X-Slack-Request-Timestamp": stamp},
    )


def command_body(text: str, user_id: str = "URESPONDER", channel_id: str = "C0OPS", **extra):
    fields = {
        "token": "legacy-unused", "team_id": "T0KEEL", "team_domain": "keel",
        "channel_id": channel_id, "channel_name": "ops", "user_id": user_id,
        "user_name": "someone", "command": "/incident", "text": text,
        "response_url": "https://hooks.slack.com/commands/T0KEEL/1/abc",
        "trigger_id": "1.2.3", **extra,
    }  # fmt: skip
    return urlencode(fields)


def action_body(
    action_id: str, value: str, response_url: str, user_id: str = "URESPONDER",
    channel_id: str = "C0OPS",
) -> str:  # fmt: skip
    payload = {
        "type": "block_actions",
        "user": {"id": user_id, "username": "someone", "team_id": "T0KEEL"},
        "team": {"id": "T0KEEL", "domain": "keel"},
        "channel": {"id": channel_id, "name": "ops"},
        "container": {"type": "message", "message_ts": "1700000000.000100"},
        "response_url": response_url,
        "trigger_id": "1.2.3",
        "actions": [{"action_id": action_id, "block_id": "keel:x", "value": value,
                     "type": "button", "action_ts": "1700000001.000200"}],
    }  # fmt: skip
    return urlencode({"payload": json.dumps(payload)})
