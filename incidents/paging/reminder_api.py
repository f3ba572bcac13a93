"""REST API for a team's reminder intervals: `/api/v1/reminder-intervals/{team id}/`.
Every team has intervals (its own, or the defaults), so every team the person belongs to
is listed; the team's admins change them, its other members read them (404 for others)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.models import Role, Team
from accounts.permissions import can_act_for_team, visible_teams_q
from incidents.api.errors import ErrorSerializer

from . import intervals

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


def minutes_field(severity: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=intervals.SHORTEST,
        max_value=intervals.LONGEST,
        allow_null=True,
        required=False,
        help_text=f"Minutes without a note or status change before the commander of an open "
        f"{severity} incident is reminded; null: never.",
    )


class ReminderIntervalsSerializer(serializers.Serializer):
    team = serializers.IntegerField(read_only=True)
    sev1 = minutes_field("SEV1")
    sev2 = minutes_field("SEV2")
    sev3 = minutes_field("SEV3")
    sev4 = minutes_field("SEV4")
    custom = serializers.BooleanField(
        read_only=True, help_text="False while the team uses the defaults."
    )

    def to_representation(self, team: Team) -> dict:
        minutes = intervals.for_team(team.pk)
        return {
            "team": team.pk,
            **{sev.lower(): minutes[sev] for sev in intervals.SEVERITIES},
            "custom": hasattr(team, "reminder_intervals"),
        }


@extend_schema_view(
    list=extend_schema(responses={200: ReminderIntervalsSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: ReminderIntervalsSerializer, **ERRORS}),
    update=extend_schema(
        responses={200: ReminderIntervalsSerializer, **ERRORS},
        description="Set all four intervals (a severity left out or null: no reminder).",
    ),
    partial_update=extend_schema(
        responses={200: ReminderIntervalsSerializer, **ERRORS},
        description="Change some intervals; the others keep their current value.",
    ),
)
class ReminderIntervalsViewSet(viewsets.GenericViewSet):
    """Status-update reminder intervals, one set per team (lookup: the team's id)."""

    serializer_class = ReminderIntervalsSerializer
    lookup_value_regex = r"[0-9]{1,18}"
    queryset = Team.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        teams = Team.objects.filter(visible_teams_q(self.request.user, field="pk"))
        return teams.select_related("reminder_intervals").order_by("name")

    def get_object(self) -> Team:
        team = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if team is None:
            raise Http404("No such team.")
        return team

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    def update(self, request, pk=None, partial: bool = False):
        team = self.get_object()
        if not can_act_for_team(request.user, team.pk, Role.ADMIN):
            raise PermissionDenied(f"Only admins of {team} may change its reminder intervals.")
        body = self.get_serializer(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        # PUT: a severity left out has no reminder; PATCH: it keeps its current value.
        kept = intervals.for_team(team.pk) if partial else dict.fromkeys(intervals.SEVERITIES)
        given = {sev: body.validated_data.get(sev.lower(), kept[sev]) for sev in kept}
        intervals.save(team, given)
        team = self.get_queryset().get(pk=team.pk)
        return Response(self.get_serializer(team).data)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)
