"""`/incident …` slash commands: parse the text, act through lifecycle as the linked person
(linked means proven from Slack with `/incident link <code>`: see identity.py), and answer
with Slack's reply JSON (ephemeral: only they see it; in_channel: everyone does).

Every answer is a reply, never an exception: bad arguments get the command's usage, refused
changes get the reason lifecycle gave, so Slack never shows "dispatch failed".

Slack sends the typed text with &, < and > escaped: free text (titles, notes, names) is
unescaped once (blocks.unescape) before use, while `<@U123>` mentions are Slack's own markup
and are read as sent. Everything answered is escaped again (blocks.escape): usage lines,
refusals and names alike.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Q, When
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.permissions import (
    get_incident_for,
    people_visible_to,
    visible_teams_q,
)
from incidents import lifecycle
from incidents.models import Incident, IncidentRole, Severity, Status
from incidents.oncall.models import Schedule
from incidents.oncall.services import now_and_next
from incidents.paging import manual as paging

from . import blocks
from .delivery import incident_facts
from .identity import CODE_LIFETIME, Outcome
from .models import ChatIdentity, LinkedChannel
from .replies import (
    Usage,
    commands_text,
    help_reply,
    link_instructions,
    link_text,
    person_for,
    profile_url,
    refused,
    usage_reply,
)
from .teams import TeamUnclear, team_for

REF = re.compile(r"^INC-\d{1,9}$", re.IGNORECASE)
SEVERITY = re.compile(r"^(?:sev)?([1-4])$", re.IGNORECASE)
MENTION = re.compile(r"^<@([A-Z0-9]{2,40})(?:\|[^>]*)?>$", re.IGNORECASE)
TEAM_PREFIX = "team:"
LIST_LIMIT = 20
CODE_MINUTES = int(CODE_LIFETIME.total_seconds() // 60)


@dataclass(frozen=True)
class Request:
    """The parts of Slack's slash-command form that Keel uses."""

    user_id: str
    channel_id: str
    text: str


def run(request: Request) -> dict[str, Any]:
    """The reply to one slash command."""
    words = request.text.split()
    verb = words[0].lower() if words else "help"
    if verb == "link":  # how Keel learns who they are, so it cannot need to know already
        return link(request, words[1:])
    person = person_for(request.user_id)
    if person is None:
        if verb == "help":  # what Keel can do, and the one step before they can do it
            return blocks.ephemeral(f"{link_text(request.user_id or '?')}\n\n{commands_text()}")
        return link_instructions(request.user_id or "?")
    handler = HANDLERS.get(verb)
    if handler is None:
        return help_reply(f"I don't know `{blocks.unescape(verb)[:40]}`.")
    try:
        return handler(person, request, words[1:])
    except Usage as error:
        return usage_reply(error)
    except Http404:
        return blocks.ephemeral("No such incident (or you may not see it). Try `/incident list`.")
    except PermissionDenied as error:
        return refused(str(error) or "You may not do that.")
    except lifecycle.LifecycleError as error:  # a refused move names the allowed ones itself
        return refused(error.message)


def link(request: Request, args: list[str]) -> dict[str, Any]:
    """`/incident link <code>`: Slack vouches for the member id (the request is signed), the
    code for the Keel account (only its owner saw it)."""
    if not args:
        return usage_reply(Usage("link", "Which code? Get one on your profile."))
    proof = ChatIdentity.objects.confirm(" ".join(args), request.user_id)
    if proof.outcome is Outcome.LINKED and proof.user is not None:
        return blocks.ephemeral(
            f"Linked: in Keel you are {blocks.escape(proof.user.name)} "
            f"({blocks.escape(proof.user.email)}). `/incident` commands and buttons now act "
            "as you."
        )
    if proof.outcome is Outcome.OTHER_MEMBER:
        return blocks.ephemeral(
            "That code was made for a different Slack member id than yours "
            f"(`{blocks.escape(request.user_id)}`), so nothing was linked. Get a new one on "
            f"your profile, with your own member id or none: {profile_url()}"
        )
    if proof.outcome is Outcome.CONFLICT:
        return blocks.ephemeral("Your Slack account was being linked twice at once: try again.")
    return blocks.ephemeral(
        f"That code is not valid: codes work once, for {CODE_MINUTES} minutes. Get a new one "
        f"on your profile: {profile_url()}"
    )


# --- Finding the incident ---------------------------------------------------------------


def take_ref(args: list[str], *, last: bool = True) -> tuple[str | None, list[str]]:
    """An `INC-n` as the first argument (or the last one), and the other arguments."""
    if args and REF.match(args[0]):
        return args[0].upper(), args[1:]
    if last and args and REF.match(args[-1]):
        return args[-1].upper(), args[:-1]
    return None, args


