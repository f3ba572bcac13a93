"""`escalation_policy` on the services API (DESIGN.md: `POST /api/v1/services/` accepts it).
The core's service serializers ask a small registry (incidents.api.serializers.
register_service_extension) for extra fields; paging registers this one in ready(), so the
dependency still runs one way (paging -> core)."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import Team
from incidents.api.serializers import ServiceExtension
from incidents.models import Service

from .models import EscalationPolicy, ServicePaging


def field() -> serializers.Field:
    return serializers.PrimaryKeyRelatedField(
        queryset=EscalationPolicy.objects.all(),
        allow_null=True,
        required=False,
        help_text="The escalation policy (id) that pages for this service's incidents.",
    )


def read(service: Service) -> int | None:
    link = ServicePaging.objects.filter(service=service).values_list("policy_id", flat=True)
    return link.first()


def check(policy: EscalationPolicy | None, team: Team | None) -> None:
    if policy is not None and (team is None or policy.team_id != team.pk):
        raise serializers.ValidationError(
            {"escalation_policy": f"Policy {policy.pk} is not a policy of the service's team."}
        )


def save(service: Service, policy: EscalationPolicy | None) -> None:
    if policy is None:
        ServicePaging.objects.filter(service=service).delete()
    else:
        ServicePaging.objects.update_or_create(service=service, defaults={"policy": policy})


ESCALATION_POLICY = ServiceExtension("escalation_policy", field, read, check, save)
