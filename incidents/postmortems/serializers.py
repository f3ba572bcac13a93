"""API shapes of postmortems, factors, action items, comments and the checker."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.api.serializers import ModelSerializer, TextField, UserRefField

from .models import (
    MAX_SECTION,
    ActionItem,
    ActionStatus,
    Comment,
    Factor,
    FactorCategory,
    Postmortem,
    Priority,
    Review,
    Section,
)


class ReviewSerializer(ModelSerializer):
    reviewer = serializers.EmailField(source="reviewer.email", read_only=True)

    class Meta:
        model = Review
        fields = ["reviewer", "decision", "approved_version", "findings_acknowledged",
                  "requested_at", "decided_at"]  # fmt: skip


class FindingSerializer(serializers.Serializer):
    start = serializers.IntegerField(help_text="Offset of the first character (0-based).")
    end = serializers.IntegerField(help_text="Offset just past the last character.")
    text = serializers.CharField()
    reason = serializers.CharField()
    suggestion = serializers.CharField()


class SectionFindingSerializer(FindingSerializer):
    section = serializers.CharField()


class PostmortemSerializer(ModelSerializer):
    incident = serializers.CharField(source="incident.ref", read_only=True)
    sections = serializers.SerializerMethodField()
    reviews = ReviewSerializer(many=True, read_only=True)
    findings = serializers.SerializerMethodField()
    empty_sections = serializers.SerializerMethodField(
        help_text="Sections nobody wrote: publishing asks to confirm them (`allow_empty`)."
    )
    url = serializers.SerializerMethodField()

    class Meta:
        model = Postmortem
        fields = ["incident", "status", "version", "sections", "anonymised", "created_at",
                  "updated_at", "published_at", "reviews", "findings", "empty_sections",
                  "url"]  # fmt: skip

    def get_sections(self, postmortem) -> dict[str, str]:
        return {key: text for key, _label, text in postmortem.section_items()}

    @extend_schema_field(SectionFindingSerializer(many=True))
    def get_findings(self, postmortem) -> list[dict]:
        return self.context.get("findings", [])

    def get_empty_sections(self, postmortem) -> list[str]:
        return self.context.get("empty_sections", [])

    def get_url(self, postmortem) -> str:
        return reverse("postmortems:page", args=[postmortem.incident.ref])


class SectionsField(serializers.DictField):
    child = TextField(allow_blank=True, trim_whitespace=False, max_length=MAX_SECTION)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        unknown = sorted(set(value) - set(Section.values))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown section {unknown[0]!r}; the sections are: {', '.join(Section.values)}."
            )
        return value


class PostmortemSaveSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text="The version you edited (from GET)."
    )
    sections = SectionsField(help_text="Sections to change, by name; others stay as they are.")


class ReviewRequestSerializer(serializers.Serializer):
    reviewers = serializers.ListField(child=UserRefField(), min_length=1, max_length=20)


class ApproveSerializer(serializers.Serializer):
    findings_reviewed = serializers.BooleanField(
        default=False,
        help_text="I read the checker's open findings and accept the text as it stands.",
    )


class PublishSerializer(serializers.Serializer):
    anonymise = serializers.BooleanField(
        default=False, help_text="Replace people's names and emails with role labels."
    )
    allow_empty = serializers.BooleanField(
        default=False,
        help_text="Publish even with sections left empty. Without it, a postmortem with "
        "empty sections is refused with 409 naming them in `empty_sections`: ask the person, "
        "then send it again with `allow_empty: true`.",
    )


class PublishConflictSerializer(serializers.Serializer):
    """A 409 on publish: no approval of the current version, open findings nobody accepted,
    or sections left empty (named in `empty_sections`)."""

    detail = serializers.CharField()
    allowed = serializers.ListField(child=serializers.CharField())
    empty_sections = serializers.ListField(
        child=serializers.ChoiceField(choices=Section.choices),
        required=False,
        help_text="The empty sections, in order, when that is why.",
    )


class FactorSerializer(ModelSerializer):
    incident = serializers.CharField(source="postmortem.incident.ref", read_only=True)
    evidence = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False, write_only=True,
        max_length=200, help_text="Seq numbers of the timeline events that are its evidence.",
    )  # fmt: skip
    category = serializers.ChoiceField(choices=FactorCategory.choices)
    description = TextField(max_length=5000)
    action_items = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Factor
        fields = ["id", "incident", "category", "description", "evidence", "action_items",
                  "created_at"]  # fmt: skip
        read_only_fields = ["id", "created_at"]

    def to_representation(self, factor):
        data = super().to_representation(factor)
        data["evidence"] = sorted(e.seq for e in factor.events.all())
        return data


class ActionItemSerializer(ModelSerializer):
    incident = serializers.CharField(source="postmortem.incident.ref", read_only=True)
    owner = UserRefField(required=False, allow_null=True)
    title = TextField(max_length=200)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    status = serializers.ChoiceField(choices=ActionStatus.choices, required=False)
    link = serializers.URLField(required=False, allow_blank=True, max_length=500)
    factors = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False, write_only=True,
        max_length=100,
    )  # fmt: skip

    class Meta:
        model = ActionItem
        fields = ["id", "incident", "title", "owner", "due_date", "priority", "status", "link",
                  "factors", "created_at"]  # fmt: skip
        read_only_fields = ["id", "created_at"]

    def to_representation(self, item):
        data = super().to_representation(item)
        data["factors"] = sorted(f.pk for f in item.factors.all())
        return data


class PostmortemCommentSerializer(ModelSerializer):
    author = serializers.EmailField(source="author.email", read_only=True, default=None)
    section = serializers.ChoiceField(choices=Section.choices)
    body = TextField(max_length=5000)

    class Meta:
        model = Comment
        fields = ["id", "section", "author", "body", "created_at"]
        read_only_fields = ["id", "created_at"]


class CheckSerializer(serializers.Serializer):
    text = TextField(allow_blank=True, trim_whitespace=False)
    incident = serializers.CharField(required=False, max_length=20,
                                     help_text="Ref: its people count as people.")  # fmt: skip


class CheckResultSerializer(serializers.Serializer):
    findings = FindingSerializer(many=True)
