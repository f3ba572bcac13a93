"""What the audit log tracks: each kind of configuration object, how to read it as a flat
{field: value} record, which of its fields are secrets, and which team it belongs to.

A kind may span several tables: a schedule's layers and their participants, a policy's
steps, a team's memberships, a contact method's rules and device are read as fields of
their root object (`layers[1].participants`, `members.ana@example.com`), so one change
made in one request is one entry, however many rows it touched. PARTS maps those tables
to their root.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.contrib.auth.models import Group
from django.db import models

from accounts.models import ApiToken, Membership, Team, User
from incidents.alerts.models import Integration, MaintenanceWindow
from incidents.chat.models import ChatChannel, ChatIdentity
from incidents.models import Service
from incidents.oncall.models import Layer, LayerParticipant, Override, PersonalCalendar, Schedule
from incidents.paging.models import (
    ContactKind,
    ContactMethod,
    EscalationPolicy,
    EscalationStep,
    NotificationRule,
    PushSubscription,
    ReminderIntervals,
    ServicePaging,
)

MASK = "********"
# Contact methods whose address is a URL that works as a key (a Slack webhook, an ntfy
# topic, a push endpoint): shown as their origin only.
URL_ADDRESS_KINDS = {ContactKind.WEBHOOK, ContactKind.SLACK, ContactKind.NTFY, ContactKind.WEBPUSH}


def plain(value: Any) -> Any:
    """A value as JSON: related objects by their name, times in ISO 8601."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def url_origin(value: str) -> str:
    """Enough of a secret URL to recognise it, not enough to use it."""
    if not value:
        return ""
    parts = urlsplit(value)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.netloc else MASK


def mask(value: Any) -> Any:
    return MASK if value not in (None, "") else value


@dataclass(frozen=True)
class Kind:
    name: str  # the entry's object_type
    model: type[models.Model]
    fields: tuple[str, ...]
    secrets: frozenset[str] = frozenset()  # shown as ******** (or blank when empty)
    urls: frozenset[str] = frozenset()  # shown as their origin
    parts: Callable[[Any], dict[str, Any]] | None = None
    team: Callable[[Any], int | None] = field(default=lambda obj: getattr(obj, "team_id", None))
    # Saves that touch only these fields are bookkeeping, not configuration.
    ignored: frozenset[str] = frozenset()

    def snapshot(self, obj: Any) -> dict[str, Any]:
        record = {name: plain(getattr(obj, name)) for name in self.fields}
        if self.parts is not None:
            record.update(self.parts(obj))
        return record

    def shown(self, key: str, value: Any, record: dict[str, Any]) -> Any:
        if key in self.secrets:
            return mask(value)
        if key in self.urls or (key == "address" and record.get("kind") in URL_ADDRESS_KINDS):
            return url_origin(value)
        return value


def team_members(team: Team) -> dict[str, Any]:
    rows = Membership.objects.filter(team=team).select_related("user").order_by("user__email")
    return {f"members.{m.user.email}": m.role for m in rows}


def schedule_layers(schedule: Schedule) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for n, layer in enumerate(Layer.objects.filter(schedule=schedule).order_by("position"), 1):
        for name in ("name", "shift_length", "shift_unit", "handoff_time", "start_date",
                     "restrictions"):  # fmt: skip
            record[f"layers[{n}].{name}"] = plain(getattr(layer, name))
        people = LayerParticipant.objects.filter(layer=layer).order_by("position")
        record[f"layers[{n}].participants"] = [p.user.email for p in people.select_related("user")]
    return record


def policy_steps(policy: EscalationPolicy) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for n, step in enumerate(EscalationStep.objects.filter(policy=policy).order_by("position"), 1):
        record[f"steps[{n}].delay_minutes"] = step.delay_minutes
        record[f"steps[{n}].targets"] = step.targets
    return record


def service_policy(service: Service) -> dict[str, Any]:
    paging = ServicePaging.objects.filter(service=service).select_related("policy").first()
    return {"escalation_policy": str(paging.policy) if paging else None}


def method_parts(method: ContactMethod) -> dict[str, Any]:
    rules = NotificationRule.objects.filter(contact_method=method).order_by("delay_minutes")
    record: dict[str, Any] = {"rules": [r.delay_minutes for r in rules]}
    device = PushSubscription.objects.filter(contact_method=method).first()
    if device is not None:
        record.update({"device.name": device.name, "device.endpoint": device.endpoint,
                       "device.keys": device.p256dh + device.auth})  # fmt: skip
    return record


def group_permissions(group: Group) -> dict[str, Any]:
    return {"permissions": sorted(p.codename for p in group.permissions.all())}


def service_team(obj: Any) -> int | None:
    return Service.objects.filter(pk=obj.service_id).values_list("team_id", flat=True).first()


def schedule_team(obj: Any) -> int | None:
    return Schedule.objects.filter(pk=obj.schedule_id).values_list("team_id", flat=True).first()


def no_team(obj: Any) -> None:
    return None


KINDS: list[Kind] = [
    Kind("user", User, ("email", "display_name", "time_zone", "is_active", "is_staff",
                        "is_superuser", "password"),
         secrets=frozenset({"password"}), team=no_team,
         ignored=frozenset({"last_login"})),
    Kind("group", Group, ("name",), parts=group_permissions, team=no_team),
    Kind("team", Team, ("name", "slug", "description"), parts=team_members,
         team=lambda team: team.pk),
    Kind("service", Service, ("name", "description", "team"), parts=service_policy),
    Kind("integration", Integration,
         ("service", "kind", "name", "enabled", "default_severity", "severity_map",
          "auto_resolve", "key_hint", "key_hash", "secret"),
         secrets=frozenset({"key_hash", "secret"}), team=service_team),
    Kind("maintenance_window", MaintenanceWindow, ("service", "starts_at", "ends_at", "reason"),
         team=service_team),
    Kind("schedule", Schedule, ("team", "name", "time_zone", "calendar_token"),
         secrets=frozenset({"calendar_token"}), parts=schedule_layers),
    Kind("override", Override, ("schedule", "user", "start", "end"), team=schedule_team),
    Kind("escalation_policy", EscalationPolicy, ("team", "name", "repeat"), parts=policy_steps),
    Kind("contact_method", ContactMethod,
         ("user", "kind", "address", "secret", "verified_at", "stopped_at"),
         secrets=frozenset({"secret", "device.endpoint", "device.keys"}), parts=method_parts,
         team=no_team,
         ignored=frozenset({"code_hash", "code_sent_at", "code_tries", "failed_at", "failure"})),
    Kind("chat_channel", ChatChannel,
         ("team", "service", "name", "webhook_url", "events", "slack_channel_id", "state",
          "disabled_reason"),
         urls=frozenset({"webhook_url"}),
         ignored=frozenset({"last_sent_at", "wake_at", "disabled_at"})),
    Kind("chat_identity", ChatIdentity, ("user", "chat_user_id", "verified_at"), team=no_team,
         ignored=frozenset({"code_hash", "code_expires_at"})),
    Kind("reminder_intervals", ReminderIntervals, ("team", "sev1", "sev2", "sev3", "sev4")),
    Kind("api_token", ApiToken, ("user", "name", "prefix", "key_hash", "revoked_at"),
         secrets=frozenset({"key_hash"}), team=no_team, ignored=frozenset({"last_used_at"})),
    Kind("personal_calendar", PersonalCalendar, ("user", "token"),
         secrets=frozenset({"token"}), team=no_team),
]  # fmt: skip


def _layer_schedule(participant: LayerParticipant) -> list[int]:
    return list(Layer.objects.filter(pk=participant.layer_id).values_list("schedule_id", flat=True))


# Rows that belong to a root object: model -> (root kind's name, the root ids of a row).
PARTS: dict[type[models.Model], tuple[str, Callable[[Any], list[Any]]]] = {
    Membership: ("team", lambda row: [row.team_id]),
    Layer: ("schedule", lambda row: [row.schedule_id]),
    LayerParticipant: ("schedule", _layer_schedule),
    EscalationStep: ("escalation_policy", lambda row: [row.policy_id]),
    ServicePaging: ("service", lambda row: [row.service_id]),
    NotificationRule: ("contact_method", lambda row: [row.contact_method_id]),
    PushSubscription: ("contact_method", lambda row: [row.contact_method_id]),
}


def optional_kinds() -> list[Kind]:
    """Kinds of apps that may or may not be installed (the MFA authenticators of
    django-allauth, where TOTP secrets and recovery codes live: masked whole)."""
    found = []
    if apps.is_installed("allauth.mfa"):
        authenticator = apps.get_model("mfa", "Authenticator")
        found.append(Kind("mfa_authenticator", authenticator, ("user", "type", "data"),
                          secrets=frozenset({"data"}), team=no_team,
                          ignored=frozenset({"last_used_at"})))  # fmt: skip
    return found


BY_NAME: dict[str, Kind] = {}
BY_MODEL: dict[type[models.Model], Kind] = {}


def register(kind: Kind) -> None:
    """Track one more kind (an app added later, e.g. SSO group mappings)."""
    BY_NAME[kind.name] = kind
    BY_MODEL[kind.model] = kind


def object_types() -> list[str]:
    return sorted(BY_NAME)
