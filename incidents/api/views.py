"""REST API views: thin. Reads go through querysets filtered by accounts.permissions;
every change goes through incidents.lifecycle."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.http import urlencode
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.models import ApiToken, Membership, Team
from accounts.permissions import can_manage_service, get_incident_for, team_roles
from incidents import lifecycle, parsing
from incidents.filters import IncidentFilter
from incidents.models import Incident, Service

from . import serializers as s
from .errors import ConflictSerializer, ErrorSerializer
from .pagination import IncidentPagination

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
ACTION_ERRORS = {**ERRORS, 409: ConflictSerializer}
TIMELINE_LIMIT = 500
# Ids fit a bigint: a longer number is a 404 from the router, not a database error.
ID_REGEX = r"[0-9]{1,18}"


def _valid(serializer_class, request, **context) -> dict:
    serializer = serializer_class(data=request.data, context={"request": request, **context})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def incident_action(request_serializer, response=None, description: str = ""):
    """Schema for a POST action on one incident."""
    return extend_schema(
        request=request_serializer,
        responses={200: response or s.IncidentSerializer, **ACTION_ERRORS},
        description=description,
    )


@extend_schema_view(
    list=extend_schema(responses={200: s.IncidentSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: s.IncidentSerializer, **ERRORS}),
    create=extend_schema(
        request=s.IncidentCreateSerializer,
        responses={201: s.IncidentSerializer, **ERRORS},
        description="Declare an incident. You become its commander unless you name one. "
        "Without `team` it belongs to the one team its `services` belong to; services of "
        "different teams need `team` (400 otherwise).",
    ),
    partial_update=extend_schema(
        request=s.IncidentUpdateSerializer,
        responses={200: s.IncidentSerializer, **ERRORS},
        description="Edit title, summary, labels, services, impact start or privacy.",
    ),
)
class IncidentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.IncidentSerializer
    filterset_class = IncidentFilter
    pagination_class = IncidentPagination
    lookup_field = "ref"
    lookup_value_regex = "[^/]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return Incident.objects.visible_to(self.request.user).for_list()

    def get_object(self) -> Incident:
        edit = self.request.method not in ("GET", "HEAD", "OPTIONS")
        incident = get_incident_for(self.request.user, self.kwargs["ref"], edit=edit)
        self.check_object_permissions(self.request, incident)
        return incident

    def _incident_response(self, incident: Incident, code: int = status.HTTP_200_OK):
        fresh = Incident.objects.for_list().get(pk=incident.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    def create(self, request, *args, **kwargs):
        data = _valid(s.IncidentCreateSerializer, request)
        # The core passes the choice on in the declared event; the paging app acts on it.
        page = data.pop("page", None)
        incident = lifecycle.declare(
            request.user, **data, data={} if page is None else {"page": page}
        )
        return self._incident_response(incident, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        incident = self.get_object()
        data = _valid(s.IncidentUpdateSerializer, request)
        if not data:
            raise ValidationError(
                {"non_field_errors": ["Nothing to change: send at least one editable field."]}
            )
        return self._incident_response(lifecycle.update(incident, request.user, **data))

    @incident_action(
        None,
        description="Acknowledge: you are on it. Stops any paging, whatever the status, and "
        "moves a triggered incident to investigating; you become commander if there is none. "
        "409 when nobody is being paged and the incident is not triggered.",
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, ref=None):
        return self._incident_response(lifecycle.acknowledge(self.get_object(), request.user))

    @incident_action(
        None,
        description="Run the next step of the incident's escalation now. 409 when no "
        "escalation has a step left.",
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request, ref=None):
        incident = self.get_object()
        lifecycle.escalate(incident, request.user)
        return self._incident_response(incident)

    @incident_action(
        s.SnoozeSerializer,
        description="Stop paging for `minutes` (1..240); then the current step pages again. "
        "409 when nobody is being paged.",
    )
    @action(detail=True, methods=["post"])
    def snooze(self, request, ref=None):
        incident = self.get_object()
        data = _valid(s.SnoozeSerializer, request)
        lifecycle.snooze(incident, request.user, data["minutes"])
        return self._incident_response(incident)

    @incident_action(s.StatusSerializer, description="Move the incident to another status.")
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, ref=None):
        incident = self.get_object()
        data = _valid(s.StatusSerializer, request)
        incident = lifecycle.set_status(incident, request.user, data["status"], data["body"])
        return self._incident_response(incident)

    @incident_action(s.SeveritySerializer)
    @action(detail=True, methods=["post"], url_path="severity")
    def set_severity(self, request, ref=None):
        incident = self.get_object()
        data = _valid(s.SeveritySerializer, request)
        incident = lifecycle.set_severity(incident, request.user, data["severity"])
        return self._incident_response(incident)

    @incident_action(
        s.RoleSerializer,
        description="Give someone a role. Commander, communications lead and scribe are held "
        "by one person at a time: assigning one hands it over.",
    )
    @action(detail=True, methods=["post"])
    def roles(self, request, ref=None):
        incident = self.get_object()
        data = _valid(s.RoleSerializer, request, incident=incident)
        incident = lifecycle.assign_role(incident, request.user, data["role"], data["user"])
        return self._incident_response(incident)

    @incident_action(s.RoleSerializer, description="Take a role away from someone.")
    @action(detail=True, methods=["post"])
    def unassign(self, request, ref=None):
        incident = self.get_object()
        data = _valid(s.RoleSerializer, request, incident=incident)
        incident = lifecycle.unassign_role(incident, request.user, data["role"], data["user"])
        return self._incident_response(incident)

    @extend_schema(
        request=s.NoteSerializer,
        responses={201: s.TimelineEventSerializer, **ACTION_ERRORS},
        description="Add a note to the timeline (Markdown).",
    )
    @action(detail=True, methods=["post"])
    def notes(self, request, ref=None):
        incident = self.get_object()
        data = _valid(s.NoteSerializer, request)
        event = lifecycle.add_note(
            incident, request.user, data["body"], occurred_at=data.get("occurred_at")
        )
        return Response(s.TimelineEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.StrikeSerializer,
        responses={200: s.TimelineEventSerializer, **ACTION_ERRORS},
        description="Strike a note through. It stays in the timeline, marked.",
    )
    @action(detail=True, methods=["post"])
    def strike(self, request, ref=None):
        incident = self.get_object()
        data = _valid(s.StrikeSerializer, request)
        event = lifecycle.strike_note(incident, request.user, data["seq"], data["reason"])
        return Response(s.TimelineEventSerializer(event).data)

    @incident_action(s.CommentSerializer, description="Resolve the incident.")
    @action(detail=True, methods=["post"])
    def resolve(self, request, ref=None):
        incident = self.get_object()
        body = _valid(s.CommentSerializer, request)["body"]
        return self._incident_response(lifecycle.resolve(incident, request.user, body))

    @incident_action(s.CommentSerializer, description="Reopen a resolved or declined incident.")
    @action(detail=True, methods=["post"])
    def reopen(self, request, ref=None):
        incident = self.get_object()
        body = _valid(s.CommentSerializer, request)["body"]
        return self._incident_response(lifecycle.reopen(incident, request.user, body))

    @incident_action(s.CommentSerializer, description="Close the incident as a false alarm.")
    @action(detail=True, methods=["post"])
    def decline(self, request, ref=None):
        incident = self.get_object()
        body = _valid(s.CommentSerializer, request)["body"]
        return self._incident_response(lifecycle.decline(incident, request.user, body))

    @incident_action(s.MergeSerializer, description="Close as a duplicate of another incident.")
    @action(detail=True, methods=["post"])
    def merge(self, request, ref=None):
        incident = self.get_object()
        into_ref = _valid(s.MergeSerializer, request)["into"]
        into = get_incident_for(request.user, into_ref, edit=True)
        return self._incident_response(lifecycle.merge(incident, request.user, into))

    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="Only events with a larger seq."),
            OpenApiParameter("limit", int, description=f"At most this many (≤ {TIMELINE_LIMIT})."),
        ],
        responses={200: s.TimelinePageSerializer, **ERRORS},
        description="Timeline events in seq order. Follow `next` for more.",
    )
    @action(detail=True, methods=["get"])
    def timeline(self, request, ref=None):
        incident = self.get_object()
        after = _int_param(request, "after", 0, 0, 2**31 - 1)
        limit = _int_param(request, "limit", TIMELINE_LIMIT, 1, TIMELINE_LIMIT)
        events = list(
            incident.events.filter(seq__gt=after)
            .select_related("author", "struck_by")
            .order_by("seq")[: limit + 1]
        )
        next_url = None
        if len(events) > limit:
            events = events[:limit]
            query = urlencode({"after": events[-1].seq, "limit": limit})
            next_url = request.build_absolute_uri(f"{request.path}?{query}")
        return Response(
            {
                "results": s.TimelineEventSerializer(events, many=True).data,
                "next": next_url,
                "last_seq": incident.last_seq,
            }
        )


def _int_param(request, name: str, default: int, low: int, high: int) -> int:
    try:
        return parsing.parse_int(request.query_params.get(name), name, default, low, high)
    except parsing.BadValue as exc:
        raise ValidationError({name: [exc.message]}) from None


@extend_schema_view(
    list=extend_schema(responses={200: s.ServiceSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: s.ServiceSerializer, **ERRORS}),
    create=extend_schema(
        request=s.ServiceWriteSerializer,
        responses={201: s.ServiceSerializer, **ERRORS},
        description="Add a service to a team you are a responder of.",
    ),
    partial_update=extend_schema(
        request=s.ServiceWriteSerializer,
        responses={200: s.ServiceSerializer, **ERRORS},
        description="Change a service of a team you are a responder of. Services without "
        "a team (from older versions) can be changed by staff only.",
    ),
)
class ServiceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Services are the things that break. Each belongs to a team; the team's responders
    and admins (and staff) add and change them (accounts.permissions.can_manage_service)."""

    serializer_class = s.ServiceSerializer
    queryset = Service.objects.select_related("team")
    lookup_value_regex = ID_REGEX
    filterset_fields = ["team"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request, *args, **kwargs):
        writer = s.ServiceWriteSerializer(data=request.data, context={"request": request})
        writer.is_valid(raise_exception=True)
        service = writer.save()
        return Response(s.ServiceSerializer(service).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        service = self.get_object()
        if not can_manage_service(request.user, service.team_id):
            raise PermissionDenied(
                f"Only responders of {service.team} may change {service}."
                if service.team_id
                else f"{service} has no team: only staff may change it (and give it one)."
            )
        writer = s.ServiceWriteSerializer(
            service, data=request.data, partial=True, context={"request": request}
        )
        writer.is_valid(raise_exception=True)
        return Response(s.ServiceSerializer(writer.save()).data)


@extend_schema_view(
    list=extend_schema(responses={200: s.TeamSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: s.TeamSerializer, **ERRORS}),
)
class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    """Teams, and the members of the teams you are in (staff see every team's members):
    people are shown only to those who share a team with them."""

    serializer_class = s.TeamSerializer
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        user = self.request.user
        memberships = Membership.objects.select_related("user").order_by("user__email")
        if not user.is_staff:
            memberships = memberships.filter(team_id__in=list(team_roles(user)))
        return Team.objects.order_by("name").prefetch_related(Prefetch("memberships", memberships))


@extend_schema_view(
    list=extend_schema(responses={200: s.ApiTokenSerializer(many=True), **ERRORS}),
    create=extend_schema(
        request=s.ApiTokenSerializer,
        responses={201: s.NewApiTokenSerializer, **ERRORS},
        description="Create a personal token. Its value is in `token`, shown only this once.",
    ),
    destroy=extend_schema(responses={204: None, **ERRORS}, description="Revoke a token."),
)
class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your own personal API tokens."""

    serializer_class = s.ApiTokenSerializer
    pagination_class = None
    lookup_value_regex = ID_REGEX

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user)

    def create(self, request, *args, **kwargs):
        name = _valid(s.ApiTokenSerializer, request)["name"]
        token, raw = ApiToken.issue(request.user, name)
        data = s.NewApiTokenSerializer(token).data
        data["token"] = raw
        return Response(data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        get_object_or_404(self.get_queryset(), pk=kwargs["pk"]).revoke()
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    methods=["GET"], responses={200: s.MeSerializer, **ERRORS}, description="Who you are."
)
@extend_schema(
    methods=["PATCH"],
    request=s.MeSerializer,
    responses={200: s.MeSerializer, **ERRORS},
    description="Change your display name or time zone, or link your chat workspace account: "
    '`{"chat_user_id": "U0123"}` answers with a one-time code in `chat_link` (shown only '
    "here) to type in the workspace as `/incident link <code>` before `chat_link.expires_at`; "
    "the id is linked once the code arrives from that member. Empty or null unlinks at once.",
)
@api_view(["GET", "PATCH"])
def me(request):
    if request.method == "PATCH":
        serializer = s.MeSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)  # this one may carry a new chat link code
    return Response(s.MeSerializer(request.user).data)
