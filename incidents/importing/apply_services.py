"""Applying a team's services (with their escalation policy), integrations, maintenance
windows and chat channels through the API's serializers. An integration Keel lacks is
created as the API creates one, and its new URL and key are reported once."""

from __future__ import annotations

from accounts.models import Team
from incidents.alerts.models import Integration, MaintenanceWindow
from incidents.alerts.serializers import IntegrationSerializer, MaintenanceWindowSerializer
from incidents.api.serializers import ServiceWriteSerializer
from incidents.chat.api import ChatChannelSerializer
from incidents.chat.models import ChatChannel
from incidents.models import Service
from incidents.paging.models import EscalationPolicy

from . import export
from .steps import Context, Skip, find, outcome, remember, step, validated

INTEGRATION_FIELDS = ("enabled", "default_severity", "severity_map", "auto_resolve")


def given_over(current: dict, checked: dict) -> dict:
    """`current` (export's shape) with what the document gives laid over it; related
    objects by name, as export names them."""
    wanted = dict(current)
    for key, value in checked.items():
        if key in ("escalation_policy", "service"):
            value = value.name if value is not None else None
        if key in wanted:
            wanted[key] = value
    return wanted


def apply_service(ctx: Context, team: Team, data: dict) -> Service | None:
    label = f"service {data['name']}"

    def work():
        existing = find(
            Service, data.get("source"), Service.objects.filter(name__iexact=data["name"])
        )
        payload = {"name": data["name"], "team": team.pk}
        if "description" in data:
            payload["description"] = data["description"]
        if "escalation_policy" in data:
            name = data["escalation_policy"]
            policy = EscalationPolicy.objects.filter(team=team, name=name).first() if name else None
            if name and policy is None:
                ctx.report.skipped.append(
                    f"escalation policy of {label}: no policy {name} in {team}, left as it was"
                )
            else:
                payload["escalation_policy"] = policy.pk if policy else None
        serializer = ServiceWriteSerializer(
            existing, data=payload, partial=existing is not None, context=ctx.api()
        )
        checked = validated(serializer)
        same = existing is not None and existing.team_id == team.pk
        if same:
            current = export.service_settings(existing)
            same = current == given_over(current, checked)
        service = existing if same else serializer.save()
        remember(service, data.get("source"))
        return outcome(existing, same), service

    return step(ctx, label, work)


def apply_integration(ctx: Context, service: Service, data: dict) -> Integration | None:
    name = data.get("name", "")
    label = f"{data['kind']} integration{f' {name}' if name else ''} of service {service.name}"

    def work():
        existing = find(
            Integration,
            data.get("source"),
            Integration.objects.filter(service=service, kind=data["kind"], name=name),
        )
        given = {key: data[key] for key in INTEGRATION_FIELDS if key in data}
        if existing is None:
            serializer = IntegrationSerializer(
                data={"service": service.pk, "kind": data["kind"], "name": name, **given},
                context=ctx.api(),
            )
            integration = Integration(**validated(serializer), created_by=ctx.creator)
            raw_key = integration.new_key()
            integration.save()
            ctx.report.integrations.append(
                {"service": service.name, "kind": integration.kind, "name": integration.name,
                 "url": integration.hook_url(raw_key), "key": raw_key}
            )  # fmt: skip
            remember(integration, data.get("source"))
            return "created", integration
        serializer = IntegrationSerializer(
            existing, data={"name": name, **given}, partial=True, context=ctx.api()
        )
        checked = validated(serializer)
        current = export.integration_settings(existing)
        same = all(current[key] == value for key, value in checked.items() if key in current)
        integration = existing if same else serializer.save()
        remember(integration, data.get("source"))
        return outcome(existing, same), integration

    return step(ctx, label, work)


def apply_maintenance(ctx: Context, service: Service, data: dict) -> None:
    label = f"maintenance of service {service.name} from {data['start']} to {data['end']}"

    def work():
        serializer = MaintenanceWindowSerializer(
            data={"service": service.pk, "starts_at": data["start"], "ends_at": data["end"],
                  "reason": data.get("reason", "")},
            context=ctx.api(),
        )  # fmt: skip
        checked = validated(serializer)
        existing = MaintenanceWindow.objects.filter(
            service=service, starts_at=checked["starts_at"], ends_at=checked["ends_at"]
        ).first()
        if existing is None:
            return "created", serializer.save(created_by=ctx.creator)
        same = existing.reason == checked["reason"]
        if not same:
            existing.reason = checked["reason"]
            existing.save(update_fields=["reason"])
        return outcome(existing, same), existing

    step(ctx, label, work)


def apply_channel(ctx: Context, team: Team, data: dict) -> ChatChannel | None:
    name = data.get("name", "#incidents")
    label = f"chat channel {name} ({team.slug})"

    def work():
        existing = ChatChannel.objects.filter(team=team, name=name).order_by("pk").first()
        payload: dict = {"team": team.pk, "name": name}
        if "events" in data:
            payload["events"] = data["events"]
        if data.get("service"):
            service = Service.objects.filter(team=team, name__iexact=data["service"]).first()
            if service is None:
                raise Skip(f"no service {data['service']} in {team}")
            payload["service"] = service.pk
        elif "service" in data:
            payload["service"] = None
        if data.get("webhook_url"):
            payload["webhook_url"] = data["webhook_url"]
        elif existing is None:
            raise Skip(
                "its webhook URL is a secret and not in the document: add the channel in "
                "Keel, or give webhook_url"
            )
        serializer = ChatChannelSerializer(
            existing, data=payload, partial=existing is not None, context=ctx.api()
        )
        checked = validated(serializer)
        if existing is None:
            return "created", serializer.save(created_by=ctx.creator)
        current = export.channel_settings(existing)
        url = checked.get("webhook_url", existing.webhook_url)
        same = current == given_over(current, checked) and url == existing.webhook_url
        return outcome(existing, same), existing if same else serializer.save()

    return step(ctx, label, work)


def apply_services(ctx: Context, team: Team, services: list[dict]) -> None:
    for data in services:
        service = apply_service(ctx, team, data)
        if service is None:
            for integration in data.get("integrations") or []:
                ctx.report.skipped.append(
                    f"{integration['kind']} integration of service {data['name']}: "
                    "the service was not applied"
                )
            continue
        for integration in data.get("integrations") or []:
            apply_integration(ctx, service, integration)
        for window in data.get("maintenance") or []:
            apply_maintenance(ctx, service, window)
