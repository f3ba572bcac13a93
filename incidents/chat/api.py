"""`/api/v1/chat-channels/`: a team's admins add and change its chat channels; its members
read them. The webhook URL is write-only (a secret)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from accounts.models import Role, Team
from accounts.permissions import can_act_for_team
from incidents.api.errors import ErrorSerializer
from incidents.models import Service

from .models import ChatChannel, ChatEvent

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class ChatChannelSerializer(serializers.ModelSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.all(), allow_null=True, required=False
    )
    webhook_url = serializers.URLField(
        max_length=500, write_only=True, help_text="A secret: never shown again."
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=ChatEvent.choices),
        required=False,
        help_text="What to post; all of them unless given.",
    )
    state = serializers.ChoiceField(
        choices=ChatChannel.State.choices,
        required=False,
        help_text="Set `active` to enable a channel the workspace refused, once fixed.",
    )

    class Meta:
        model = ChatChannel
        fields = [
            "id", "team", "service", "name", "webhook_url", "events", "slack_channel_id",
            "state", "disabled_reason", "disabled_at", "webhook_hint", "created_at",
        ]  # fmt: skip
        read_only_fields = ["disabled_reason", "disabled_at", "webhook_hint", "created_at"]
        extra_kwargs = {"name": {"required": False, "default": "#incidents"}}

    def validate_team(self, team: Team) -> Team:
        if self.instance is not None and team.pk != self.instance.team_id:
            raise serializers.ValidationError("A channel stays with its team.")
        if not can_act_for_team(self.context["request"].user, team.pk, Role.ADMIN):
            raise PermissionDenied(f"Only admins of {team} may add its chat channels.")
        return team

    def validate(self, data: dict) -> dict:
        team = data.get("team") or getattr(self.instance, "team", None)
        service = data.get("service")
        if service is not None and team is not None and service.team_id != team.pk:
            raise serializers.ValidationError({"service": f"{service} is not a service of {team}."})
        if data.get("state") == ChatChannel.State.ACTIVE:
            data.update(disabled_reason="", disabled_at=None)
        return data


@extend_schema_view(
    list=extend_schema(responses={200: ChatChannelSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: ChatChannelSerializer, **ERRORS}),
    create=extend_schema(responses={201: ChatChannelSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: ChatChannelSerializer, **ERRORS}),
)
class ChatChannelViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Slack-style incoming webhooks Keel posts incident updates to, per team (optionally
    per service)."""

    serializer_class = ChatChannelSerializer
    lookup_value_regex = "[0-9]{1,18}"
    http_method_names = ["get", "post", "patch", "head", "options"]

    queryset = ChatChannel.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        channels = ChatChannel.objects.select_related("team").order_by("pk")
        user = self.request.user
        if not user.is_authenticated:  # the schema generator asks as nobody
            return channels.none()
        return channels if user.is_staff else channels.filter(team__memberships__user=user)

    def perform_create(self, serializer) -> None:
        serializer.save(created_by=self.request.user)

    def perform_update(self, serializer) -> None:
        channel = serializer.instance
        if not can_act_for_team(self.request.user, channel.team_id, Role.ADMIN):
            raise PermissionDenied(f"Only admins of {channel.team} may change its chat channels.")
        serializer.save()
