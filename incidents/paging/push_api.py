"""REST API for Web Push devices (DESIGN.md, Contracts: Push): your own only. The browser's
PushSubscription.toJSON() ({"endpoint", "keys": {"p256dh", "auth"}}) plus a name is what
`POST /api/v1/push-subscriptions/` takes; DELETE removes the device."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from incidents.api.errors import ErrorSerializer
from incidents.api.serializers import DateTimeField, TextField

from . import devices
from .models import PushSubscription
from .providers import webpush

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
DEFAULT_NAME = "This device"


class PushKeysSerializer(serializers.Serializer):
    p256dh = TextField(max_length=100, help_text="The browser's P-256 public key, base64url.")
    auth = TextField(max_length=50, help_text="Its 16-byte authentication secret, base64url.")


class PushSubscriptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = TextField(max_length=100, required=False, help_text="Which device this is.")
    endpoint = TextField(max_length=500, help_text="The push service's URL for this browser.")
    keys = PushKeysSerializer(write_only=True)
    contact_method = serializers.IntegerField(
        source="contact_method_id", read_only=True,
        help_text="The contact method it pages as (rules: /api/v1/contact-methods/).",
    )  # fmt: skip
    created_at = DateTimeField(read_only=True)

    def validate_endpoint(self, endpoint: str) -> str:
        try:
            serializers.URLField().run_validation(endpoint)
        except serializers.ValidationError:
            endpoint = ""
        if not endpoint.startswith(("https://", "http://")):
            raise serializers.ValidationError("Give the push service's http(s) URL.")
        return endpoint

    def validate_name(self, name: str) -> str:
        return name.strip() or DEFAULT_NAME

    def validate_keys(self, keys: dict) -> dict:
        try:
            webpush.check_keys(keys["p256dh"], keys["auth"])
        except webpush.BadKeys as exc:
            raise serializers.ValidationError(str(exc)) from None
        return keys


@extend_schema_view(
    list=extend_schema(responses={200: PushSubscriptionSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: PushSubscriptionSerializer, **ERRORS}),
    create=extend_schema(
        responses={201: PushSubscriptionSerializer, **ERRORS},
        description="Page this browser by Web Push. The same endpoint again updates it.",
    ),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class PushSubscriptionViewSet(viewsets.GenericViewSet):
    """Your own Web Push devices."""

    serializer_class = PushSubscriptionSerializer
    pagination_class = None  # a person's few devices, all at once
    lookup_value_regex = r"[0-9]{1,18}"
    queryset = PushSubscription.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        user = self.request.user
        if not user.is_authenticated:
            return PushSubscription.objects.none()
        return PushSubscription.objects.filter(user=user).order_by("pk")

    def list(self, request):
        return Response(self.get_serializer(self.get_queryset(), many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        device = devices.subscribe(
            request.user, data["endpoint"], data["keys"]["p256dh"], data["keys"]["auth"],
            data.get("name") or DEFAULT_NAME,
        )  # fmt: skip
        return Response(self.get_serializer(device).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        with transaction.atomic():
            devices.remove(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
