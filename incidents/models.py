"""The incident domain: services, incidents, roles on them, and their timelines.

Incident, RoleAssignment and TimelineEvent rows are written only by incidents/lifecycle/.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team
from accounts.permissions import visible_incidents_q

REF_PREFIX = "INC-"
# ASCII digits only: \d would also read "INC-٣" (Arabic-Indic three) as INC-3.
_REF_RE = re.compile(r"^INC-([0-9]{1,9})$", re.IGNORECASE)


def optional_person() -> models.ForeignKey:
    """Who did something. Kept as null if the account is ever deleted: the record stays."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip


class Severity(models.TextChoices):
    SEV1 = "SEV1", "SEV1 · critical"
    SEV2 = "SEV2", "SEV2 · major"
    SEV3 = "SEV3", "SEV3 · moderate"
    SEV4 = "SEV4", "SEV4 · minor"


class Status(models.TextChoices):
    TRIGGERED = "triggered", "Triggered"
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"
    DECLINED = "declined", "Declined"
    MERGED = "merged", "Merged"

    @classmethod
    def open_values(cls) -> list[str]:
        return [cls.TRIGGERED, cls.INVESTIGATING, cls.IDENTIFIED, cls.MONITORING]

    @property
    def is_open(self) -> bool:
        return self in Status.open_values()


class IncidentRole(models.TextChoices):
    COMMANDER = "commander", "Incident commander"
    COMMUNICATIONS = "communications", "Communications lead"
    SCRIBE = "scribe", "Scribe"
    RESPONDER = "responder", "Responder"

    @classmethod
    def single_holder(cls) -> list[str]:
        """Roles one person holds at a time; assigning one hands it over."""
        return [cls.COMMANDER, cls.COMMUNICATIONS, cls.SCRIBE]


class Service(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, max_length=2000)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RefCounter(models.Model):
    """The last incident number handed out: refs are never reused, even after deletion."""

    name = models.CharField(max_length=20, primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_value}"


class IncidentQuerySet(models.QuerySet["Incident"]):
    def open(self) -> IncidentQuerySet:
        return self.filter(status__in=Status.open_values())

    def closed(self) -> IncidentQuerySet:
        return self.exclude(status__in=Status.open_values())

    def visible_to(self, user) -> IncidentQuerySet:
        return self.filter(visible_incidents_q(user))

    def for_list(self) -> IncidentQuerySet:
        """What list pages and the API need, in a fixed number of queries."""
        # to_attr: plain lists, without building a queryset per incident for each relation.
        return self.select_related("team", "merged_into", "declared_by").prefetch_related(
            models.Prefetch("services", to_attr="prefetched_services"),
            models.Prefetch(
                "roles", RoleAssignment.objects.select_related("user"), to_attr="prefetched_roles"
            ),
        )


