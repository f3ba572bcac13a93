"""REST API for paging: thin. Contact methods are your own; escalation policies are read by
the team's members and changed by its responders and admins (404 for everyone else)."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from accounts.models import Role
from accounts.permissions import (
    can_act_for_team,
    can_edit_policies,
    get_incident_for,
    visible_teams_q,
)
from incidents.api.errors import ErrorSerializer

from . import delivery, manual, phone
from . import serializers as s
from .models import ContactMethod, EscalationPolicy

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


@extend_schema_view(
    list=extend_schema(responses={200: s.ContactMethodSerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: s.ContactMethodSerializer, **ERRORS}),
    create=extend_schema(
        responses={201: s.ContactMethodSerializer, **ERRORS},
        description="Add a way to reach you. A webhook's signing `secret` is in this answer only.",
    ),
    partial_update=extend_schema(responses={200: s.ContactMethodSerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class ContactMethodViewSet(viewsets.ModelViewSet):
    """Your own contact methods and their notification rules."""

    serializer_class = s.ContactMethodSerializer
    lookup_value_regex = r"[0-9]{1,18}"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    queryset = ContactMethod.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        user = self.request.user
        if not user.is_authenticated:
            return ContactMethod.objects.none()
        return ContactMethod.objects.filter(user=user).prefetch_related("rules").order_by("pk")

    def create(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            method = body.save(user=request.user)
        if not method.verified:
            phone.send_code(method, timezone.now())  # the person waits for it
        shown = s.ContactMethodSerializer(method, context={"show_secret": True})
        return Response(shown.data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer) -> None:
        method = serializer.save()
        if not method.verified and not method.code_hash:
            phone.send_code(method, timezone.now())  # a new number: a new code

    @extend_schema(
        request=s.VerifySerializer,
        responses={200: s.ContactMethodSerializer, **ERRORS},
        description="Verify a phone number with the code sent to it (400 when wrong, expired "
        "or already used). Only verified numbers are paged.",
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        method = self.get_object()
        body = s.VerifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            phone.verify(method, body.validated_data["code"], timezone.now())
        except phone.VerifyError as exc:
            raise ValidationError({"code": [str(exc)]}) from None
        method.refresh_from_db()
        return Response(s.ContactMethodSerializer(method).data)

    @extend_schema(
        request=None,
        responses={200: None, **ERRORS},
        description="Send a test page to this method now and say how it went "
        "(`outcome`: delivered | retry | failed); a permanent failure marks the method.",
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        # Sent in the request (bounded by the outbound timeouts): the person is waiting to
        # see whether it works.
        result = delivery.send_test(self.get_object().pk, timezone.now())
        return Response({"outcome": result.outcome, "detail": result.detail})


@extend_schema_view(
    list=extend_schema(responses={200: s.EscalationPolicySerializer(many=True), **ERRORS}),
    retrieve=extend_schema(responses={200: s.EscalationPolicySerializer, **ERRORS}),
    create=extend_schema(
        responses={201: s.EscalationPolicySerializer, **ERRORS},
        description="Step 1 runs at once; step k+1 runs delay_minutes after step k unless "
        "acknowledged; the whole policy runs `repeat` more times.",
    ),
    update=extend_schema(responses={200: s.EscalationPolicySerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: s.EscalationPolicySerializer, **ERRORS}),
    destroy=extend_schema(responses={204: None, **ERRORS}),
)
class EscalationPolicyViewSet(viewsets.ModelViewSet):
    serializer_class = s.EscalationPolicySerializer
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_fields = ["team"]
    queryset = EscalationPolicy.objects.none()

    def get_queryset(self):
        return (
            EscalationPolicy.objects.filter(visible_teams_q(self.request.user))
            .select_related("team")
            .prefetch_related("steps")
            .order_by("pk")
        )

    def get_object(self) -> EscalationPolicy:
        policy = super().get_object()
        if self.request.method not in ("GET", "HEAD", "OPTIONS") and not can_edit_policies(
            self.request.user, policy.team_id
        ):
            raise PermissionDenied(f"Only responders of {policy.team} may change its policies.")
        return policy

    def perform_create(self, serializer) -> None:
        with transaction.atomic():
            serializer.save()

    def perform_update(self, serializer) -> None:
        with transaction.atomic():
            serializer.save()


@extend_schema(
    request=s.PageSomeoneSerializer,
    responses={201: None, **ERRORS},
    description="Page a person or whoever a schedule has on call now, for an incident you "
    "work on (pulling in help by hand).",
)
@api_view(["POST"])
def page_someone(request):
    # The incident first: to someone who may not see it, it does not exist (404), whatever
    # else the request says.
    ref = request.data.get("incident") if isinstance(request.data, dict) else None
    incident = get_incident_for(request.user, ref if isinstance(ref, str) else "", edit=True)
    context = {"request": request, "incident": incident}
    body = s.PageSomeoneSerializer(data=request.data, context=context)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    if "schedule" in data:
        schedule = data["schedule"]
        if not can_act_for_team(request.user, schedule.team_id, Role.VIEWER):
            raise Http404("No such schedule.")  # another team's: it does not exist for you
        target = {"schedule": schedule.pk}
    else:
        target = {"user": data["user"].pk}
    manual.page(incident, request.user, target)
    return Response({"detail": "Paging."}, status=status.HTTP_201_CREATED)
