"""What `/incident` answers besides the commands' own results: the usage lines, help,
refusals, and how to link a Slack account to Keel (also used by chat's button clicks)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from accounts.models import User
from incidents.models import Status

from . import blocks
from .models import ChatIdentity

USAGE = {
    "declare": "`/incident declare <title> [sev1-4] [team:<slug>]` — open an incident (SEV3 "
    "unless given; for the channel's team, or name one if you are in several)",
    "ack": "`/incident ack [INC-n]` — acknowledge: you are on it (stops paging)",
    "escalate": "`/incident escalate [INC-n]` — page the next step of the escalation now",
    "snooze": "`/incident snooze <minutes> [INC-n]` — stop paging for 1-240 minutes, then "
    "page the current step again",
    "status": "`/incident status <status> [INC-n]` — one of: "
    + ", ".join(s for s in Status.values if s != Status.MERGED),
    "sev": "`/incident sev <1-4> [INC-n]` — change the severity",
    "note": "`/incident note [INC-n] <text>` — add a note to the timeline",
    "lead": "`/incident lead @person [INC-n]` — make them incident commander",
    "page": "`/incident page <person or schedule> [INC-n]` — page someone",
    "resolve": "`/incident resolve [INC-n]` — mark it resolved",
    "list": "`/incident list` — open incidents",
    "oncall": "`/incident oncall [team]` — who is on call",
    "link": "`/incident link <code>` — link your Slack account to Keel (get the code on your "
    "Keel profile)",
    "help": "`/incident help` — this list",
}
REF_HINT = (
    "Each incident command takes an `INC-n`; leave it out in a channel where the incident "
    "was declared."
)


class Usage(Exception):
    """Bad arguments: answered with the command's usage line."""

    def __init__(self, verb: str, problem: str = "") -> None:
        super().__init__(problem)
        self.verb = verb
        self.problem = problem


def commands_text() -> str:
    lines = ["*Keel's `/incident` commands*", *(f"• {u}" for u in USAGE.values()), REF_HINT]
    return blocks.escape("\n".join(lines))  # the usage lines hold `<title>` and such


def help_reply(problem: str = "") -> dict[str, Any]:
    """The command list, after `problem` (plain text) if there is one."""
    lead = f"{blocks.escape(problem)}\n" if problem else ""
    return blocks.ephemeral(lead + commands_text())


def usage_reply(error: Usage) -> dict[str, Any]:
    problem = f"{error.problem} " if error.problem else ""
    usage = USAGE.get(error.verb, USAGE["help"])
    return blocks.ephemeral(blocks.escape(f"{problem}Usage: {usage}"))


def refused(message: str) -> dict[str, Any]:
    """A refusal from lifecycle or the permission rules, which may quote titles or names."""
    return blocks.ephemeral(blocks.escape(message))


def profile_url() -> str:
    return settings.SITE_URL + reverse("accounts:profile")


def link_text(user_id: str) -> str:
    return (
        f"Keel does not know who you are yet. Open your profile at {profile_url()}, press "
        "*Link my Slack account*, then type `/incident link CODE` here with the code it "
        f"shows. (Your member id is `{blocks.escape(user_id)}`.)"
    )


def link_instructions(user_id: str) -> dict[str, Any]:
    return blocks.ephemeral(link_text(user_id))


def person_for(chat_user_id: str) -> User | None:
    return ChatIdentity.objects.person_for(chat_user_id)
