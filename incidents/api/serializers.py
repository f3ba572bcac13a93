"""API shapes. Read serializers describe incidents; write serializers only validate input,
which the views hand to incidents/lifecycle.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import ApiToken, Membership, Team
from accounts.permissions import (
    can_manage_service,
    can_view,
    may_name_elsewhere,
    people_visible_to,
)
from incidents import lifecycle, parsing
from incidents.api.chat_link import ChatLinkSerializer, ChatUserIdField, chat_identities
from incidents.markdown import render_markdown
from incidents.models import (
    Incident,
    IncidentRole,
    RoleAssignment,
    Service,
    Severity,
    Status,
    TimelineEvent,
)

User = get_user_model()


class TextField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of quietly making them text."""

    default_error_messages = {"not_text": "Must be text (a JSON string)."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


class DateTimeField(serializers.DateTimeField):
    """Times shown in the requester's zone, or in UTC when that zone cannot express them
    (year 1 west of UTC): a time already stored must never make a read fail."""

    def to_representation(self, value):
        try:
            return super().to_representation(value)
        except serializers.ValidationError:
            return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class InstantField(DateTimeField):
    """An instant inside Keel's one window (parsing.check_instant): the same bound for
    every entry point, so no page can store a time the API would refuse."""

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        try:
            return parsing.check_instant(parsed, "The time")
        except parsing.BadValue as problem:
            raise serializers.ValidationError(problem.message) from None


class BoundedDateField(serializers.DateField):
    """A calendar date inside Keel's one window (parsing.check_date)."""

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        try:
            return parsing.check_date(parsed, "The date")
        except parsing.BadValue as problem:
            raise serializers.ValidationError(problem.message) from None


def require_whole(attrs: dict, serializer: serializers.Serializer) -> dict:
    """A nested item (a layer, a step) is always given whole: under PATCH, DRF skips its
    missing fields (and their defaults) as if the item were being patched too, and the
    code that stores it then fails on the missing key. Names what is missing instead."""
    missing = {}
    for name, field in serializer.fields.items():
        if field.read_only or name in attrs:
            continue
        if field.required:
            missing[name] = ["This field is required."]
        elif field.default is not serializers.empty:
            # Not field.get_default(): under PATCH it raises SkipField, which would drop
            # the whole list the item is in, silently.
            attrs[name] = field.default() if callable(field.default) else field.default
    if missing:
        raise serializers.ValidationError(missing)
    return attrs


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: TextField,
        models.TextField: TextField,
        models.DateTimeField: InstantField,
        models.DateField: BoundedDateField,
    }


class UserSummarySerializer(ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "name"]


@extend_schema_field(OpenApiTypes.STR)
class UserRefField(serializers.Field):
    """A person, by email address or numeric id, among the people the requester may see
    (accounts.permissions.people_visible_to): someone outside their teams is unknown.
    An import passes `people` in the context: the people it may name, inactive ones it
    created among them."""

    def to_internal_value(self, data):
        request = self.context.get("request")
        incident = self.context.get("incident")
        people = self.context.get("people")
        if people is None:
            people = people_visible_to(request.user, incident) if request else User.objects.none()
        try:
            return parsing.find_person(data, people)
        except parsing.BadValue as exc:
            raise serializers.ValidationError(exc.message) from None

    def to_representation(self, value):
        return value.email


@extend_schema_field(OpenApiTypes.STR)
class ServiceRefField(serializers.Field):
    """A service, by numeric id or by name."""

    def to_internal_value(self, data):
        try:
            return parsing.find_service(data)
        except parsing.BadValue as exc:
            raise serializers.ValidationError(exc.message) from None

    def to_representation(self, value):
        return value.pk


@dataclass(frozen=True)
class ServiceExtension:
    """An optional field a capability app adds to the services API (paging adds
    `escalation_policy`). The core never imports the app: the app registers one of these in
    its AppConfig.ready(), and the service serializers below ask the registry."""

    name: str
    field: Callable[[], serializers.Field]  # a fresh write field
    read: Callable[[Service], Any]  # the value shown for a service
    check: Callable[[Any, Team | None], None]  # raise ValidationError for a bad value
    save: Callable[[Service, Any], None]  # store the value once the service is saved


