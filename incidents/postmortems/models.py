"""Postmortems: one per incident, its sections, revisions, reviews, contributing factors,
action items, comments; the events highlighted in the room; the admin's extra phrases for
the blameless checker and the sections' prompts.

Rows here are written by incidents/postmortems/workflow.py (and the admin, for the phrase
list and the template)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.models import Incident, TimelineEvent

MAX_SECTION = 50_000


class Section(models.TextChoices):
    """The postmortem's sections, in the order they are written and read."""

    SUMMARY = "summary", "Summary"
    IMPACT = "impact", "Customer impact"
    TIMELINE = "timeline", "Timeline"
    FACTORS = "factors", "Contributing factors"
    WENT_WELL = "went_well", "What went well"
    DIFFICULT = "difficult", "What was difficult"
    LUCKY = "lucky", "Where we got lucky"
    ACTIONS = "actions", "Action items"
    LESSONS = "lessons", "Lessons"


class PostmortemStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


class SectionTemplate(models.Model):
    """The prompt of one section (admins edit it): shown as a hint in the empty section,
    never stored as its text."""

    section = models.CharField(max_length=20, choices=Section.choices, unique=True)
    text = models.TextField(
        blank=True,
        max_length=MAX_SECTION,
        help_text="The hint shown in the empty section (plain text); blank for the default.",
    )

    def __str__(self) -> str:
        return Section(self.section).label


class BlamePhrase(models.Model):
    """An extra phrase for the blameless checker, on top of the built-in rules."""

    phrase = models.CharField(max_length=200, unique=True, help_text="Matched as whole words.")
    reason = models.CharField(max_length=300, default="Blame or hindsight language.")
    suggestion = models.CharField(
        max_length=300, default="Describe what happened and what the system allowed."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["phrase"]

    def __str__(self) -> str:
        return self.phrase


class Postmortem(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="postmortem")
    status = models.CharField(
        max_length=20, choices=PostmortemStatus.choices, default=PostmortemStatus.DRAFT
    )
    sections = models.JSONField(default=dict)
    # Every save carries the version it edited; a stale one is refused (409).
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    anonymised = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    # What readers see once published (anonymised when asked): Markdown per section.
    published_sections = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Postmortem of {self.incident.ref}"

    @property
    def is_published(self) -> bool:
        return self.status == PostmortemStatus.PUBLISHED

    def section_items(self) -> list[tuple[str, str, str]]:
        """(key, heading, text) for every section, in order."""
        source = self.published_sections if self.is_published else self.sections
        return [(key, label, source.get(key, "")) for key, label in Section.choices]


class Revision(models.Model):
    """Each saved version of the sections: the published postmortem keeps its history."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    sections = models.JSONField(default=dict)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["postmortem", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "version"], name="one_revision_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"version {self.version}"


class ReviewDecision(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"


class Review(models.Model):
    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="postmortem_reviews"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    decision = models.CharField(
        max_length=20, choices=ReviewDecision.choices, default=ReviewDecision.REQUESTED
    )
    # The version approved: an edit after the approval needs a new one.
    approved_version = models.PositiveIntegerField(null=True, blank=True)
    # The reviewer read the checker's open findings and accepts them as they stand.
    findings_acknowledged = models.BooleanField(default=False)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "reviewer"], name="one_review_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} ({self.decision})"


class FactorCategory(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    PROCESS = "process", "Process"
    COMMUNICATION = "communication", "Communication"
    TOOLING = "tooling", "Tooling"
    EXTERNAL = "external", "External"
    ORGANISATIONAL = "organisational", "Organisational"
    MONITORING = "monitoring", "Monitoring and alerting"
    KNOWLEDGE = "knowledge", "Knowledge and documentation"


class Factor(models.Model):
    """A contributing factor: a condition of the system that made the incident possible or
    worse. Evidence: timeline events; addressed by action items."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="factors")
    category = models.CharField(max_length=20, choices=FactorCategory.choices)
    description = models.TextField(max_length=5000, help_text="Markdown.")
    events = models.ManyToManyField(TimelineEvent, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["category", "created_at"], name="factor_category_time")]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.description[:60]}"


class Priority(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


class ActionItemQuerySet(models.QuerySet["ActionItem"]):
    def open(self) -> ActionItemQuerySet:
        return self.filter(status=ActionStatus.OPEN)

    def visible_to(self, user) -> ActionItemQuerySet:
        return self.filter(postmortem__incident__in=Incident.objects.visible_to(user))


class ActionItem(models.Model):
    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="action_items"
    )
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="action_items",
    )  # fmt: skip
    due_date = models.DateField(null=True, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(
        max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    link = models.URLField(blank=True, max_length=500)
    factors = models.ManyToManyField(Factor, blank=True, related_name="action_items")
    created_at = models.DateTimeField(default=timezone.now)
    # The due date a reminder went out for: the beat task sends one per due date.
    reminded_for = models.DateField(null=True, blank=True)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(fields=["owner", "status"], name="actionitem_owner_status"),
            models.Index(fields=["status", "due_date"], name="actionitem_status_due"),
        ]

    def __str__(self) -> str:
        return self.title


class Comment(models.Model):
    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="comments")
    section = models.CharField(max_length=20, choices=Section.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    body = models.TextField(max_length=5000, help_text="Markdown.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment on {self.section}"


class EventHighlight(models.Model):
    """A timeline event someone marked in the room as belonging in the postmortem."""

    event = models.OneToOneField(TimelineEvent, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Highlight of event {self.event_id}"
