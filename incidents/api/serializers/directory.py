"""Services, teams, yourself and your API tokens, as the API shows and takes them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import ApiToken, Membership, Team
from accounts.permissions import can_manage_service
from incidents.api.chat_link import ChatLinkSerializer, ChatUserIdField, chat_identities
from incidents.models import Service

from .fields import (
    ModelSerializer,
    User,
    UserSummarySerializer,
)


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