class Incident(models.Model):
    number = models.PositiveIntegerField(unique=True, editable=False)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, max_length=20000, help_text="Markdown.")
    severity = models.CharField(max_length=4, choices=Severity.choices, default=Severity.SEV3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.TRIGGERED)
    private = models.BooleanField(
        default=False, help_text="Only the team, people with a role, and staff can see it."
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    services = models.ManyToManyField(Service, blank=True, related_name="incidents")
    labels = models.JSONField(default=dict, blank=True)
    declared_by = optional_person()
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )

    impact_started_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The seq of the newest timeline event; lifecycle bumps it under a row lock.
    last_seq = models.PositiveIntegerField(default=0, editable=False)
    # Bumped by lifecycle whenever a change may take someone's access away (made private,
    # a role removed or handed over). The live room carries it in every push; a socket
    # verified at an older version re-checks before forwarding (incidents/consumers.py).
    access_version = models.PositiveIntegerField(default=0, editable=False)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        indexes = [
            # The incident list: "open incidents, newest first".
            models.Index(fields=["status", "-number"], name="incident_status_number"),
            models.Index(fields=["severity", "-number"], name="incident_severity_number"),
            models.Index(fields=["team", "-number"], name="incident_team_number"),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:detail", args=[self.ref])

    @property
    def ref(self) -> str:
        return f"{REF_PREFIX}{self.number}"

    @staticmethod
    def number_from_ref(ref: str) -> int | None:
        match = _REF_RE.match(ref.strip()) if isinstance(ref, str) else None
        return int(match.group(1)) if match else None

    @property
    def is_open(self) -> bool:
        return Status(self.status).is_open

    # Properties, not methods: DRF inspects the signature of every callable it reads,
    # which costs more than the rest of serialising a row.
    @property
    def service_list(self) -> list[Service]:
        """The incident's services (prefetched by IncidentQuerySet.for_list, if it was)."""
        prefetched = getattr(self, "prefetched_services", None)
        return prefetched if prefetched is not None else list(self.services.all())

    @property
    def role_list(self) -> list[RoleAssignment]:
        prefetched = getattr(self, "prefetched_roles", None)
        if prefetched is not None:
            return prefetched
        return list(self.roles.select_related("user"))

    def role_holders(self, role: str) -> list:
        return [a.user for a in self.role_list if a.role == role]

    @property
    def commander(self):
        holders = self.role_holders(IncidentRole.COMMANDER)
        return holders[0] if holders else None

    # Metrics derive from the timestamps; None while the moment has not come.
    def _since_detected(self, moment):
        return moment - self.detected_at if moment and self.detected_at else None

    @property
    def time_to_acknowledge(self):
        return self._since_detected(self.acknowledged_at)

    @property
    def time_to_mitigate(self):
        return self._since_detected(self.mitigated_at)

    @property
    def time_to_resolve(self):
        return self._since_detected(self.resolved_at)


class RoleAssignment(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="incident_roles"
    )
    role = models.CharField(max_length=20, choices=IncidentRole.choices)
    assigned_at = models.DateTimeField(default=timezone.now)
    assigned_by = optional_person()

    class Meta:
        ordering = ["assigned_at", "pk"]
        indexes = [
            # "Which incidents does this person hold a role on?" (private visibility).
            models.Index(fields=["user", "incident"], name="roleassignment_user_incident"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "role", "user"], name="one_assignment_per_role_and_user"
            ),
            models.UniqueConstraint(
                fields=["incident", "role"],
                condition=~models.Q(role="responder"),
                name="one_holder_per_single_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.get_role_display()} on {self.incident.ref}"


class EventKind(models.TextChoices):
    DECLARED = "declared", "Declared"
    NOTE = "note", "Note"
    STRIKE = "strike", "Note struck"
    STATUS = "status", "Status"
    SEVERITY = "severity", "Severity"
    ROLE = "role", "Role"
    ACK = "ack", "Acknowledged"
    EDIT = "edit", "Edited"
    MERGE = "merge", "Merge"
    ALERT = "alert", "Alert"
    PAGE = "page", "Page"
    CHAT = "chat", "Chat"
    POSTMORTEM = "postmortem", "Postmortem"
    REMINDER = "reminder", "Reminder"

    @classmethod
    def capability_kinds(cls) -> list[str]:
        """Events that capability apps record about an incident without changing its state
        (lifecycle.record); every other kind is written by its own lifecycle function."""
        return [cls.ALERT, cls.PAGE, cls.CHAT, cls.POSTMORTEM, cls.REMINDER]


class TimelineEvent(models.Model):
    """One entry in an incident's append-only timeline. Never deleted; a note may be
    struck through, which marks it and appends a `strike` event."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    author = optional_person()
    body = models.TextField(blank=True, help_text="Markdown.")
    data = models.JSONField(default=dict, blank=True)
    struck_at = models.DateTimeField(null=True, blank=True)
    struck_by = optional_person()

    class Meta:
        ordering = ["incident", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "seq"], name="one_event_per_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}#{self.seq} {self.kind}"
