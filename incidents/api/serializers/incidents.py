"""Incidents, their actions and their timeline, as the API shows and takes them."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Team
from accounts.permissions import (
    can_view,
    may_name_elsewhere,
)
from incidents import lifecycle, parsing
from incidents.markdown import render_markdown
from incidents.models import (
    Incident,
    IncidentRole,
    RoleAssignment,
    Severity,
    Status,
    TimelineEvent,
)

from .directory import (
    ServiceBriefSerializer,
    TeamBriefSerializer,
)
from .fields import (
    DateTimeField,
    ModelSerializer,
    ServiceRefField,
    TextField,
    UserRefField,
    UserSummarySerializer,
)


class RoleAssignmentSerializer(ModelSerializer):
    user = UserSummarySerializer()

    class Meta:
        model = RoleAssignment
        fields = ["role", "user", "assigned_at"]


class MetricsSerializer(serializers.Serializer):
    time_to_acknowledge = serializers.FloatField(allow_null=True, help_text="Seconds.")
    time_to_mitigate = serializers.FloatField(allow_null=True, help_text="Seconds.")
    time_to_resolve = serializers.FloatField(allow_null=True, help_text="Seconds.")


class IncidentSerializer(ModelSerializer):
    ref = serializers.CharField(read_only=True)
    team = TeamBriefSerializer(read_only=True, allow_null=True)
    services = ServiceBriefSerializer(source="service_list", many=True, read_only=True)
    roles = RoleAssignmentSerializer(source="role_list", many=True, read_only=True)
    declared_by = UserSummarySerializer(
        read_only=True, allow_null=True, help_text="Null when the system declared it."
    )
    merged_into = serializers.SerializerMethodField()
    allowed_moves = serializers.SerializerMethodField()
    metrics = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "ref", "title", "summary", "severity", "status", "private", "team", "services",
            "labels", "roles", "declared_by", "merged_into", "allowed_moves", "metrics",
            "impact_started_at", "detected_at", "acknowledged_at", "mitigated_at",
            "resolved_at", "created_at", "updated_at", "last_seq", "url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_merged_into(self, incident) -> str | None:
        """The kept incident's ref, for those who may see it (a private one stays hidden)."""
        if not incident.merged_into_id:
            return None
        target = incident.merged_into
        request = self.context.get("request")
        if may_name_elsewhere(target) or (request and can_view(request.user, target)):
            return target.ref
        return None

    def get_allowed_moves(self, incident) -> list[str]:
        return lifecycle.ALLOWED_MOVES[incident.status]

    @extend_schema_field(MetricsSerializer)
    def get_metrics(self, incident) -> dict:
        def seconds(delta):
            return delta.total_seconds() if delta is not None else None

        return {
            "time_to_acknowledge": seconds(incident.time_to_acknowledge),
            "time_to_mitigate": seconds(incident.time_to_mitigate),
            "time_to_resolve": seconds(incident.time_to_resolve),
        }

    def get_url(self, incident) -> str:
        # Built from one prefix rather than reverse() per row: lists serialise 50 at a time.
        if "url_prefix" not in self.context:
            request = self.context.get("request")
            prefix = reverse("incidents:list")
            self.context["url_prefix"] = request.build_absolute_uri(prefix) if request else prefix
        return f"{self.context['url_prefix']}{incident.ref}/"


class LabelsField(serializers.DictField):
    child = TextField(max_length=lifecycle.MAX_LABEL_LENGTH, allow_blank=True)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if len(value) > lifecycle.MAX_LABELS:
            raise serializers.ValidationError(f"At most {lifecycle.MAX_LABELS} labels.")
        for key in value:
            try:
                parsing.storable_text(key, "A label name", 100)
            except parsing.BadValue as exc:
                raise serializers.ValidationError(exc.message) from None
            if not key:
                raise serializers.ValidationError("Label names must be 1 to 100 characters.")
        return value


class IncidentCreateSerializer(serializers.Serializer):
    title = TextField(max_length=lifecycle.MAX_TITLE)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.SEV3)
    summary = TextField(
        max_length=lifecycle.MAX_SUMMARY, allow_blank=True, required=False, default=""
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        allow_null=True,
        required=False,
        default=None,
        help_text="The team the incident belongs to (its chat channel, who sees a private "
        "one). Left out or null: the team of `services` when they all belong to one team "
        "(services without a team do not count); services of different teams are refused "
        "with a 400 asking for `team`; no services (or none with a team): no team.",
    )
    services = serializers.ListField(
        child=ServiceRefField(),
        required=False,
        max_length=50,
        help_text="The affected services, by id or name.",
    )
    private = serializers.BooleanField(required=False, default=False)
    labels = LabelsField(required=False)
    impact_started_at = DateTimeField(required=False, allow_null=True)
    commander = UserRefField(required=False, allow_null=True)
    page = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Page through the services' escalation policy. Default: yes for SEV1 and "
        "SEV2 when a service has a policy.",
    )


class IncidentUpdateSerializer(serializers.Serializer):
    title = TextField(max_length=lifecycle.MAX_TITLE, required=False)
    summary = TextField(max_length=lifecycle.MAX_SUMMARY, allow_blank=True, required=False)
    services = serializers.ListField(child=ServiceRefField(), required=False, max_length=50)
    private = serializers.BooleanField(required=False)
    labels = LabelsField(required=False)
    impact_started_at = DateTimeField(required=False)


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    body = TextField(
        max_length=lifecycle.MAX_NOTE,
        allow_blank=True,
        required=False,
        default="",
        help_text="Why, in a sentence (Markdown). Shown in the timeline.",
    )


class CommentSerializer(serializers.Serializer):
    body = TextField(max_length=lifecycle.MAX_NOTE, allow_blank=True, required=False, default="")


class SnoozeSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(
        min_value=lifecycle.SNOOZE_MINUTES[0],
        max_value=lifecycle.SNOOZE_MINUTES[1],
        help_text="How long to stop paging; then the current step pages again.",
    )


class SeveritySerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices)


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=IncidentRole.choices)
    user = UserRefField(help_text="Email address or user id.")


class NoteSerializer(serializers.Serializer):
    body = TextField(max_length=lifecycle.MAX_NOTE, help_text="Markdown.")
    occurred_at = DateTimeField(
        required=False, allow_null=True, help_text="Back-date the note to when it happened."
    )


class StrikeSerializer(serializers.Serializer):
    seq = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    reason = TextField(max_length=500, allow_blank=True, required=False, default="")


class MergeSerializer(serializers.Serializer):
    into = TextField(max_length=20, help_text="The ref of the incident to keep.")


class TimelineEventSerializer(ModelSerializer):
    author = UserSummarySerializer(
        read_only=True, allow_null=True, help_text="Null for the system (alerts, tasks)."
    )
    struck_by = UserSummarySerializer(read_only=True, allow_null=True)
    body_html = serializers.SerializerMethodField()

    class Meta:
        model = TimelineEvent
        fields = [
            "seq", "kind", "occurred_at", "created_at", "author", "body", "body_html", "data",
            "struck_at", "struck_by",
        ]  # fmt: skip
        read_only_fields = fields

    def get_body_html(self, event) -> str:
        return render_markdown(event.body)


class TimelinePageSerializer(serializers.Serializer):
    results = TimelineEventSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    last_seq = serializers.IntegerField()
