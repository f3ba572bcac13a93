"""Block Kit messages, built by pure functions from plain facts, so tests can read them.

Every message carries a plain-text `text` too: Slack shows it in notifications and where
blocks cannot be shown. Text that people typed (titles, names, notes) is escaped, so a title
such as `<!channel>` cannot ping a whole channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ACKNOWLEDGE = "keel_acknowledge"
RESOLVE = "keel_resolve"
OPEN_ROOM = "keel_open_room"

OPEN_STATUSES = ("triggered", "investigating", "identified", "monitoring")
MAX_HEADLINES = 5
MAX_SECTION = 2900  # Slack refuses a section text over 3,000 characters


@dataclass(frozen=True)
class IncidentFacts:
    ref: str
    title: str
    severity: str  # "SEV1" ..
    status: str  # a Status value: "triggered", "investigating", ...
    commander: str | None  # a display name
    url: str  # the incident room


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: only &, < and > are special."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def button_value(ref: str, channel_id: int) -> str:
    """What a button carries back: the incident and which of our channels posted it."""
    return f"{ref}:{channel_id}"


def parse_button_value(value: Any) -> tuple[str, int | None]:
    ref, _, channel = str(value).partition(":")
    return ref, int(channel) if channel.isascii() and channel.isdigit() else None


def fallback_text(facts: IncidentFacts, headlines: list[str]) -> str:
    lead = f"{facts.ref} {facts.title} · {facts.severity} · {facts.status}"
    return f"{lead} · {'; '.join(headlines)}" if headlines else lead


def incident_message(facts: IncidentFacts, headlines: list[str], channel_id: int) -> dict[str, Any]:
    """The channel's message about one incident: what happened (the newest headlines,
    several when a burst of changes was folded into one message), the incident's current
    state, and the buttons that apply to it now."""
    headlines = headlines[-MAX_HEADLINES:]
    title = f"*<{facts.url}|{escape(facts.ref)}: {escape(facts.title)}>*"
    happened = "\n".join(f"• {escape(line)}" for line in headlines)
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"{title}\n{happened}".strip()[:MAX_SECTION]},
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Severity*\n{facts.severity}"},
                {"type": "mrkdwn", "text": f"*Status*\n{facts.status.capitalize()}"},
                {
                    "type": "mrkdwn",
                    "text": f"*Commander*\n{escape(facts.commander or 'nobody yet')}",
                },
            ],
        },
        {
            "type": "actions",
            "block_id": f"keel:{facts.ref}",
            "elements": buttons(facts, channel_id),
        },
    ]
    return {"text": fallback_text(facts, headlines), "blocks": blocks}


def buttons(facts: IncidentFacts, channel_id: int) -> list[dict[str, Any]]:
    value = button_value(facts.ref, channel_id)
    shown: list[dict[str, Any]] = []
    if facts.status == "triggered":
        shown.append(_button("Acknowledge", ACKNOWLEDGE, value, style="primary"))
    if facts.status in OPEN_STATUSES:
        resolve = _button("Resolve", RESOLVE, value, style="danger")
        resolve["confirm"] = {
            "title": {"type": "plain_text", "text": f"Resolve {facts.ref}?"},
            "text": {"type": "plain_text", "text": "The incident will be marked resolved."},
            "confirm": {"type": "plain_text", "text": "Resolve"},
            "deny": {"type": "plain_text", "text": "Cancel"},
        }
        shown.append(resolve)
    room = _button("Open room", OPEN_ROOM, value)
    room["url"] = facts.url
    shown.append(room)
    return shown


def _button(label: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


# --- Replies to slash commands and buttons --------------------------------------------------


def ephemeral(text: str) -> dict[str, Any]:
    """Seen only by the person who typed the command."""
    return {"response_type": "ephemeral", "text": text}


def in_channel(message: dict[str, Any]) -> dict[str, Any]:
    return {"response_type": "in_channel", **message}


def incident_list(items: list[IncidentFacts], more: int = 0) -> dict[str, Any]:
    if not items:
        return ephemeral("No open incidents. :tada:")
    lines = [
        f"• *<{f.url}|{escape(f.ref)}>* {escape(f.title)} · {f.severity} · {f.status}"
        + (f" · {escape(f.commander)}" if f.commander else "")
        for f in items
    ]
    if more:
        lines.append(f"…and {more} more.")
    text = "\n".join(lines)
    return {
        "response_type": "ephemeral",
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:MAX_SECTION]}}],
    }
