"""API shapes for integrations and maintenance windows."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.permissions import can_manage_service_alerts
from incidents.api.serializers import InstantField
from incidents.api.serializers import ServiceRefField as _ServiceRefField
from incidents.models import Severity

from .models import Integration, Kind, MaintenanceWindow

MAX_SEVERITY_MAP = 50
MAX_MAINTENANCE = timedelta(days=90)


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class ServiceRefField(_ServiceRefField):
    """A service by id or name; answers carry its id."""


@extend_schema_field(
    {"type": "object", "additionalProperties": {"type": "string", "enum": Severity.values}}
)
class SeverityMapField(serializers.Field):
    """{"sender's word": "SEV1".."SEV4"}; one flat list of messages when wrong."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Give an object of words to SEV1..SEV4.")
        if len(data) > MAX_SEVERITY_MAP:
            raise serializers.ValidationError(f"At most {MAX_SEVERITY_MAP} entries.")
        for word, severity in data.items():
            if not word or len(word) > 50:
                raise serializers.ValidationError("Words are 1 to 50 characters long.")
            if severity not in Severity.values:
                raise serializers.ValidationError(
                    f"{word!r} maps to {severity!r}; use one of {', '.join(Severity.values)}."
                )
        return dict(data)

    def to_representation(self, value):
        return value


def _managed_service(serializer: serializers.Serializer, service):
    user = serializer.context["request"].user
    if not can_manage_service_alerts(user, service):
        raise serializers.ValidationError(
            f"Only responders of {service.team or 'a team'} may change {service}'s alerts."
        )
    return service


class IntegrationSerializer(serializers.ModelSerializer):
    service = ServiceRefField(help_text="The service's id or name.")
    kind = serializers.ChoiceField(choices=Kind.choices)
    severity_map = SeverityMapField(
        required=False,
        help_text='The sender\'s severity -> SEV1..SEV4, e.g. {"critical": "SEV1"}. Words '
        "not listed use the usual meaning (critical, error, warning, info), then the default.",
    )
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Grafana only: the HMAC secret its contact point signs with.",
    )
    has_secret = serializers.SerializerMethodField()

    class Meta:
        model = Integration
        fields = [
            "id", "service", "kind", "name", "enabled", "default_severity", "severity_map",
            "secret", "has_secret", "auto_resolve", "key_hint", "created_at", "key_rotated_at",
        ]  # fmt: skip
        read_only_fields = ["key_hint", "created_at", "key_rotated_at"]

    def get_has_secret(self, integration: Integration) -> bool:
        return bool(integration.secret)

    def validate_service(self, service):
        if self.instance is not None and service != self.instance.service:
            raise serializers.ValidationError("An integration cannot move to another service.")
        return _managed_service(self, service)

    def validate_kind(self, kind):
        if self.instance is not None and kind != self.instance.kind:
            raise serializers.ValidationError("The kind cannot change; create another one.")
        return kind


class NewIntegrationSerializer(IntegrationSerializer):
    key = serializers.CharField(
        read_only=True, help_text="The 32-character key. Shown this once; only a hash is kept."
    )
    url = serializers.CharField(
        read_only=True,
        help_text="The full URL to give the sender (PagerDuty: the key is the routing_key).",
    )

    class Meta(IntegrationSerializer.Meta):
        fields = [*IntegrationSerializer.Meta.fields, "key", "url"]


class MaintenanceWindowSerializer(serializers.ModelSerializer):
    service = ServiceRefField(help_text="The service's id or name.")
    starts_at = InstantField(required=False, help_text="Default: now.")
    ends_at = InstantField()
    active = serializers.BooleanField(source="is_active", read_only=True)
    created_by = serializers.EmailField(
        source="created_by.email", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = MaintenanceWindow
        fields = ["id", "service", "starts_at", "ends_at", "reason", "active", "created_by"]

    def validate_service(self, service):
        return _managed_service(self, service)

    def validate(self, data):
        starts_at = data.get("starts_at") or timezone.now()
        ends_at = data["ends_at"]
        if ends_at <= starts_at:
            raise serializers.ValidationError({"ends_at": ["ends_at must be after starts_at."]})
        if ends_at - starts_at > MAX_MAINTENANCE:
            raise serializers.ValidationError(
                {"ends_at": [f"A maintenance window lasts at most {MAX_MAINTENANCE.days} days."]}
            )
        if ends_at <= timezone.now():
            raise serializers.ValidationError({"ends_at": ["ends_at is in the past."]})
        data["starts_at"] = starts_at
        return data
