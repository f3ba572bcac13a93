"""Keel's configuration as a document (document.py): the whole of it for `export_config`,
and one object at a time so that applying can tell an unchanged object from a changed one.
Secrets are never written: integration keys, chat webhook URLs, signing secrets."""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from accounts.models import Team, User
from incidents.alerts.models import Integration, MaintenanceWindow
from incidents.chat.models import ChatChannel
from incidents.models import Service
from incidents.oncall import services as oncall
from incidents.oncall.models import Layer, Schedule
from incidents.paging.models import EscalationPolicy, ReminderIntervals, ServicePaging

from .document import VERSION, Document
from .models import SourceLink


def instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def source_of(obj: Model) -> str | None:
    link = SourceLink.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).first()
    return link.source if link else None


def with_source(data: dict, obj: Model) -> dict:
    source = source_of(obj)
    return {**data, "source": source} if source else data


def team_settings(team: Team) -> dict:
    return {"name": team.name, "slug": team.slug, "description": team.description}


def members(team: Team) -> list[dict]:
    rows = team.memberships.select_related("user").order_by("user__email")
    return [{"email": m.user.email, "role": m.role} for m in rows]


def layer_part(layer: Layer) -> dict:
    return {
        "name": layer.name,
        "participants": [p.user.email for p in layer.participants.order_by("position")],
        "shift_length": layer.shift_length,
        "shift_unit": layer.shift_unit,
        "handoff_time": layer.handoff_time.strftime("%H:%M"),
        "start_date": layer.start_date.isoformat(),
        "restrictions": list(layer.restrictions),
    }


def schedule_settings(schedule: Schedule) -> dict:
    """The schedule without its overrides (those are compared on their own)."""
    return {
        "name": schedule.name,
        "time_zone": schedule.time_zone,
        "layers": [layer_part(layer) for layer in schedule.layers.order_by("position")],
    }


def future_overrides(schedule: Schedule, now: datetime) -> list:
    """The overrides still to end, in the order they apply (the later one wins)."""
    return list(
        schedule.overrides.filter(end__gt=now).select_related("user").order_by("created_at", "pk")
    )


def schedule_part(schedule: Schedule, now: datetime) -> dict:
    overrides = [
        {"user": o.user.email, "start": instant(o.start), "end": instant(o.end)}
        for o in future_overrides(schedule, now)
    ]
    return with_source({**schedule_settings(schedule), "overrides": overrides}, schedule)


def target_part(target: dict) -> dict:
    ((key, pk),) = target.items()
    if key == "user":
        person = User.objects.filter(pk=pk).first()
        return {"user": person.email if person else str(pk)}
    if key == "schedule":
        schedule = Schedule.objects.filter(pk=pk).first()
        return {"schedule": schedule.name if schedule else str(pk)}
    team = Team.objects.filter(pk=pk).first()
    return {"team": team.slug if team else str(pk)}


def policy_settings(policy: EscalationPolicy) -> dict:
    return {
        "name": policy.name,
        "repeat": policy.repeat,
        "steps": [
            {"delay_minutes": s.delay_minutes, "targets": [target_part(t) for t in s.targets]}
            for s in policy.steps.order_by("position")
        ],
    }


def service_settings(service: Service) -> dict:
    link = ServicePaging.objects.filter(service=service).select_related("policy").first()
    return {
        "name": service.name,
        "description": service.description,
        "escalation_policy": link.policy.name if link else None,
    }


def integration_settings(integration: Integration) -> dict:
    return {
        "kind": integration.kind,
        "name": integration.name,
        "enabled": integration.enabled,
        "default_severity": integration.default_severity,
        "severity_map": dict(integration.severity_map),
        "auto_resolve": integration.auto_resolve,
    }


def maintenance_part(window: MaintenanceWindow) -> dict:
    return {
        "start": instant(window.starts_at),
        "end": instant(window.ends_at),
        "reason": window.reason,
    }


def service_part(service: Service, now: datetime) -> dict:
    windows = service.maintenance.filter(ends_at__gt=now).order_by("starts_at", "pk")
    return with_source(
        {
            **service_settings(service),
            "integrations": [
                with_source(integration_settings(i), i) for i in service.integrations.order_by("pk")
            ],
            "maintenance": [maintenance_part(w) for w in windows],
        },
        service,
    )


def channel_settings(channel: ChatChannel) -> dict:
    return {
        "name": channel.name,
        "events": list(channel.events),
        "service": channel.service.name if channel.service_id else None,
    }


def intervals_part(team: Team) -> dict | None:
    row = ReminderIntervals.objects.filter(team=team).first()
    return {sev.lower(): minutes for sev, minutes in row.minutes().items()} if row else None


def team_part(team: Team, now: datetime) -> dict:
    data = with_source({**team_settings(team), "members": members(team)}, team)
    intervals = intervals_part(team)
    if intervals is not None:
        data["reminder_intervals"] = intervals
    schedules = oncall.with_layers(Schedule.objects.filter(team=team)).order_by("name")
    data["schedules"] = [schedule_part(s, now) for s in schedules]
    data["escalation_policies"] = [
        with_source(policy_settings(p), p)
        for p in EscalationPolicy.objects.filter(team=team).order_by("name")
    ]
    data["services"] = [
        service_part(s, now) for s in Service.objects.filter(team=team).order_by("name")
    ]
    data["chat_channels"] = [
        channel_settings(c)
        for c in ChatChannel.objects.filter(team=team)
        .select_related("service")
        .order_by("name", "pk")
    ]
    return data


def export_document(now: datetime) -> Document:
    """Every team and what hangs off it, and the people in them. Services without a team
    (from before teams were required) are not part of any team's configuration."""
    people = User.objects.filter(memberships__isnull=False).distinct().order_by("email")
    return {
        "version": VERSION,
        "people": [
            {"email": p.email, "name": p.display_name, "time_zone": p.time_zone} for p in people
        ],
        "teams": [team_part(team, now) for team in Team.objects.order_by("slug")],
    }