def incident_for(person: User, request: Request, ref: str | None, verb: str) -> Incident:
    if ref is None:
        link = LinkedChannel.objects.filter(slack_channel_id=request.channel_id).first()
        if link is None:
            raise Usage(verb, "Which incident? This channel is not linked to one.")
        ref = Incident.objects.get(pk=link.incident_id).ref
    return get_incident_for(person, ref, edit=True)


def done(text: str) -> dict[str, Any]:
    return blocks.ephemeral(f"{text} The channel's message will show it.")


# --- The commands -------------------------------------------------------------------------


def declare(person: User, request: Request, args: list[str]) -> dict[str, Any]:
    severity = Severity.SEV3
    slugs = [a[len(TEAM_PREFIX) :] for a in args if a.lower().startswith(TEAM_PREFIX)]
    args = [a for a in args if not a.lower().startswith(TEAM_PREFIX)]
    if len(slugs) > 1:
        raise Usage("declare", "Name one team.")
    if len(args) > 1 and (match := SEVERITY.match(args[-1])):
        severity, args = f"SEV{match.group(1)}", args[:-1]
    title = blocks.unescape(" ".join(args))
    if not title:
        raise Usage("declare", "What is happening? Give a title.")
    try:
        team = team_for(person, request.channel_id, blocks.unescape(slugs[0]) if slugs else None)
    except TeamUnclear as error:
        raise Usage("declare", str(error)) from None
    incident = lifecycle.declare(person, title=title, severity=severity, team=team)
    LinkedChannel.objects.update_or_create(
        slack_channel_id=request.channel_id, defaults={"incident": incident}
    )
    facts = incident_facts(incident)
    return blocks.in_channel(
        {
            "text": f"{blocks.escape(person.name)} declared <{facts.url}|{incident.ref}>: "
            f"{blocks.escape(incident.title)} ({incident.severity}). Commands here may leave "
            "out the INC-n."
        }
    )


def ack(person: User, request: Request, args: list[str]) -> dict[str, Any]:
    ref, rest = take_ref(args)
    if rest:
        raise Usage("ack")
    incident = lifecycle.acknowledge(incident_for(person, request, ref, "ack"), person)
    return done(f"You acknowledged {incident.ref}.")


def escalate(person: User, request: Request, args: list[str]) -> dict[str, Any]:
    ref, rest = take_ref(args)
    if rest:
        raise Usage("escalate")
    incident = incident_for(person, request, ref, "escalate")
    lifecycle.escalate(incident, person)
    return blocks.ephemeral(f"Escalated {incident.ref}: the next step is being paged now.")


def snooze(person: User, request: Request, args: list[str]) -> dict[str, Any]:
    ref, rest = take_ref(args)
    if len(rest) != 1:
        raise Usage("snooze", "For how many minutes?")
    incident = incident_for(person, request, ref, "snooze")
    event = lifecycle.snooze(incident, person, rest[0])  # lifecycle checks the minutes
    minutes = event.data["minutes"]
    return blocks.ephemeral(f"Paging for {incident.ref} snoozed for {minutes} min.")


def status(person: User, request: Request, args: list[str]) -> dict[str, Any]:
    ref, rest = take_ref(args)
    if len(rest) != 1 or rest[0].lower() not in Status.values:
        raise Usage("status")
    incident = incident_for(person, request, ref, "status")
    incident = lifecycle.set_status(incident, person, rest[0].lower())
    return done(f"{incident.ref} is now {incident.status}.")


def sev(person: User, request: Request, args: list[str]) -> dict[str, Any]:
    ref, rest = take_ref(args)
    match = SEVERITY.match(rest[0]) if len(rest) == 1 else None
    if match is None:
        raise Usage("sev")
    incident = incident_for(person, request, ref, "sev")
    incident = lifecycle.set_severity(incident, person, f"SEV{match.group(1)}")
    return done(f"{incident.ref} is now {incident.severity}.")


def note(person: User, request: Request, args: list[str]) -> dict[str, Any]:
    ref, rest = take_ref(args, last=False)
    if not rest:
        raise Usage("note")
    incident = incident_for(person, request, ref, "note")
    lifecycle.add_note(incident, person, blocks.unescape(" ".join(rest)))
    return blocks.ephemeral(f"Noted on {incident.ref}'s timeline.")


def lead(person: User, request: Request, args: list[str]) -> dict[str, Any]:
    ref, rest = take_ref(args)
    if len(rest) != 1:
        raise Usage("lead")
    incident = incident_for(person, request, ref, "lead")
    commander = named_person(rest[0], person, incident)
    incident = lifecycle.assign_role(incident, person, IncidentRole.COMMANDER, commander)
    return done(f"{blocks.escape(commander.name)} is now commander of {incident.ref}.")


def named_person(word: str, me: User, incident: Incident) -> User:
    """`<@U123>` (Slack escapes mentions when the command asks it to), an email, or `me`,
    among the people `me` may name on this incident (accounts.permissions.people_visible_to):
    anyone else is answered as if unknown."""
    if word.lower() == "me":
        return me
    people = people_visible_to(me, incident)
    if match := MENTION.match(word):
        found = person_for(match.group(1))
        if found is None or not people.filter(pk=found.pk).exists():
            raise Usage("lead", "That person has not linked their Slack account to Keel yet.")
        return found
    found = people.filter(email__iexact=blocks.unescape(word)).first()
    if found is None:
        raise Usage("lead", "Name them with an @-mention or their email address.")
    return found


def resolve(person: User, request: Request, args: list[str]) -> dict[str, Any]:
    ref, rest = take_ref(args)
    if rest:
        raise Usage("resolve")
    incident = lifecycle.resolve(incident_for(person, request, ref, "resolve"), person)
    return done(f"You resolved {incident.ref}.")


def list_open(person: User, request: Request, args: list[str]) -> dict[str, Any]:
    if args:
        raise Usage("list")
    visible = Incident.objects.open().visible_to(person).for_list().order_by("-number")
    incidents = list(visible[: LIST_LIMIT + 1])
    more = visible.count() - LIST_LIMIT if len(incidents) > LIST_LIMIT else 0
    return blocks.incident_list([incident_facts(i) for i in incidents[:LIST_LIMIT]], more)


def page(person: User, request: Request, args: list[str]) -> dict[str, Any]:
    """`/incident page @person|email|me [INC-n]`, or `/incident page <schedule name> [INC-n]`
    (whoever the schedule has on call now). As in the API, only people the person may see
    and schedules of their own teams (the incident's team's first, when names clash); the
    answer says who is being paged, how, and who cannot be and why."""
    ref, rest = take_ref(args)
    if not rest:
        raise Usage("page")
    incident = incident_for(person, request, ref, "page")
    words = blocks.unescape(" ".join(rest))
    schedule = (
        Schedule.objects.filter(visible_teams_q(person), name__iexact=words)
        .order_by(Case(When(team_id=incident.team_id, then=0), default=1), "pk")
        .first()
    )
    if schedule is not None:
        target = {"schedule": schedule.pk}
    elif len(rest) == 1:
        try:
            paged = named_person(rest[0], person, incident)
        except Usage:
            raise Usage("page", "Name a person (@-mention or email) or a schedule.") from None
        target = {"user": paged.pk}
    else:
        raise Usage("page", "Name a person (@-mention or email) or a schedule of your team.")
    reach = paging.reach(target, timezone.now())
    paging.page(incident, person, target)
    return blocks.ephemeral(blocks.escape(reach.told(incident.ref)))


def oncall(person: User, request: Request, args: list[str]) -> dict[str, Any]:
    """Who is on call now and next, for the person's teams' schedules (or one team's)."""
    schedules = Schedule.objects.filter(visible_teams_q(person)).select_related("team")
    if args:
        wanted = blocks.unescape(" ".join(args)).strip().lower()
        schedules = schedules.filter(Q(team__slug__iexact=wanted) | Q(team__name__iexact=wanted))
    schedules = list(schedules.order_by("team__name", "name"))
    if not schedules:
        return blocks.ephemeral(
            f"No on-call schedule of {blocks.escape(blocks.unescape(' '.join(args)))} that "
            "you can see."
            if args
            else "None of your teams has an on-call schedule yet: add one under On call."
        )
    now, zone = timezone.now(), zoneinfo.ZoneInfo(person.time_zone or "UTC")

    def until(moment) -> str:
        return f"{moment.astimezone(zone):%a %H:%M %Z}"

    lines = []
    for schedule in schedules:
        found = now_and_next(schedule, now)
        current = (
            f"{blocks.escape(found.now.user.name)} until {until(found.now.end)}"
            if found.now
            else "nobody (a gap)"
        )
        following = (
            f"; next {blocks.escape(found.next.user.name)} from {until(found.next.start)}"
            if found.next
            else ""
        )
        lines.append(
            f"*{blocks.escape(schedule.name)}* ({blocks.escape(schedule.team.name)}): "
            f"{current}{following}"
        )
    return blocks.ephemeral(blocks.fit(lines))  # whole lines, then "…and N more"


def help_command(person: User, request: Request, args: list[str]) -> dict[str, Any]:
    return help_reply()


HANDLERS: dict[str, Callable[[User, Request, list[str]], dict[str, Any]]] = {
    "declare": declare,
    "ack": ack,
    "acknowledge": ack,
    "escalate": escalate,
    "snooze": snooze,
    "status": status,
    "sev": sev,
    "severity": sev,
    "note": note,
    "lead": lead,
    "page": page,
    "resolve": resolve,
    "list": list_open,
    "oncall": oncall,
    "help": help_command,
}
