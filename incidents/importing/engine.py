"""Plan and apply a configuration document (document.py): the one engine behind every
importer, `apply_config` and the import page.

`plan` runs exactly what `apply` runs, inside a transaction that is rolled back, so the
plan is what the apply will do and the database is left as it was. `apply` gives each
object its own transaction: one refused object (reported as skipped, with the API's
reason) never undoes the others. Objects are matched by the source id an earlier import
remembered (SourceLink), then by their natural key: team slug, schedule and policy name
within the team, service name, integration (service, kind, name). An object that is
already as the document says is left untouched, so applying twice changes nothing the
second time. Nothing is deleted except future overrides the document no longer has."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Role, Team, User, validate_timezone
from incidents.paging import intervals
from incidents.paging.reminder_api import ReminderIntervalsSerializer

from . import export
from .apply_oncall import apply_policy, apply_schedule
from .apply_services import apply_channel, apply_services
from .busy import ImportBusy, one_apply_at_a_time
from .document import Document
from .report import Report
from .steps import Context, command_line_actor, find, outcome, remember, step, validated
from .validate import DocumentError, validate

__all__ = ["DocumentError", "ImportBusy", "Report", "apply", "plan"]


def plan(
    document: Document,
    *,
    create_users: bool = False,
    now: datetime | None = None,
    actor: User | None = None,
) -> Report:
    """What `apply` would do; changes nothing. DocumentError when the document is unusable."""
    report = _start(document, applied=False)
    with transaction.atomic():
        _apply_document(document, _context(report, create_users, now, actor))
        transaction.set_rollback(True)
    report.integrations = []  # keys made in the rolled-back run never existed
    return report


def apply(
    document: Document,
    *,
    create_users: bool = False,
    now: datetime | None = None,
    actor: User | None = None,
) -> Report:
    """Make Keel match the document, one object per transaction; report what was done.
    ImportBusy (nothing changed) while another apply runs."""
    report = _start(document, applied=True)
    with one_apply_at_a_time():
        _apply_document(document, _context(report, create_users, now, actor))
    return report


def _start(document: Document, *, applied: bool) -> Report:
    validate(document)
    return Report(notes=list(document.get("notes") or []), applied=applied)


def _context(report: Report, create_users: bool, now: datetime | None, actor: User | None):
    return Context(report, now or timezone.now(), actor or command_line_actor(), create_users)


def referenced_people(document: Document) -> dict[str, dict]:
    """Everyone the document names, by email (lower case): its people list first, then
    team members, schedule participants, override takers and people policies page."""
    found: dict[str, dict] = {}
    for person in document.get("people") or []:
        found.setdefault(person["email"].strip().lower(), person)
    for team in document.get("teams") or []:
        emails = [m["email"] for m in team.get("members") or []]
        for schedule in team.get("schedules") or []:
            for layer in schedule.get("layers") or []:
                emails += layer["participants"]
            emails += [o["user"] for o in schedule.get("overrides") or []]
        for policy in team.get("escalation_policies") or []:
            for entry in policy.get("steps") or []:
                emails += [t["user"] for t in entry["targets"] if "user" in t]
        for email in emails:
            found.setdefault(email.strip().lower(), {"email": email})
    return found


def apply_person(ctx: Context, email: str, data: dict) -> None:
    if ctx.person(email) is not None:
        return  # matched by email: an import never changes who a person is
    if not ctx.create_users:
        ctx.report.skipped.append(
            f"person {email}: no Keel account with that email (invite them, or import "
            "with create users)"
        )
        return

    def work():
        validate_email(email)  # a source's odd address is skipped, not stored
        zone = data.get("time_zone") or "UTC"
        try:
            validate_timezone(zone)
        except DjangoValidationError:
            zone = "UTC"
        person = User.objects.create_user(
            email, display_name=(data.get("name") or "")[:100], time_zone=zone, is_active=False
        )
        return "created", person

    label = f"person {email} (inactive until someone activates them)"
    ctx.people[email] = step(ctx, label, work)


def apply_team(ctx: Context, data: dict) -> Team | None:
    label = f"team {data['name']} ({data['slug']})"

    def work():
        existing = find(Team, data.get("source"), Team.objects.filter(slug=data["slug"]))
        wanted = {
            "name": data["name"],
            "slug": data["slug"],
            "description": data.get("description", existing.description if existing else ""),
        }
        same = existing is not None and export.team_settings(existing) == wanted
        team = existing or Team()
        if not same:
            for field, value in wanted.items():
                setattr(team, field, value)
            team.full_clean()
            team.save()
        remember(team, data.get("source"))
        return outcome(existing, same), team

    return step(ctx, label, work)


def apply_member(ctx: Context, team: Team, data: dict) -> None:
    role = data.get("role", Role.RESPONDER)
    label = f"member {data['email']} of {team.slug} ({role})"
    person = ctx.person(data["email"])
    if person is None:
        ctx.report.skipped.append(f"{label}: no Keel account with that email")
        return

    def work():
        existing = Membership.objects.filter(team=team, user=person).first()
        if existing is not None and existing.role == role:
            return "unchanged", existing
        membership, _ = Membership.objects.update_or_create(
            team=team, user=person, defaults={"role": role}
        )
        return outcome(existing, False), membership

    step(ctx, label, work)


def apply_intervals(ctx: Context, team: Team, data: dict) -> None:
    def work():
        checked = validated(ReminderIntervalsSerializer(data=data))
        wanted = {sev: checked.get(sev.lower()) for sev in intervals.SEVERITIES}
        current = export.intervals_part(team)
        same = current is not None and current == {k.lower(): v for k, v in wanted.items()}
        if not same:
            intervals.save(team, wanted)
        return ("created" if current is None else "unchanged" if same else "changed"), team

    step(ctx, f"reminder intervals of {team.slug}", work)


def _apply_document(document: Document, ctx: Context) -> None:
    for email, person in referenced_people(document).items():
        apply_person(ctx, email, person)
    for data in document.get("teams") or []:
        team = apply_team(ctx, data)
        if team is None:
            ctx.report.skipped.append(
                f"everything in team {data['name']}: the team itself was not applied"
            )
            continue
        for member in data.get("members") or []:
            apply_member(ctx, team, member)
        if data.get("reminder_intervals") is not None:
            apply_intervals(ctx, team, data["reminder_intervals"])
        for schedule in data.get("schedules") or []:
            apply_schedule(ctx, team, schedule)
        for policy in data.get("escalation_policies") or []:
            apply_policy(ctx, team, policy)
        apply_services(ctx, team, data.get("services") or [])
        for channel in data.get("chat_channels") or []:
            apply_channel(ctx, team, channel)
