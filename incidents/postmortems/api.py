"""REST API: the postmortem of an incident (GET/PUT with versions, POST to start one),
its workflow, factors, action items and comments, and the blameless checker."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.permissions import get_incident_for
from incidents.api.errors import ConflictSerializer, ErrorSerializer
from incidents.models import Incident

from . import blameless, records, workflow
from . import serializers as s
from .models import ActionItem, ActionStatus, Factor, Postmortem

ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
WRITE_ERRORS = {**ERRORS, 409: ConflictSerializer}


class StaleSerializer(serializers.Serializer):
    """A 409 on save: a stale version (with the current text to merge), or a published,
    read-only postmortem (with `allowed`, empty)."""

    detail = serializers.CharField()
    version = serializers.IntegerField(required=False, help_text="The current version.")
    sections = serializers.DictField(
        child=serializers.CharField(), required=False, help_text="The current text."
    )
    updated_by = serializers.CharField(allow_null=True, required=False)
    allowed = serializers.ListField(child=serializers.CharField(), required=False)


def _valid(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, context={"request": request}, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def postmortem_of(request, ref: str, *, edit: bool = False) -> Postmortem:
    incident = get_incident_for(request.user, ref, edit=edit)
    postmortem = Postmortem.objects.select_related("incident").filter(incident=incident).first()
    if postmortem is None:
        raise Http404(f"{incident.ref} has no postmortem yet: POST to start one.")
    return postmortem


def _answer(postmortem: Postmortem, code: int = status.HTTP_200_OK) -> Response:
    postmortem = Postmortem.objects.select_related("incident").get(pk=postmortem.pk)
    context = {
        "findings": workflow.findings(postmortem),
        "empty_sections": workflow.empty_sections(postmortem),
    }
    return Response(s.PostmortemSerializer(postmortem, context=context).data, status=code)


@extend_schema(
    methods=["GET"],
    responses={200: s.PostmortemSerializer, **ERRORS},
    description="The incident's postmortem, with the checker's open findings.",
)
@extend_schema(
    methods=["POST"],
    request=None,
    responses={201: s.PostmortemSerializer, 200: s.PostmortemSerializer, **ERRORS},
    description="Start the postmortem, pre-filled from the incident (200 if it already has one).",
)
@extend_schema(methods=["PUT"], request=s.PostmortemSaveSerializer,
               responses={200: s.PostmortemSerializer, 409: StaleSerializer, **ERRORS},
               description="Save sections. `version` is the version you edited: if someone "
               "saved since, nothing is written and the answer is 409 with the current text "
               "to merge with yours.")  # fmt: skip
@api_view(["GET", "POST", "PUT"])
def postmortem(request, ref: str):
    if request.method == "GET":
        return _answer(postmortem_of(request, ref))
    incident = get_incident_for(request.user, ref, edit=True)
    if request.method == "POST":
        found, created = workflow.open_postmortem(incident, request.user)
        return _answer(found, status.HTTP_201_CREATED if created else status.HTTP_200_OK)
    found = postmortem_of(request, ref, edit=True)
    data = _valid(s.PostmortemSaveSerializer, request)
    try:
        saved = workflow.save_sections(found, request.user, data["version"], data["sections"])
    except workflow.StaleVersion as stale:
        current = stale.postmortem
        return Response(
            {
                "detail": stale.message,
                "version": current.version,
                "sections": current.sections,
                "updated_by": current.updated_by.name if current.updated_by else None,
            },
            status=status.HTTP_409_CONFLICT,
        )
    return _answer(saved)


@extend_schema(request=s.ReviewRequestSerializer, responses={200: s.PostmortemSerializer,
               **WRITE_ERRORS}, description="Ask people to review: the postmortem moves to "
               "in review.")  # fmt: skip
@api_view(["POST"])
def request_review(request, ref: str):
    found = postmortem_of(request, ref, edit=True)
    reviewers = _valid(s.ReviewRequestSerializer, request)["reviewers"]
    return _answer(workflow.request_review(found, request.user, reviewers))


@extend_schema(
    request=s.ApproveSerializer,
    responses={200: s.PostmortemSerializer, **WRITE_ERRORS},
    description="Approve the current version (a requested reviewer or a team admin). "
    "`findings_reviewed` accepts the checker's open findings as they stand.",
)
@api_view(["POST"])
def approve(request, ref: str):
    found = postmortem_of(request, ref, edit=True)
    data = _valid(s.ApproveSerializer, request)
    workflow.approve(found, request.user, data["findings_reviewed"])
    return _answer(found)


@extend_schema(
    request=s.PublishSerializer,
    responses={200: s.PostmortemSerializer, **ERRORS, 409: s.PublishConflictSerializer},
    description="Publish: needs an approval of the current version and, with open findings, "
    "a reviewer's acknowledgement. With sections left empty the answer is 409 naming them "
    "in `empty_sections`, unless `allow_empty` is true. Then read-only.",
)
@api_view(["POST"])
def publish(request, ref: str):
    found = postmortem_of(request, ref, edit=True)
    data = _valid(s.PublishSerializer, request)
    try:
        published = workflow.publish(found, request.user, data["anonymise"], data["allow_empty"])
    except workflow.EmptySections as empty:
        return Response(
            {
                "detail": f'{empty.message} Send "allow_empty": true to publish anyway.',
                "allowed": [],
                "empty_sections": empty.sections,
            },
            status=status.HTTP_409_CONFLICT,
        )
    return _answer(published)


def _nested(serializer_class, queryset_of, create, description: str):
    @extend_schema(methods=["GET"], responses={200: serializer_class(many=True), **ERRORS})
    @extend_schema(
        methods=["POST"],
        request=serializer_class,
        responses={201: serializer_class, **WRITE_ERRORS},
        description=description,
    )
    @api_view(["GET", "POST"])
    def view(request, ref: str):
        found = postmortem_of(request, ref, edit=request.method == "POST")
        if request.method == "GET":
            return Response(serializer_class(queryset_of(found), many=True).data)
        data = _valid(serializer_class, request)
        return Response(serializer_class(create(found, request.user, data)).data,
                        status=status.HTTP_201_CREATED)  # fmt: skip

    return view


def _factors_of(found: Postmortem):
    return found.factors.prefetch_related("events", "action_items").select_related(
        "postmortem__incident"
    )


def _items_of(found: Postmortem):
    return found.action_items.select_related("owner", "postmortem__incident").prefetch_related(
        "factors"
    )


factors = _nested(
    s.FactorSerializer, _factors_of,
    lambda found, user, data: records.add_factor(found, user, **data),
    "Add a contributing factor (category, description, evidence: event seqs).",
)  # fmt: skip
factors.__name__ = "factors"
action_items = _nested(
    s.ActionItemSerializer, _items_of,
    lambda found, user, data: records.add_action_item(found, user, **data),
    "Add an action item (title, owner, due date, priority, link, factors).",
)  # fmt: skip
action_items.__name__ = "action_items"
comments = _nested(
    s.PostmortemCommentSerializer, lambda found: found.comments.select_related("author"),
    lambda found, user, data: records.add_comment(found, user, **data),
    "Comment on a section.",
)  # fmt: skip
comments.__name__ = "comments"


class _OnVisibleIncidents(mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                          mixins.DestroyModelMixin, viewsets.GenericViewSet):  # fmt: skip
    http_method_names = ["get", "patch", "delete", "head", "options"]
    lookup_value_regex = r"[0-9]{1,18}"

    def get_object(self):
        found = super().get_object()
        # Changing needs the right to work on the incident (a viewer gets 403, not 404).
        get_incident_for(self.request.user, found.postmortem.incident.ref,
                         edit=self.request.method not in ("GET", "HEAD", "OPTIONS"))  # fmt: skip
        return found

    def perform_update(self, serializer):
        self.updated = self.change(serializer.instance, self.request.user,
                                   serializer.validated_data)  # fmt: skip

    def update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        super().update(request, *args, **kwargs)
        return Response(self.get_serializer(self.updated).data)


@extend_schema_view(
    retrieve=extend_schema(responses={200: s.FactorSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: s.FactorSerializer, **WRITE_ERRORS}),
    destroy=extend_schema(responses={204: None, **WRITE_ERRORS}),
)
class FactorViewSet(_OnVisibleIncidents):
    serializer_class = s.FactorSerializer

    def get_queryset(self):
        return (
            Factor.objects.filter(
                postmortem__incident__in=Incident.objects.visible_to(self.request.user)
            )
            .select_related("postmortem__incident")
            .prefetch_related("events", "action_items")
        )

    def change(self, factor, user, data):
        return records.update_factor(factor, user, data)

    def perform_destroy(self, factor):
        records.delete_factor(factor, self.request.user)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("owner", str, description="`me`, an email or a user id."),
            OpenApiParameter("status", str, description="open, done or wont_do."),
        ],
        responses={200: s.ActionItemSerializer(many=True), **ERRORS},
    ),
    retrieve=extend_schema(responses={200: s.ActionItemSerializer, **ERRORS}),
    partial_update=extend_schema(responses={200: s.ActionItemSerializer, **WRITE_ERRORS}),
    destroy=extend_schema(responses={204: None, **WRITE_ERRORS}),
)
class ActionItemViewSet(mixins.ListModelMixin, _OnVisibleIncidents):
    serializer_class = s.ActionItemSerializer

    def get_queryset(self):
        items = (
            ActionItem.objects.visible_to(self.request.user)
            .select_related("owner", "postmortem__incident")
            .prefetch_related(Prefetch("factors"))
        )
        if self.action != "list":
            return items
        owner = self.request.query_params.get("owner")
        if owner == "me":
            items = items.filter(owner=self.request.user)
        elif owner:
            items = items.filter(owner=s.UserRefField().run_validation(owner))
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in ActionStatus.values:
                raise ValidationError(
                    {"status": [f"Use one of: {', '.join(ActionStatus.values)}."]}
                )
            items = items.filter(status=wanted)
        return items

    def change(self, item, user, data):
        return records.update_action_item(item, user, data)

    def perform_destroy(self, item):
        records.delete_action_item(item, self.request.user)


@extend_schema(request=s.CheckSerializer, responses={200: s.CheckResultSerializer,
               413: ErrorSerializer, **ERRORS}, description="Find blame and hindsight language. "
               f"Text over {blameless.MAX_TEXT} characters is refused with 413.")  # fmt: skip
@api_view(["POST"])
def check(request):
    too_long = Response(
        {"detail": f"The text is too long to check: the limit is {blameless.MAX_TEXT} "
                   "characters. Check it a section at a time."},
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )  # fmt: skip
    if int(request.META.get("CONTENT_LENGTH") or 0) > 6 * blameless.MAX_TEXT + 1000:
        return too_long
    data = _valid(s.CheckSerializer, request)
    if len(data["text"]) > blameless.MAX_TEXT:
        return too_long
    incident = get_incident_for(request.user, data["incident"]) if data.get("incident") else None
    found = workflow.check_text(data["text"], incident)
    return Response({"findings": [f.__dict__ for f in found]})