SERVICE_EXTENSIONS: dict[str, ServiceExtension] = {}


def register_service_extension(extension: ServiceExtension) -> None:
    SERVICE_EXTENSIONS[extension.name] = extension


class ServiceSerializer(ModelSerializer):
    """A service as read. `team` is null only for services from before teams were
    required; only staff may change those."""

    team = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Service
        fields = ["id", "name", "description", "team", "created_at"]
        read_only_fields = ["id", "team", "created_at"]

    def to_representation(self, service):
        data = super().to_representation(service)
        for extension in SERVICE_EXTENSIONS.values():
            data[extension.name] = extension.read(service)
        return data


class ServiceWriteSerializer(ModelSerializer):
    """Adding or changing a service: it belongs to a team you are a responder of."""

    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), help_text="The team that owns it (you respond for it)."
    )

    class Meta:
        model = Service
        fields = ["name", "description", "team"]

    def validate_team(self, team):
        if not can_manage_service(self.context["request"].user, team.pk):
            raise serializers.ValidationError(
                f"You are not a responder of {team}: only its responders may give it services."
            )
        return team

    def get_fields(self):
        fields = super().get_fields()
        for extension in SERVICE_EXTENSIONS.values():
            fields[extension.name] = extension.field()
        return fields

    def validate(self, attrs):
        team = attrs.get("team") or getattr(self.instance, "team", None)
        for name, extension in SERVICE_EXTENSIONS.items():
            if name in attrs:
                extension.check(attrs[name], team)
        return attrs

    def save(self, **kwargs):
        extras = {name: self.validated_data.pop(name) for name in list(self.validated_data)
                  if name in SERVICE_EXTENSIONS}  # fmt: skip
        with transaction.atomic():
            service = super().save(**kwargs)
            for name, value in extras.items():
                SERVICE_EXTENSIONS[name].save(service, value)
        return service


class ServiceBriefSerializer(ModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "name"]


class MembershipSerializer(ModelSerializer):
    user = UserSummarySerializer()

    class Meta:
        model = Membership
        fields = ["user", "role"]


class TeamSerializer(ModelSerializer):
    members = MembershipSerializer(
        source="memberships",
        many=True,
        read_only=True,
        help_text="The team's people and their roles, shown to its own members and to staff; "
        "empty for teams you are not in.",
    )

    class Meta:
        model = Team
        fields = ["id", "name", "slug", "description", "members"]


class TeamBriefSerializer(ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "slug"]


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


class MeSerializer(ModelSerializer):
    teams = serializers.SerializerMethodField()
    # Kept by the chat app (incidents/chat, ChatIdentity); named, not imported, so the core
    # does not depend on it.
    chat_user_id = ChatUserIdField(
        help_text="Your chat workspace member id (Slack: U0123…), once proven from the "
        "workspace with /incident link <code>. Setting it starts a link (the code is in "
        "chat_link); empty or null unlinks."
    )
    chat_link = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "name", "display_name", "time_zone", "is_staff", "teams",
                  "chat_user_id", "chat_link"]  # fmt: skip
        read_only_fields = ["id", "email", "name", "is_staff", "teams"]

    def update(self, user, validated_data):
        chat_user_id = validated_data.pop("chat_user_id", None)
        user = super().update(user, validated_data)
        if chat_user_id:
            self.new_code = chat_identities().start_link(user, chat_user_id)
        elif chat_user_id is not None:
            chat_identities().unlink(user)
        return user

    @extend_schema_field(ChatLinkSerializer)
    def get_chat_link(self, user) -> dict:
        link = chat_identities().state(user)
        new = getattr(self, "new_code", None)
        if new is not None:
            link.update(code=new.code, command=new.command)
        return ChatLinkSerializer(link, context=self.context).data

    def get_teams(self, user) -> list[dict]:
        return [
            {"id": m.team_id, "name": m.team.name, "slug": m.team.slug, "role": m.role}
            for m in user.memberships.select_related("team")
        ]


class ApiTokenSerializer(ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at", "revoked_at"]


class NewApiTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown only this once.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
