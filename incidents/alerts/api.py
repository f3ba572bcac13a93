"""REST API: integrations (create, edit, rotate the key) and maintenance windows.
Thin viewsets; every access decision comes from accounts.permissions."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.permissions import can_manage_service_alerts, service_alerts_q
from incidents.api.errors import ErrorSerializer

from . import serializers as s
from .models import Integration, MaintenanceWindow

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
ID_REGEX = r"[0-9]{1,18}"


def _may_manage(request, service) -> None:
    if not can_manage_service_alerts(request.user, service):
        raise PermissionDenied(f"Only responders of {service.team or 'a team'} may do that.")


@extend_schema_view(
    list=extend_schema(
        responses={200: s.IntegrationSerializer(many=True), **ERRORS},
        description="Integrations of the services whose team you belong to.",
    ),
    retrieve=extend_schema(responses={200: s.IntegrationSerializer, **ERRORS}),
    create=extend_schema(
        request=s.IntegrationSerializer,
        responses={201: s.NewIntegrationSerializer, **ERRORS},
        description="Create an integration. The answer holds its `key` and full hook `url`, "
        "shown this once.",
    ),
    partial_update=extend_schema(
        request=s.IntegrationSerializer,
        responses={200: s.IntegrationSerializer, **ERRORS},
        description="Rename, enable or disable, change severities, secret or auto-resolve.",
    ),
)
class IntegrationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.IntegrationSerializer
    lookup_value_regex = ID_REGEX
    filterset_fields = ["service", "kind", "enabled"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return Integration.objects.filter(service_alerts_q(self.request.user)).select_related(
            "service", "service__team"
        )

    def _shown_once(self, integration: Integration, raw_key: str) -> dict:
        data = s.NewIntegrationSerializer(integration, context=self.get_serializer_context()).data
        return {**data, "key": raw_key, "url": integration.hook_url(raw_key)}

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        integration = Integration(**serializer.validated_data, created_by=request.user)
        raw_key = integration.new_key()
        integration.save()
        return Response(self._shown_once(integration, raw_key), status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        _may_manage(self.request, serializer.instance.service)
        serializer.save()

    @extend_schema(
        request=None,
        responses={200: s.NewIntegrationSerializer, **ERRORS},
        description="Give the integration a new key; the old one stops working at once. "
        "The answer holds the new `key` and `url`, shown this once.",
    )
    @action(detail=True, methods=["post"])
    def rotate(self, request, pk=None):
        integration = self.get_object()
        _may_manage(request, integration.service)
        raw_key = integration.new_key()
        integration.save(update_fields=["key_hash", "key_hint", "key_rotated_at"])
        return Response(self._shown_once(integration, raw_key))


@extend_schema_view(
    list=extend_schema(responses={200: s.MaintenanceWindowSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: s.MaintenanceWindowSerializer, **ERRORS}),
    create=extend_schema(
        request=s.MaintenanceWindowSerializer,
        responses={201: s.MaintenanceWindowSerializer, **ERRORS},
        description="Put a service in maintenance: its alerts are stored and counted but open "
        "no incident until `ends_at`.",
    ),
)
class MaintenanceWindowViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.MaintenanceWindowSerializer
    lookup_value_regex = ID_REGEX
    filterset_fields = ["service"]

    def get_queryset(self):
        return MaintenanceWindow.objects.filter(service_alerts_q(self.request.user)).select_related(
            "service", "service__team", "created_by"
        )

    def perform_create(self, serializer):
        serializer.save(created_by=self.request.user)

    @extend_schema(
        request=None,
        responses={200: s.MaintenanceWindowSerializer, **ERRORS},
        description="End the maintenance now (a window not yet started is cut to nothing).",
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        window = self.get_object()
        _may_manage(request, window.service)
        now = timezone.now()
        if window.ends_at > now:
            window.ends_at = max(now, window.starts_at)
            window.save(update_fields=["ends_at"])
        return Response(self.get_serializer(window).data)
