"""REST API for schedules: thin. Access through accounts.permissions; answers from services."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.permissions import get_schedule_for, visible_teams_q
from incidents.api.errors import ErrorSerializer

from . import serializers as s
from . import services
from .models import Schedule

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
READ_ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 404: ErrorSerializer}


@extend_schema_view(
    list=extend_schema(responses={200: s.ScheduleSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(responses={200: s.ScheduleSerializer, **READ_ERRORS}),
    create=extend_schema(
        responses={201: s.ScheduleSerializer, **ERRORS},
        description="Create a schedule with its layers (the last layer listed is on top). "
        "Team responders and admins may.",
    ),
    update=extend_schema(responses={200: s.ScheduleSerializer, **ERRORS}),
    partial_update=extend_schema(
        responses={200: s.ScheduleSerializer, **ERRORS},
        description="Give `layers` to replace every layer; leave it out to keep them.",
    ),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class ScheduleViewSet(viewsets.ModelViewSet):
    """On-call schedules. Team members read; team responders and admins change; to
    everyone else a schedule does not exist (404)."""

    serializer_class = s.ScheduleSerializer
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_fields = ["team"]

    def get_queryset(self):
        return services.with_layers(
            Schedule.objects.filter(visible_teams_q(self.request.user)).select_related("team")
        ).prefetch_related("layers__participants__user")

    def get_object(self) -> Schedule:
        edit = self.request.method not in ("GET", "HEAD", "OPTIONS")
        get_schedule_for(self.request.user, self.kwargs["pk"], edit=edit)
        return super().get_object()

    @extend_schema(
        parameters=[OpenApiParameter("at", str, description="ISO 8601 instant; default now.")],
        responses={200: s.OnCallSerializer, **READ_ERRORS},
        description="Who is on call at `at`: zero or one person.",
    )
    @action(detail=True, methods=["get"])
    def oncall(self, request, pk=None):
        schedule = self.get_object()
        query = s.OnCallQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        at = query.validated_data.get("at") or timezone.now()
        users = services.on_call_for(schedule, at)
        return Response(s.OnCallSerializer({"at": at, "users": users}).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="ISO 8601; default now."),
            OpenApiParameter("end", str, description="ISO 8601; default start + 14 days."),
        ],
        responses={200: s.ShiftsSerializer, **READ_ERRORS},
        description="Final shifts (layers, restrictions and overrides applied; one person's "
        "back-to-back shifts joined) and gaps within [start, end), at most 90 days.",
    )
    @action(detail=True, methods=["get"])
    def shifts(self, request, pk=None):
        schedule = self.get_object()
        query = s.RangeQuerySerializer(data=request.query_params, context={"now": timezone.now()})
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        found = services.final_shifts(schedule, start, end)
        gaps = services.rotation.gaps_between(found, start, end)
        return Response(s.shifts_body(found, gaps))

    @extend_schema(
        request=s.OverrideSerializer,
        responses={201: s.OverrideSerializer, **ERRORS},
        description="Someone covers the schedule from start to end, on top of every layer.",
    )
    @action(detail=True, methods=["post"])
    def overrides(self, request, pk=None):
        schedule = self.get_object()
        body = s.OverrideSerializer(
            data=request.data, context={"schedule": schedule, "request": request}
        )
        body.is_valid(raise_exception=True)
        data = body.validated_data
        override = services.add_override(
            schedule, data["user"], data["start"], data["end"], request.user
        )
        return Response(s.OverrideSerializer(override).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={200: s.CalendarSerializer, **ERRORS},
        description="Give the calendar feed a new secret address; the old one stops working.",
    )
    @action(detail=True, methods=["post"], url_path="revoke-calendar")
    def revoke_calendar(self, request, pk=None):
        schedule = self.get_object()
        schedule.revoke_calendar()
        url = self.get_serializer(schedule).data["ical_url"]
        return Response({"ical_url": url})
