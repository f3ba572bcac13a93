"""Block Kit messages, built by pure functions from plain facts, so tests can read them.

Every message carries a plain-text `text` too: Slack shows it in notifications and where
blocks cannot be shown. Text that people or senders typed (titles, summaries, names, notes)
is escaped in both, so a title such as `<!channel>` cannot ping a whole channel or show a
link of its own; what Slack sends us is unescaped once (`unescape`).
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
MAX_SUMMARY = 500  # a postmortem's summary in the channel: the link has the rest


@dataclass(frozen=True)
class IncidentFacts:
    ref: str
    title: str
    severity: str  # "SEV1" ..
    status: str  # a Status value: "triggered", "investigating", ...
    commander: str | None  # a display name
    url: str  # the incident room


@dataclass(frozen=True)
class PostmortemFacts:
    title: str
    summary: str  # Markdown, shown as text
    url: str  # absolute


def escape(text: str) -> str:
    """Slack's escaping (api.slack.com/reference/surfaces/formatting#escaping): only &, <
    and > are special, in mrkdwn, plain_text and the fallback `text` alike."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """What Slack sends (a slash command's text) has &, < and > escaped: undo it once, so
    `R&D` is stored as typed and `&amp;lt;` stays the `&lt;` that was typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def fit(lines: list[str], limit: int = MAX_SECTION, more: int = 0) -> str:
    """As many whole lines as fit in `limit` characters, then "…and N more" for the rest
    (never a line cut in the middle, where half an escape or a link would show)."""
    for count in range(len(lines), -1, -1):
        left = len(lines) - count + more
        text = "\n".join(lines[:count] + ([f"…and {left} more."] if left else []))
        if len(text) <= limit:
            return text
    return f"…and {len(lines) + more} more."


def button_value(ref: str, channel_id: int) -> str:
    """What a button carries back: the incident and which of our channels posted it."""
    return f"{ref}:{channel_id}"


def parse_button_value(value: Any) -> tuple[str, int | None]:
    ref, _, channel = str(value).partition(":")
    return ref, int(channel) if channel.isascii() and channel.isdigit() else None


def fallback_text(
    facts: IncidentFacts, headlines: list[str], postmortem: PostmortemFacts | None = None
) -> str:
    lead = f"{facts.ref} {facts.title} · {facts.severity} · {facts.status}"
    text = f"{lead} · {'; '.join(headlines)}" if headlines else lead
    if postmortem is not None:
        text += f" · Postmortem: {postmortem.title} {postmortem.url}"
    return escape(text)


def incident_message(
    facts: IncidentFacts,
    headlines: list[str],
    channel_id: int,
    postmortem: PostmortemFacts | None = None,
) -> dict[str, Any]:
    """The channel's message about one incident: what happened (the newest headlines,
    several when a burst of changes was folded into one message), the incident's current
    state, and the buttons that apply to it now; with a published postmortem, its title,
    summary and link."""
    headlines = headlines[-MAX_HEADLINES:]
    title = f"*<{facts.url}|{escape(facts.ref)}: {escape(facts.title)}>*"
    happened = [f"• {escape(line)}" for line in headlines]
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": fit([title, *happened])},
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
    if postmortem is not None:
        blocks.insert(1, postmortem_section(postmortem))
    return {"text": fallback_text(facts, headlines, postmortem), "blocks": blocks}


def postmortem_section(postmortem: PostmortemFacts) -> dict[str, Any]:
    summary = " ".join(postmortem.summary.split())
    if len(summary) > MAX_SUMMARY:
        summary = summary[:MAX_SUMMARY].rsplit(" ", 1)[0] + "…"
    lines = [f"*<{postmortem.url}|Postmortem: {escape(postmortem.title)}>*"]
    if summary:
        lines.append(escape(summary))
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(lines)}}


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
    text = fit(lines, more=more)
    return {
        "response_type": "ephemeral",
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }
