"""The authorization table: every endpoint, for every kind of person -> the status code, and
what that person would notice.

Each row acts on a *private* incident of the team "Ops" (see tests/helpers.py): the
viewer, responder and admin are Ops members; the outsider responds for another team and
must not even learn the incident exists. A write row names its `effect`, a check that is
false before the request and true once the write has happened: an allowed person's request
must make it true, and a refused person's request must change nothing at all (the whole
database snapshot in tests/test_authorization.py). A read row may name what it `shows`, text
that the people in `sees` find in the answer and nobody else does. Later features add their
rows here; tests/test_authorization.py fails when a route the URL resolver serves is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from django.core import mail

from accounts.models import ApiToken, User
from incidents import lifecycle
from incidents.chat.models import ChatChannel, ChatIdentity
from incidents.models import Incident, IncidentRole, Service, Status, TimelineEvent
from incidents.oncall.models import Layer, Override, PersonalCalendar, Schedule
from incidents.paging import ack
from incidents.paging.models import (
    ContactKind,
    ContactMethod,
    Escalation,
    EscalationPolicy,
    Notification,
    NotificationRule,
    ServicePaging,
)
from incidents.paging.serializers import replace_steps

from .accounts.mfa_authz_rows import rows as mfa_rows
from .accounts.sso_authz_rows import rows as sso_rows
from .alerts.authz_rows import rows as alert_rows
from .audit.authz_rows import rows as audit_rows
from .helpers import PASSWORD, Cast, declare
from .importing.authz_rows import rows as import_rows
from .oncall.helpers import make_schedule
from .paging.authz_rows import rows as paging_rows
from .paging.phone_authz_rows import rows as phone_rows
from .paging.push_authz_rows import rows as push_rows

PEOPLE = ["anonymous", "viewer", "responder", "admin", "outsider"]
TEAM = {"viewer", "responder", "admin"}
SIGNED_IN = {"viewer", "responder", "admin", "outsider"}

READ = {"anonymous": 401, "viewer": 200, "responder": 200, "admin": 200, "outsider": 404}
WRITE = {"anonymous": 401, "viewer": 403, "responder": 200, "admin": 200, "outsider": 404}
CREATE = {**WRITE, "responder": 201, "admin": 201}
PAGE_READ = {**READ, "anonymous": 302}
PAGE_WRITE = {**WRITE, "anonymous": 302, "responder": 302, "admin": 302}
OPEN_TO_SIGNED_IN = {"anonymous": 401, "viewer": 200, "responder": 200, "admin": 200,
                     "outsider": 200}  # fmt: skip
PAGE_OPEN_TO_SIGNED_IN = {**OPEN_TO_SIGNED_IN, "anonymous": 302}
PUBLIC = dict.fromkeys(PEOPLE, 200)

INCIDENT_TITLE = "Checkout errors"  # the private incident's title (tests/helpers.declare)
SCHEDULE_OVERRIDE = (datetime(2026, 6, 2, 10, tzinfo=UTC), datetime(2026, 6, 2, 12, tzinfo=UTC))


@dataclass
class Endpoint:
    name: str
    method: str
    path: Callable[[SimpleNamespace], str]
    expected: dict[str, int]
    body: Callable[[SimpleNamespace], dict[str, Any]] = lambda ctx: {}
    status: str = Status.INVESTIGATING  # the state the incident is in first
    page: bool = False  # a browser page (session, form posts) rather than the API
    # Writes: true once the write has happened (false before it).
    effect: Callable[[SimpleNamespace], bool] | None = None
    # Reads: text that the people in `sees` find in the answer, and nobody else.
    shows: Callable[[SimpleNamespace], str] | None = None
    sees: frozenset[str] | None = None  # default: everyone whose status code is < 400
    # A POST that only reads (a check, a preview): nothing changes, for anyone.
    read_only: bool = False


def setup(cast: Cast, status: str) -> SimpleNamespace:
    """A private incident in `status` with a note by the responder, another incident to
    merge into, a service of the team, and a token of a staff member's."""
    incident = declare(cast, private=True, actor=None)
    if status != Status.TRIGGERED:
        lifecycle.acknowledge(incident, cast.responder)
        lifecycle.assign_role(incident, cast.responder, IncidentRole.COMMANDER, cast.responder)
    note = lifecycle.add_note(incident, cast.responder, "Checked the load balancer")
    if status in (Status.RESOLVED, Status.DECLINED):
        lifecycle.set_status(incident, cast.responder, status)
    keeper = declare(cast, private=True, title="Keeper")
    service = Service.objects.create(name="payments-api", team=cast.team)
    others_token, _raw = ApiToken.issue(cast.staff, "staff's deploy script")
    chat_channel = ChatChannel.objects.create(
        team=cast.team, name="#ops-incidents", webhook_url="https://hooks.slack.com/services/T/B/x"
    )
    schedule = make_schedule(cast.team, [cast.responder, cast.admin])
    override = Override.objects.create(
        schedule=schedule, user=cast.viewer, start=SCHEDULE_OVERRIDE[0], end=SCHEDULE_OVERRIDE[1]
    )
    for person in (cast.viewer, cast.responder, cast.admin, cast.outsider):
        PersonalCalendar.objects.create(user=person, token=f"calendar-of-{person.pk}")
    page = page_sent(incident, cast.responder)
    return SimpleNamespace(
        ref=incident.ref,
        pk=incident.pk,
        note_seq=note.seq,
        into=keeper.ref,
        service=service.pk,
        others_token=others_token.pk,
        chat_channel=chat_channel.pk,
        schedule=schedule.pk,
        schedule_token=schedule.calendar_token,
        override=override.pk,
        ack_token=ack.token_for(page.delivery_id),
        contact_method=page.contact_method_id,
        later_rule=NotificationRule.objects.get(
            contact_method_id=page.contact_method_id, delay_minutes=10
        ).pk,
        policy=make_policy(cast).pk,
        cast=cast,
        user=None,  # the person making the request; set by the test
    )


def page_sent(incident: Incident, person: User) -> Notification:
    """A page to `person` about `incident`, as step 1 of an escalation records it."""
    now = datetime.now(UTC)
    escalation = Escalation.objects.create(incident=incident, started_at=now, next_due_at=now)
    method = ContactMethod.objects.create(
        user=person, kind=ContactKind.EMAIL, address="responder@example.com"
    )
    for delay in (0, 10):  # at once, and again after ten minutes
        NotificationRule.objects.create(contact_method=method, delay_minutes=delay)
    return Notification.objects.create(
        escalation=escalation, incident=incident, user=person, contact_method=method,
        kind=method.kind, loop=0, step=1, due_at=now, status="delivered",
    )  # fmt: skip


def make_policy(cast: Cast) -> EscalationPolicy:
    policy = EscalationPolicy.objects.create(name="Ops escalation", team=cast.team)
    replace_steps(policy, [{"delay_minutes": 5, "targets": [{"user": cast.responder}]}])
    return policy


def policy_steps(ctx: SimpleNamespace) -> list:
    return list(EscalationPolicy.objects.get(pk=ctx.policy).steps.values_list("delay_minutes"))


def editor_body(name: str, delay: int, **step: Any) -> dict[str, Any]:
    """What the escalation policy editor posts: one step (paging the whole team unless
    `step` says otherwise)."""
    fields = {f"steps-0-{key}": value for key, value in (step or {"whole_team": "on"}).items()}
    return {
        "name": name, "repeat": 0, "steps-TOTAL_FORMS": 1, "steps-INITIAL_FORMS": 0,
        "steps-MIN_NUM_FORMS": 0, "steps-MAX_NUM_FORMS": 20, "steps-0-delay_minutes": delay,
        **fields,
    }  # fmt: skip


def rule_delays(ctx: SimpleNamespace) -> list[int]:
    rules = NotificationRule.objects.filter(contact_method_id=ctx.contact_method)
    return list(rules.values_list("delay_minutes", flat=True))


def page_acknowledged(ctx: SimpleNamespace) -> bool:
    return Escalation.objects.filter(incident_id=ctx.pk, status="acknowledged").exists()


def ack_count(ctx: SimpleNamespace) -> int:
    return TimelineEvent.objects.filter(incident_id=ctx.pk, kind="ack").count()


def by_responder(ctx: SimpleNamespace, kind: str, **data: Any) -> bool:
    """The timeline has this event, credited to the responder (who was paged)."""
    events = TimelineEvent.objects.filter(
        incident_id=ctx.pk, kind=kind, author__email="responder@example.com"
    )
    return events.filter(**{f"data__{key}": value for key, value in data.items()}).exists()


# --- What people notice --------------------------------------------------------------------


def incident(ctx: SimpleNamespace) -> Incident:
    return Incident.objects.get(pk=ctx.pk)


def has_event(ctx: SimpleNamespace, kind: str, **data: Any) -> bool:
    events = TimelineEvent.objects.filter(incident_id=ctx.pk, kind=kind)
    return events.filter(**{f"data__{key}": value for key, value in data.items()}).exists()


def has_note(ctx: SimpleNamespace, body: str) -> bool:
    return TimelineEvent.objects.filter(incident_id=ctx.pk, kind="note", body=body).exists()


def status_is(status: str) -> Callable[[SimpleNamespace], bool]:
    return lambda ctx: incident(ctx).status == status


def holds(ctx: SimpleNamespace, email: str, role: str) -> bool:
    return incident(ctx).roles.filter(user__email=email, role=role).exists()


def own_token_id(ctx: SimpleNamespace) -> int:
    """The token the client authenticates with (anonymous has none: someone else's, then)."""
    newest = ApiToken.objects.filter(name="tests").order_by("-pk").first()
    return newest.pk if newest else ctx.others_token


def revoked(pk: int) -> bool:
    return ApiToken.objects.filter(pk=pk, revoked_at__isnull=False).exists()


def own_page_token(ctx: SimpleNamespace) -> int:
    """A token of the person's own, made for the page row (anonymous: someone else's)."""
    if ctx.user is None:
        return ctx.others_token
    token = ApiToken.objects.filter(user=ctx.user, name="page token").first()
    if token is None:
        token, _raw = ApiToken.issue(ctx.user, "page token")
    return token.pk


def schedule(ctx: SimpleNamespace) -> Schedule:
    return Schedule.objects.get(pk=ctx.schedule)


def overridden(ctx: SimpleNamespace, email: str, start: str) -> bool:
    return Override.objects.filter(
        schedule_id=ctx.schedule, user__email=email, start=datetime.fromisoformat(start)
    ).exists()


def calendar_revoked(ctx: SimpleNamespace) -> bool:
    return schedule(ctx).calendar_token != ctx.schedule_token


def own_calendar_renewed(ctx: SimpleNamespace) -> bool:
    return (
        ctx.user is not None
        and not PersonalCalendar.objects.filter(
            user=ctx.user, token=f"calendar-of-{ctx.user.pk}"
        ).exists()
    )


def layer_named(name: str) -> Callable[[SimpleNamespace], bool]:
    return lambda ctx: Layer.objects.filter(schedule_id=ctx.schedule, name=name).exists()


def layer_body(ctx: SimpleNamespace, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "participants": ["responder@example.com", "admin@example.com"],
        "shift_length": 1,
        "shift_unit": "weeks",
        "handoff_time": "09:00",
        "start_date": "2026-06-01",
    }


def editor_form(ctx: SimpleNamespace) -> dict[str, Any]:
    return {
        "name": "Ops primary",
        "team": ctx.cast.team.pk,
        "time_zone": "Europe/London",
        "layer_count": "1",
        "layers-0-name": "Edited on the page",
        "layers-0-participants": [ctx.cast.responder.pk, ctx.cast.admin.pk],
        "layers-0-shift_length": "1",
        "layers-0-shift_unit": "weeks",
        "layers-0-handoff_time": "09:00",
        "layers-0-start_date": "2026-06-01",
        "layers-0-restrictions": "",
    }


def time_zone_is(zone: str) -> Callable[[SimpleNamespace], bool]:
    return lambda ctx: ctx.user is not None and User.objects.get(pk=ctx.user.pk).time_zone == zone


def chat_channel(ctx: SimpleNamespace) -> ChatChannel:
    return ChatChannel.objects.get(pk=ctx.chat_channel)


def chat_link_started(chat_user_id: str) -> Callable[[SimpleNamespace], bool]:
    """A code was made for the person, to prove they are `chat_user_id` (not yet proven:
    only a signed /incident link from Slack proves it; tests/chat/test_linking.py)."""
    return lambda ctx: (
        ChatIdentity.objects.filter(user=ctx.user, chat_user_id=chat_user_id)
        .filter(verified_at__isnull=True, code_expires_at__isnull=False)
        .exclude(code_hash="")
        .exists()
    )


def own_chat_link(ctx: SimpleNamespace) -> str:
    """The unlink page, with a proven chat link of the person's own to forget."""
    if ctx.user is not None:
        ChatIdentity.objects.get_or_create(
            user=ctx.user,
            defaults={"chat_user_id": f"U{ctx.user.pk}", "verified_at": datetime.now(UTC)},
        )
    return "/chat/unlink/"


def chat_unlinked(ctx: SimpleNamespace) -> bool:
    return not ChatIdentity.objects.filter(user=ctx.user).exists()


def signed_out(ctx: SimpleNamespace) -> bool:
    return ctx.client.get("/incidents/").status_code == 302


def password_changed(ctx: SimpleNamespace) -> bool:
    return ctx.user is not None and User.objects.get(pk=ctx.user.pk).check_password(
        "n3w-Pa55-phrase"
    )


inc = "/api/v1/incidents/"
page = "/incidents/"
ENDPOINTS: list[Endpoint] = [
    # --- incidents
    Endpoint(
        "list incidents",
        "get",
        lambda c: inc,
        OPEN_TO_SIGNED_IN,
        shows=lambda c: INCIDENT_TITLE,
        sees=frozenset(TEAM),
    ),
    Endpoint(
        "declare",
        "post",
        lambda c: inc,
        {**CREATE, "outsider": 403},
        body=lambda c: {"title": "Queue backlog", "severity": "SEV3", "team": c.cast.team.pk},
        effect=lambda c: Incident.objects.filter(title="Queue backlog").exists(),
    ),
    Endpoint("retrieve", "get", lambda c: f"{inc}{c.ref}/", READ, shows=lambda c: INCIDENT_TITLE),
    Endpoint(
        "edit",
        "patch",
        lambda c: f"{inc}{c.ref}/",
        WRITE,
        body=lambda c: {"title": "New"},
        effect=lambda c: incident(c).title == "New",
    ),
    Endpoint(
        "acknowledge",
        "post",
        lambda c: f"{inc}{c.ref}/acknowledge/",
        WRITE,
        status=Status.TRIGGERED,
        effect=status_is(Status.INVESTIGATING),
    ),
    # Paging's acknowledgement is separate from the status: the setup's incident (in
    # `investigating`, already acknowledged once) is being paged (tests/authz_table.page_sent).
    Endpoint(
        "acknowledge paging",
        "post",
        lambda c: f"{inc}{c.ref}/acknowledge/",
        WRITE,
        effect=lambda c: ack_count(c) == 2,  # the paging hook then stops it (test_paging_moves)
    ),
    Endpoint(
        "escalate",
        "post",
        lambda c: f"{inc}{c.ref}/escalate/",
        WRITE,
        effect=lambda c: has_event(c, "page", action="escalate"),
    ),
    Endpoint(
        "snooze",
        "post",
        lambda c: f"{inc}{c.ref}/snooze/",
        WRITE,
        body=lambda c: {"minutes": 30},
        effect=lambda c: has_event(c, "page", action="snooze", minutes=30),
    ),
    Endpoint(
        "status",
        "post",
        lambda c: f"{inc}{c.ref}/status/",
        WRITE,
        body=lambda c: {"status": "identified"},
        effect=status_is(Status.IDENTIFIED),
    ),
    Endpoint(
        "severity",
        "post",
        lambda c: f"{inc}{c.ref}/severity/",
        WRITE,
        body=lambda c: {"severity": "SEV1"},
        effect=lambda c: incident(c).severity == "SEV1",
    ),
    Endpoint(
        "assign role",
        "post",
        lambda c: f"{inc}{c.ref}/roles/",
        WRITE,
        body=lambda c: {"role": "scribe", "user": "viewer@example.com"},
        effect=lambda c: holds(c, "viewer@example.com", "scribe"),
    ),
    Endpoint(
        "unassign role",
        "post",
        lambda c: f"{inc}{c.ref}/unassign/",
        WRITE,
        body=lambda c: {"role": "commander", "user": "responder@example.com"},
        effect=lambda c: not holds(c, "responder@example.com", "commander"),
    ),
    Endpoint(
        "add note",
        "post",
        lambda c: f"{inc}{c.ref}/notes/",
        CREATE,
        body=lambda c: {"body": "Saw 502s"},
        effect=lambda c: has_note(c, "Saw 502s"),
    ),
    Endpoint(
        "strike note",
        "post",
        lambda c: f"{inc}{c.ref}/strike/",
        WRITE,
        body=lambda c: {"seq": c.note_seq},
        effect=lambda c: has_event(c, "strike", seq=c.note_seq),
    ),
    Endpoint(
        "resolve",
        "post",
        lambda c: f"{inc}{c.ref}/resolve/",
        WRITE,
        effect=status_is(Status.RESOLVED),
    ),
    Endpoint(
        "decline",
        "post",
        lambda c: f"{inc}{c.ref}/decline/",
        WRITE,
        effect=status_is(Status.DECLINED),
    ),
    Endpoint(
        "reopen",
        "post",
        lambda c: f"{inc}{c.ref}/reopen/",
        WRITE,
        status=Status.RESOLVED,
        effect=status_is(Status.INVESTIGATING),
    ),
    Endpoint(
        "merge",
        "post",
        lambda c: f"{inc}{c.ref}/merge/",
        WRITE,
        body=lambda c: {"into": c.into},
        effect=status_is(Status.MERGED),
    ),
    Endpoint(
        "timeline",
        "get",
        lambda c: f"{inc}{c.ref}/timeline/",
        READ,
        shows=lambda c: "Checked the load balancer",
    ),
    # --- services, teams, people, tokens
    Endpoint(
        "list services",
        "get",
        lambda c: "/api/v1/services/",
        OPEN_TO_SIGNED_IN,
        shows=lambda c: "payments-api",
    ),
    Endpoint(
        "add service",
        "post",
        lambda c: "/api/v1/services/",
        {**CREATE, "viewer": 400, "outsider": 400},
        body=lambda c: {"name": "new-service", "team": c.cast.team.pk},
        effect=lambda c: Service.objects.filter(name="new-service", team=c.cast.team).exists(),
    ),
    Endpoint(
        "edit service",
        "patch",
        lambda c: f"/api/v1/services/{c.service}/",
        {**WRITE, "outsider": 403},
        body=lambda c: {"description": "Takes payments"},
        effect=lambda c: Service.objects.get(pk=c.service).description == "Takes payments",
    ),
    Endpoint(
        "service detail",
        "get",
        lambda c: f"/api/v1/services/{c.service}/",
        OPEN_TO_SIGNED_IN,
        shows=lambda c: "payments-api",
    ),
    Endpoint(
        "list teams",
        "get",
        lambda c: "/api/v1/teams/",
        OPEN_TO_SIGNED_IN,
        shows=lambda c: "viewer@example.com",
        sees=frozenset(TEAM),
    ),
    Endpoint(
        "team detail",
        "get",
        lambda c: f"/api/v1/teams/{c.cast.team.pk}/",
        OPEN_TO_SIGNED_IN,
        shows=lambda c: "viewer@example.com",
        sees=frozenset(TEAM),
    ),
    Endpoint(
        "me",
        "get",
        lambda c: "/api/v1/me/",
        OPEN_TO_SIGNED_IN,
        shows=lambda c: c.user.email if c.user else "@example.com",
    ),
    Endpoint(
        "edit me",
        "patch",
        lambda c: "/api/v1/me/",
        OPEN_TO_SIGNED_IN,
        body=lambda c: {"time_zone": "Europe/Berlin"},
        effect=time_zone_is("Europe/Berlin"),
    ),
    Endpoint(
        "list tokens",
        "get",
        lambda c: "/api/v1/tokens/",
        OPEN_TO_SIGNED_IN,
        shows=lambda c: '"tests"',
    ),
    Endpoint(
        "create token",
        "post",
        lambda c: "/api/v1/tokens/",
        {**OPEN_TO_SIGNED_IN, **dict.fromkeys(SIGNED_IN, 201)},
        body=lambda c: {"name": "ci"},
        effect=lambda c: (
            c.user is not None and ApiToken.objects.filter(user=c.user, name="ci").exists()
        ),
    ),
    Endpoint(
        "revoke own token",
        "delete",
        lambda c: f"/api/v1/tokens/{own_token_id(c)}/",
        {**OPEN_TO_SIGNED_IN, **dict.fromkeys(SIGNED_IN, 204)},
        effect=lambda c: revoked(own_token_id(c)),
    ),
    Endpoint(
        "revoke someone else's token",
        "delete",
        lambda c: f"/api/v1/tokens/{c.others_token}/",
        {**OPEN_TO_SIGNED_IN, **dict.fromkeys(SIGNED_IN, 404)},
        effect=lambda c: revoked(c.others_token),
    ),
    # --- on-call schedules: team members read, team responders edit, outsiders get 404
    Endpoint(
        "list schedules",
        "get",
        lambda c: "/api/v1/schedules/",
        OPEN_TO_SIGNED_IN,
        shows=lambda c: "Ops primary",
        sees=frozenset(TEAM),
    ),
    Endpoint(
        "create schedule",
        "post",
        lambda c: "/api/v1/schedules/",
        {**CREATE, "outsider": 400},
        body=lambda c: {
            "name": "Follow the sun",
            "team": c.cast.team.pk,
            "time_zone": "Australia/Sydney",
            "layers": [layer_body(c, "Sydney days")],
        },
        effect=lambda c: Schedule.objects.filter(name="Follow the sun").exists(),
    ),
    Endpoint(
        "schedule detail",
        "get",
        lambda c: f"/api/v1/schedules/{c.schedule}/",
        READ,
        shows=lambda c: "Ops primary",
    ),
    Endpoint(
        "replace schedule",
        "put",
        lambda c: f"/api/v1/schedules/{c.schedule}/",
        WRITE,
        body=lambda c: {
            "name": "Ops primary",
            "team": c.cast.team.pk,
            "time_zone": "UTC",
            "layers": [layer_body(c, "Replaced")],
        },
        effect=layer_named("Replaced"),
    ),
    Endpoint(
        "edit schedule",
        "patch",
        lambda c: f"/api/v1/schedules/{c.schedule}/",
        WRITE,
        body=lambda c: {"time_zone": "Asia/Tokyo"},
        effect=lambda c: schedule(c).time_zone == "Asia/Tokyo",
    ),
    Endpoint(
        "delete schedule",
        "delete",
        lambda c: f"/api/v1/schedules/{c.schedule}/",
        {**WRITE, "responder": 204, "admin": 204},
        effect=lambda c: not Schedule.objects.filter(pk=c.schedule).exists(),
    ),
    Endpoint(
        "who is on call",
        "get",
        lambda c: f"/api/v1/schedules/{c.schedule}/oncall/?at=2026-06-01T12:00:00Z",
        READ,
        shows=lambda c: "responder@example.com",
    ),
    Endpoint(
        "shifts",
        "get",
        lambda c: (
            f"/api/v1/schedules/{c.schedule}/shifts/"
            "?start=2026-06-01T00:00:00Z&end=2026-06-08T00:00:00Z"
        ),
        READ,
        shows=lambda c: "admin@example.com",
    ),
    Endpoint(
        "add override",
        "post",
        lambda c: f"/api/v1/schedules/{c.schedule}/overrides/",
        CREATE,
        body=lambda c: {
            "user": "admin@example.com",
            "start": "2026-06-03T10:00:00Z",
            "end": "2026-06-03T14:00:00Z",
        },
        effect=lambda c: overridden(c, "admin@example.com", "2026-06-03T10:00:00+00:00"),
    ),
    Endpoint(
        "revoke schedule calendar",
        "post",
        lambda c: f"/api/v1/schedules/{c.schedule}/revoke-calendar/",
        WRITE,
        effect=calendar_revoked,
    ),
    Endpoint(
        "schedule calendar feed",
        "get",
        lambda c: f"/calendars/schedule/{c.schedule_token}.ics",
        PUBLIC,  # the secret token in the address is the key: calendar apps cannot log in
        shows=lambda c: "BEGIN:VCALENDAR",
    ),
    Endpoint(
        "personal calendar feed",
        "get",
        lambda c: f"/calendars/person/calendar-of-{c.cast.responder.pk}.ics",
        PUBLIC,
        shows=lambda c: "BEGIN:VCALENDAR",
    ),
    # --- paging (incidents/paging): the acknowledge link is public, signed, single use
    Endpoint(
        "acknowledge link page",
        "get",
        lambda c: f"/page/ack/{c.ack_token}/",
        PUBLIC,  # the paged person may be logged out; the signed token is the key
        status=Status.TRIGGERED,
        page=True,
        shows=lambda c: "Acknowledge</button>",
    ),
    Endpoint(
        "acknowledge by link",
        "post",
        lambda c: f"/page/ack/{c.ack_token}/",
        PUBLIC,
        status=Status.TRIGGERED,
        page=True,
        effect=lambda c: by_responder(c, "ack") and incident(c).status == Status.INVESTIGATING,
    ),
    Endpoint(
        "snooze by link",
        "post",
        lambda c: f"/page/ack/{c.ack_token}/",
        PUBLIC,
        page=True,
        body=lambda c: {"action": "snooze", "minutes": 45},
        # Credited to the person the page was sent to, whoever holds the link.
        effect=lambda c: by_responder(c, "page", action="snooze", minutes=45),
    ),
    Endpoint(
        "acknowledge by tampered link",
        "post",
        lambda c: f"/page/ack/{c.ack_token[:-3]}xyz/",
        dict.fromkeys(PEOPLE, 404),
        status=Status.TRIGGERED,
        page=True,
        effect=page_acknowledged,
    ),
    # Contact methods are each person's own: nobody else learns they exist.
    Endpoint(
        "list contact methods",
        "get",
        lambda c: "/api/v1/contact-methods/",
        OPEN_TO_SIGNED_IN,
        shows=lambda c: "responder@example.com",
        sees=frozenset({"responder"}),
    ),
    Endpoint(
        "add contact method",
        "post",
        lambda c: "/api/v1/contact-methods/",
        {**OPEN_TO_SIGNED_IN, "viewer": 201, "responder": 201, "admin": 201, "outsider": 201},
        body=lambda c: {"kind": "email", "address": "pager@example.com"},
        effect=lambda c: ContactMethod.objects.filter(
            user=c.user, address="pager@example.com"
        ).exists(),
    ),
    Endpoint(
        "contact method detail",
        "get",
        lambda c: f"/api/v1/contact-methods/{c.contact_method}/",
        {**OPEN_TO_SIGNED_IN, "viewer": 404, "admin": 404, "outsider": 404},
        shows=lambda c: "responder@example.com",
    ),
    Endpoint(
        "edit contact method",
        "patch",
        lambda c: f"/api/v1/contact-methods/{c.contact_method}/",
        {**OPEN_TO_SIGNED_IN, "viewer": 404, "admin": 404, "outsider": 404},
        body=lambda c: {"address": "changed@example.com"},
        effect=lambda c: ContactMethod.objects.filter(address="changed@example.com").exists(),
    ),
    Endpoint(
        "remove contact method",
        "delete",
        lambda c: f"/api/v1/contact-methods/{c.contact_method}/",
        {"anonymous": 401, "viewer": 404, "responder": 204, "admin": 404, "outsider": 404},
        effect=lambda c: not ContactMethod.objects.filter(pk=c.contact_method).exists(),
    ),
    Endpoint(
        "send a test page",
        "post",
        lambda c: f"/api/v1/contact-methods/{c.contact_method}/test/",
        {**OPEN_TO_SIGNED_IN, "viewer": 404, "admin": 404, "outsider": 404},
        effect=lambda c: any("Test page" in m.subject for m in mail.outbox),
    ),
    # Escalation policies: the team's members read them, its responders and admins change them.
    Endpoint(
        "list escalation policies",
        "get",
        lambda c: "/api/v1/escalation-policies/",
        OPEN_TO_SIGNED_IN,
        shows=lambda c: "Ops escalation",
        sees=frozenset(TEAM),
    ),
    Endpoint(
        "add escalation policy",
        "post",
        lambda c: "/api/v1/escalation-policies/",
        {**CREATE, "outsider": 403},
        body=lambda c: {
            "name": "Night escalation",
            "team": c.cast.team.pk,
            "steps": [{"delay_minutes": 5, "targets": [{"team": c.cast.team.pk}]}],
        },
        effect=lambda c: EscalationPolicy.objects.filter(name="Night escalation").exists(),
    ),
    Endpoint(
        "escalation policy detail",
        "get",
        lambda c: f"/api/v1/escalation-policies/{c.policy}/",
        READ,
        shows=lambda c: "Ops escalation",
    ),
    Endpoint(
        "replace escalation policy",
        "put",
        lambda c: f"/api/v1/escalation-policies/{c.policy}/",
        WRITE,
        body=lambda c: {
            "name": "Ops escalation",
            "team": c.cast.team.pk,
            "steps": [{"delay_minutes": 7, "targets": [{"team": c.cast.team.pk}]}],
        },
        effect=lambda c: policy_steps(c) == [(7,)],
    ),
    Endpoint(
        "edit escalation policy",
        "patch",
        lambda c: f"/api/v1/escalation-policies/{c.policy}/",
        WRITE,
        body=lambda c: {"repeat": 3},
        effect=lambda c: EscalationPolicy.objects.get(pk=c.policy).repeat == 3,
    ),
    Endpoint(
        "remove escalation policy",
        "delete",
        lambda c: f"/api/v1/escalation-policies/{c.policy}/",
        {**WRITE, "responder": 204, "admin": 204},
        effect=lambda c: not EscalationPolicy.objects.filter(pk=c.policy).exists(),
    ),
    Endpoint(
        "page someone",
        "post",
        lambda c: "/api/v1/pages/",
        {**CREATE, "outsider": 404},
        body=lambda c: {"incident": c.ref, "user": c.cast.admin.email},
        effect=lambda c: (
            Escalation.objects.filter(incident_id=c.pk).exclude(manual_targets=[]).exists()
        ),
    ),
    # Paging's pages and form posts
    Endpoint(
        "page someone form",
        "post",
        lambda c: f"/incidents/{c.ref}/page-someone/",
        {**PAGE_WRITE, "outsider": 404},
        body=lambda c: {"user": c.cast.admin.pk},
        page=True,
        effect=lambda c: (
            Escalation.objects.filter(incident_id=c.pk).exclude(manual_targets=[]).exists()
        ),
    ),
    Endpoint(
        "add contact method form",
        "post",
        lambda c: "/paging/contact-methods/",
        {**PAGE_OPEN_TO_SIGNED_IN, "viewer": 302, "responder": 302, "admin": 302, "outsider": 302},
        body=lambda c: {"kind": "email", "address": "form@example.com", "delay_minutes": 0},
        page=True,
        effect=lambda c: ContactMethod.objects.filter(
            user=c.user, address="form@example.com"
        ).exists(),
    ),
    Endpoint(
        "remove contact method form",
        "post",
        lambda c: f"/paging/contact-methods/{c.contact_method}/remove/",
        {"anonymous": 302, "viewer": 404, "responder": 302, "admin": 404, "outsider": 404},
        page=True,
        effect=lambda c: not ContactMethod.objects.filter(pk=c.contact_method).exists(),
    ),
    Endpoint(
        "send a test page form",
        "post",
        lambda c: f"/paging/contact-methods/{c.contact_method}/test/",
        {"anonymous": 302, "viewer": 404, "responder": 302, "admin": 404, "outsider": 404},
        page=True,
        effect=lambda c: any("Test page" in m.subject for m in mail.outbox),
    ),
    Endpoint(
        "service escalation policy form",
        "post",
        lambda c: f"/paging/services/{c.service}/policy/",
        {**PAGE_WRITE, "outsider": 403},
        body=lambda c: {"policy": c.policy},
        page=True,
        effect=lambda c: ServicePaging.objects.filter(service_id=c.service).exists(),
    ),
    Endpoint(
        "escalation policies page",
        "get",
        lambda c: "/paging/policies/",
        PAGE_OPEN_TO_SIGNED_IN,
        page=True,
        shows=lambda c: "Ops escalation",
        sees=frozenset(TEAM),
    ),
    Endpoint(
        "new escalation policy page",
        "get",
        lambda c: f"/paging/policies/new/?team={c.cast.team.pk}",
        {**PAGE_READ, "viewer": 403},
        page=True,
        shows=lambda c: "New escalation policy",
    ),
    Endpoint(
        "add escalation policy form",
        "post",
        lambda c: f"/paging/policies/new/?team={c.cast.team.pk}",
        {**PAGE_WRITE, "outsider": 404},
        body=lambda c: editor_body("Form policy", 5, people=[c.cast.responder.pk]),
        page=True,
        effect=lambda c: EscalationPolicy.objects.filter(name="Form policy").exists(),
    ),
    Endpoint(
        "edit escalation policy page",
        "get",
        lambda c: f"/paging/policies/{c.policy}/edit/",
        {**PAGE_READ, "viewer": 403},
        page=True,
        shows=lambda c: "Edit Ops escalation",
    ),
    Endpoint(
        "edit escalation policy form",
        "post",
        lambda c: f"/paging/policies/{c.policy}/edit/",
        {**PAGE_WRITE, "outsider": 404},
        body=lambda c: editor_body("Ops escalation", 7),
        page=True,
        effect=lambda c: policy_steps(c) == [(7,)],
    ),
    Endpoint(
        "delete escalation policy form",
        "post",
        lambda c: f"/paging/policies/{c.policy}/delete/",
        {**PAGE_WRITE, "outsider": 404},
        page=True,
        effect=lambda c: not EscalationPolicy.objects.filter(pk=c.policy).exists(),
    ),
    # The room's paging panel refreshes itself from this fragment: whoever sees the incident.
    Endpoint(
        "paging panel",
        "get",
        lambda c: f"/incidents/{c.ref}/paging/",
        PAGE_READ,
        page=True,
        shows=lambda c: "Responder · Email · step 1",
    ),
    # The room's "paging now" banner refreshes itself from this fragment; only those who may
    # change the incident get its buttons.
    Endpoint(
        "paging now banner",
        "get",
        lambda c: f"/incidents/{c.ref}/paging/now/",
        PAGE_READ,
        page=True,
        shows=lambda c: "Paging Responder.",
    ),
    Endpoint(
        "paging now banner buttons",
        "get",
        lambda c: f"/incidents/{c.ref}/paging/now/",
        PAGE_READ,
        page=True,
        shows=lambda c: 'id="paging-ack"',
        sees=frozenset({"responder", "admin"}),
    ),
    # Notification rules are each person's own, as their contact methods are.
    Endpoint(
        "add notification rule form",
        "post",
        lambda c: f"/paging/contact-methods/{c.contact_method}/rules/",
        {"anonymous": 302, "viewer": 404, "responder": 302, "admin": 404, "outsider": 404},
        body=lambda c: {"delay_minutes": 15},
        page=True,
        effect=lambda c: 15 in rule_delays(c),
    ),
    Endpoint(
        "remove notification rule form",
        "post",
        lambda c: f"/paging/contact-methods/{c.contact_method}/rules/{c.later_rule}/remove/",
        {"anonymous": 302, "viewer": 404, "responder": 302, "admin": 404, "outsider": 404},
        page=True,
        effect=lambda c: rule_delays(c) == [0],
    ),
    Endpoint("schema", "get", lambda c: "/api/schema/", PUBLIC, shows=lambda c: "openapi"),
    Endpoint("API docs", "get", lambda c: "/api/docs/", PUBLIC, shows=lambda c: "swagger"),
    Endpoint("liveness", "get", lambda c: "/healthz", PUBLIC, shows=lambda c: "ok"),
    Endpoint("readiness", "get", lambda c: "/readyz", PUBLIC, shows=lambda c: "ok"),
    # --- browser pages
    Endpoint("home", "get", lambda c: "/", dict.fromkeys(PEOPLE, 302), page=True),
    Endpoint(
        "incident list page",
        "get",
        lambda c: page,
        PAGE_OPEN_TO_SIGNED_IN,
        page=True,
        shows=lambda c: INCIDENT_TITLE,
        sees=frozenset(TEAM),
    ),
    Endpoint(
        "declare page",
        "get",
        lambda c: f"{page}new/",
        PAGE_OPEN_TO_SIGNED_IN,
        page=True,
        shows=lambda c: "Declare an incident",
    ),
    Endpoint(
        "declare form",
        "post",
        lambda c: f"{page}new/",
        {**PAGE_OPEN_TO_SIGNED_IN, "viewer": 403, "outsider": 400, "responder": 302, "admin": 302},
        body=lambda c: {"title": "From the form", "severity": "SEV3", "team": c.cast.team.pk},
        page=True,
        effect=lambda c: Incident.objects.filter(title="From the form").exists(),
    ),
    Endpoint(
        "incident page",
        "get",
        lambda c: f"{page}{c.ref}/",
        PAGE_READ,
        page=True,
        shows=lambda c: INCIDENT_TITLE,
    ),
    Endpoint(
        "note form",
        "post",
        lambda c: f"{page}{c.ref}/note/",
        PAGE_WRITE,
        body=lambda c: {"body": "From the page"},
        page=True,
        effect=lambda c: has_note(c, "From the page"),
    ),
    Endpoint(
        "status form",
        "post",
        lambda c: f"{page}{c.ref}/status/",
        PAGE_WRITE,
        body=lambda c: {"status": "identified"},
        page=True,
        effect=status_is(Status.IDENTIFIED),
    ),
    Endpoint(
        "severity form",
        "post",
        lambda c: f"{page}{c.ref}/severity/",
        PAGE_WRITE,
        body=lambda c: {"severity": "SEV1"},
        page=True,
        effect=lambda c: incident(c).severity == "SEV1",
    ),
    Endpoint(
        "assign form",
        "post",
        lambda c: f"{page}{c.ref}/assign/",
        PAGE_WRITE,
        body=lambda c: {"role": "scribe", "user": c.cast.viewer.pk},
        page=True,
        effect=lambda c: holds(c, "viewer@example.com", "scribe"),
    ),
    Endpoint(
        "unassign form",
        "post",
        lambda c: f"{page}{c.ref}/unassign/",
        PAGE_WRITE,
        body=lambda c: {"role": "commander", "user": c.cast.responder.pk},
        page=True,
        effect=lambda c: not holds(c, "responder@example.com", "commander"),
    ),
    Endpoint(
        "acknowledge button",
        "post",
        lambda c: f"{page}{c.ref}/acknowledge/",
        PAGE_WRITE,
        status=Status.TRIGGERED,
        page=True,
        effect=status_is(Status.INVESTIGATING),
    ),
    Endpoint(
        "escalate button",
        "post",
        lambda c: f"{page}{c.ref}/escalate/",
        PAGE_WRITE,
        page=True,
        effect=lambda c: has_event(c, "page", action="escalate"),
    ),
    Endpoint(
        "snooze button",
        "post",
        lambda c: f"{page}{c.ref}/snooze/",
        PAGE_WRITE,
        body=lambda c: {"minutes": 20},
        page=True,
        effect=lambda c: has_event(c, "page", action="snooze", minutes=20),
    ),
    Endpoint(
        "reopen button",
        "post",
        lambda c: f"{page}{c.ref}/reopen/",
        PAGE_WRITE,
        status=Status.RESOLVED,
        page=True,
        effect=status_is(Status.INVESTIGATING),
    ),
    Endpoint(
        "strike form",
        "post",
        lambda c: f"{page}{c.ref}/strike/",
        PAGE_WRITE,
        body=lambda c: {"seq": c.note_seq, "reason": "Wrong host"},
        page=True,
        effect=lambda c: has_event(c, "strike", seq=c.note_seq),
    ),
    Endpoint(
        "edit form",
        "post",
        lambda c: f"{page}{c.ref}/edit/",
        PAGE_WRITE,
        body=lambda c: {"title": "Renamed on the page", "summary": ""},
        page=True,
        effect=lambda c: incident(c).title == "Renamed on the page",
    ),
    Endpoint(
        "merge form",
        "post",
        lambda c: f"{page}{c.ref}/merge/",
        PAGE_WRITE,
        body=lambda c: {"into": c.into},
        page=True,
        effect=status_is(Status.MERGED),
    ),
    Endpoint(
        "services page",
        "get",
        lambda c: "/services/",
        PAGE_OPEN_TO_SIGNED_IN,
        page=True,
        shows=lambda c: "payments-api",
    ),
    Endpoint(
        "add service form",
        "post",
        lambda c: "/services/",
        {**PAGE_OPEN_TO_SIGNED_IN, "viewer": 403, "outsider": 400, "responder": 302, "admin": 302},
        body=lambda c: {"name": "page-service", "team": c.cast.team.pk},
        page=True,
        effect=lambda c: Service.objects.filter(name="page-service").exists(),
    ),
    # --- on-call pages
    Endpoint(
        "schedules page",
        "get",
        lambda c: "/schedules/",
        PAGE_OPEN_TO_SIGNED_IN,
        page=True,
        shows=lambda c: "Ops primary",
        sees=frozenset(TEAM),
    ),
    Endpoint(
        "new schedule form",
        "post",
        lambda c: "/schedules/",
        {**PAGE_WRITE, "outsider": 400},  # Ops is not among the outsider's teams
        body=lambda c: {"name": "From the page", "team": c.cast.team.pk, "time_zone": "UTC"},
        page=True,
        effect=lambda c: Schedule.objects.filter(name="From the page").exists(),
    ),
    Endpoint(
        "schedule page",
        "get",
        lambda c: f"/schedules/{c.schedule}/",
        PAGE_READ,
        page=True,
        shows=lambda c: "Ops primary",
    ),
    Endpoint(
        "schedule editor",
        "get",
        lambda c: f"/schedules/{c.schedule}/edit/",
        {**PAGE_READ, "viewer": 403},
        page=True,
        shows=lambda c: "Edit Ops primary",
    ),
    Endpoint(
        "schedule editor form",
        "post",
        lambda c: f"/schedules/{c.schedule}/edit/",
        PAGE_WRITE,
        body=editor_form,
        page=True,
        effect=layer_named("Edited on the page"),
    ),
    Endpoint(
        "override form",
        "post",
        lambda c: f"/schedules/{c.schedule}/overrides/",
        PAGE_WRITE,
        body=lambda c: {
            "user": c.cast.admin.pk,
            "start": "2026-06-04T10:00",
            "end": "2026-06-04T12:00",
        },
        page=True,
        effect=lambda c: overridden(c, "admin@example.com", "2026-06-04T10:00:00+00:00"),
    ),
    Endpoint(
        "remove override",
        "post",
        lambda c: f"/schedules/{c.schedule}/overrides/{c.override}/delete/",
        PAGE_WRITE,
        page=True,
        effect=lambda c: not Override.objects.filter(pk=c.override).exists(),
    ),
    Endpoint(
        "take this shift",
        "post",
        lambda c: f"/schedules/{c.schedule}/take/",
        PAGE_WRITE,
        body=lambda c: {"start": "2026-06-05T09:00:00+00:00", "end": "2026-06-06T09:00:00+00:00"},
        page=True,
        effect=lambda c: (
            c.user is not None and overridden(c, c.user.email, "2026-06-05T09:00:00+00:00")
        ),
    ),
    Endpoint(
        "new schedule calendar address",
        "post",
        lambda c: f"/schedules/{c.schedule}/calendar/revoke/",
        PAGE_WRITE,
        page=True,
        effect=calendar_revoked,
    ),
    Endpoint(
        "new personal calendar address",
        "post",
        lambda c: "/schedules/my-calendar/",
        {**PAGE_OPEN_TO_SIGNED_IN, **dict.fromkeys(SIGNED_IN, 302)},
        page=True,
        effect=own_calendar_renewed,
    ),
    # --- accounts pages
    Endpoint(
        "login page",
        "get",
        lambda c: "/accounts/login/",
        {**dict.fromkeys(SIGNED_IN, 302), "anonymous": 200},
        page=True,
        shows=lambda c: "Log in to Keel",
        sees=frozenset({"anonymous"}),
    ),
    Endpoint(
        "log out",
        "post",
        lambda c: "/accounts/logout/",
        dict.fromkeys(PEOPLE, 302),
        page=True,
        effect=signed_out,
    ),
    Endpoint(
        "profile page",
        "get",
        lambda c: "/accounts/profile/",
        PAGE_OPEN_TO_SIGNED_IN,
        page=True,
        shows=lambda c: c.user.email if c.user else "@example.com",
    ),
    Endpoint(
        "profile form",
        "post",
        lambda c: "/accounts/profile/",
        {**PAGE_OPEN_TO_SIGNED_IN, **dict.fromkeys(SIGNED_IN, 302)},
        body=lambda c: {"save_profile": "", "display_name": "Someone", "time_zone": "Asia/Tokyo"},
        page=True,
        effect=time_zone_is("Asia/Tokyo"),
    ),
    Endpoint(
        "create token form",
        "post",
        lambda c: "/accounts/profile/",
        PAGE_OPEN_TO_SIGNED_IN,
        body=lambda c: {"create_token": "", "name": "from the page"},
        page=True,
        effect=lambda c: ApiToken.objects.filter(name="from the page").exists(),
    ),
    Endpoint(
        "revoke own token form",
        "post",
        lambda c: f"/accounts/tokens/{own_page_token(c)}/revoke/",
        {**PAGE_OPEN_TO_SIGNED_IN, **dict.fromkeys(SIGNED_IN, 302)},
        page=True,
        effect=lambda c: revoked(own_page_token(c)),
    ),
    Endpoint(
        "revoke someone else's token form",
        "post",
        lambda c: f"/accounts/tokens/{c.others_token}/revoke/",
        {**PAGE_OPEN_TO_SIGNED_IN, **dict.fromkeys(SIGNED_IN, 404)},
        page=True,
        effect=lambda c: revoked(c.others_token),
    ),
    Endpoint(
        "password page",
        "get",
        lambda c: "/accounts/password/",
        PAGE_OPEN_TO_SIGNED_IN,
        page=True,
        shows=lambda c: "new_password1",
    ),
    Endpoint(
        "password form",
        "post",
        lambda c: "/accounts/password/",
        {**PAGE_OPEN_TO_SIGNED_IN, **dict.fromkeys(SIGNED_IN, 302)},
        body=lambda c: {
            "old_password": PASSWORD,
            "new_password1": "n3w-Pa55-phrase",
            "new_password2": "n3w-Pa55-phrase",
        },
        page=True,
        effect=password_changed,
    ),
    Endpoint(
        "password changed page",
        "get",
        lambda c: "/accounts/password/done/",
        PAGE_OPEN_TO_SIGNED_IN,
        page=True,
    ),
    # --- chat (incidents/chat): a team's admins manage its channels; its members read them
    Endpoint(
        "list chat channels",
        "get",
        lambda c: "/api/v1/chat-channels/",
        OPEN_TO_SIGNED_IN,
        shows=lambda c: "#ops-incidents",
        sees=frozenset(TEAM),
    ),
    Endpoint(
        "add chat channel",
        "post",
        lambda c: "/api/v1/chat-channels/",
        {**CREATE, "responder": 403, "outsider": 403},
        body=lambda c: {
            "team": c.cast.team.pk,
            "name": "#new",
            "webhook_url": "https://hooks.slack.com/n",
        },
        effect=lambda c: ChatChannel.objects.filter(name="#new").exists(),
    ),
    Endpoint(
        "chat channel detail",
        "get",
        lambda c: f"/api/v1/chat-channels/{c.chat_channel}/",
        READ,
        shows=lambda c: "#ops-incidents",
    ),
    Endpoint(
        "edit chat channel",
        "patch",
        lambda c: f"/api/v1/chat-channels/{c.chat_channel}/",
        {**WRITE, "responder": 403},
        body=lambda c: {"events": ["resolved"]},
        effect=lambda c: chat_channel(c).events == ["resolved"],
    ),
    Endpoint(
        "link chat user id by API",
        "patch",
        lambda c: "/api/v1/me/",
        OPEN_TO_SIGNED_IN,
        body=lambda c: {"chat_user_id": "U0API"},
        effect=chat_link_started("U0API"),
    ),
    Endpoint(
        "chat channels page",
        "get",
        lambda c: "/chat/",
        PAGE_OPEN_TO_SIGNED_IN,
        page=True,
        shows=lambda c: "#ops-incidents",
        sees=frozenset(TEAM),
    ),
    Endpoint(
        "add chat channel form",
        "post",
        lambda c: "/chat/",
        {
            **PAGE_OPEN_TO_SIGNED_IN,
            "viewer": 403,
            "responder": 403,
            "outsider": 403,
            "admin": 302,
        },
        body=lambda c: {
            "team": c.cast.team.pk,
            "name": "#from-page",
            "events": ["declared", "resolved"],
            "webhook_url": "https://hooks.slack.com/services/T/B/page",
        },
        page=True,
        effect=lambda c: ChatChannel.objects.filter(name="#from-page").exists(),
    ),
    Endpoint(
        "chat channel page",
        "get",
        lambda c: f"/chat/{c.chat_channel}/",
        PAGE_READ,
        page=True,
        shows=lambda c: "#ops-incidents",
    ),
    Endpoint(
        "chat channel form",
        "post",
        lambda c: f"/chat/{c.chat_channel}/",
        {**PAGE_WRITE, "responder": 403},
        body=lambda c: {"name": "#renamed", "events": ["resolved"], "webhook_url": ""},
        page=True,
        effect=lambda c: chat_channel(c).name == "#renamed",
    ),
    Endpoint(
        "link chat account form",  # answers with the one-time code's page
        "post",
        lambda c: "/chat/link/",
        PAGE_OPEN_TO_SIGNED_IN,
        body=lambda c: {"chat_user_id": "U0PAGE"},
        page=True,
        effect=chat_link_started("U0PAGE"),
    ),
    Endpoint(
        "forget chat account form",
        "post",
        own_chat_link,
        {**PAGE_OPEN_TO_SIGNED_IN, **dict.fromkeys(SIGNED_IN, 302)},
        page=True,
        effect=chat_unlinked,
    ),
    # Slack's request URLs prove themselves with a signature, not a session or token
    # (tests/chat/ covers signed requests); without SLACK_SIGNING_SECRET they are off.
    Endpoint(
        "slash command",
        "post",
        lambda c: "/slack/commands",
        dict.fromkeys(PEOPLE, 503),
        body=lambda c: {"text": f"resolve {c.ref}", "user_id": "U0ANY"},
        effect=status_is(Status.RESOLVED),
    ),
    Endpoint(
        "button click",
        "post",
        lambda c: "/slack/actions",
        dict.fromkeys(PEOPLE, 503),
        body=lambda c: {"payload": "{}"},
        effect=status_is(Status.RESOLVED),
    ),
]

# Capability apps keep their rows beside their tests; they build on the names above.
from .postmortems.authz_rows import ENDPOINTS as POSTMORTEM_ENDPOINTS  # noqa: E402

ENDPOINTS += POSTMORTEM_ENDPOINTS
# Capability apps' rows.
ENDPOINTS += alert_rows(Endpoint, globals())
ENDPOINTS += paging_rows(Endpoint, globals())
ENDPOINTS += phone_rows(Endpoint, globals())
ENDPOINTS += push_rows(Endpoint, globals())
ENDPOINTS += import_rows(Endpoint, globals())
ENDPOINTS += audit_rows(Endpoint, globals())
ENDPOINTS += sso_rows(Endpoint, globals())
ENDPOINTS += mfa_rows(Endpoint, globals())
