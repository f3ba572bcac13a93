"""Integrations (where a monitoring system posts), the alerts they bring, and maintenance
windows (a service whose alerts should open no incident for a while).

Alert and MaintenanceWindow rows are written by this app (ingest.py, api.py, pages.py);
incidents only ever change through incidents/lifecycle/.
"""

from __future__ import annotations

import hashlib
import secrets
import string

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident, Service, Severity, optional_person

# PagerDuty routing keys are 32 characters and some senders (Alertmanager's
# pagerduty_configs among them) refuse anything else, so every key has that shape.
KEY_LENGTH = 32
_KEY_ALPHABET = string.ascii_lowercase + string.digits


def hash_key(raw: str) -> str:
    # 32 characters from 36 symbols is ~165 random bits: a fast hash is enough.
    return hashlib.sha256(raw.encode()).hexdigest()


class Kind(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    GRAFANA = "grafana", "Grafana"
    PAGERDUTY = "pagerduty", "PagerDuty Events API v2"
    GENERIC = "generic", "Generic JSON"


class Integration(models.Model):
    """One sender posting to one service. Only the key's hash is stored; the key and the
    full URL are shown once, when the integration is created or its key rotated."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="integrations")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(max_length=4, editable=False, help_text="The key's last 4.")
    enabled = models.BooleanField(default=True)
    default_severity = models.CharField(
        max_length=4, choices=Severity.choices, default=Severity.SEV3
    )
    # {"critical": "SEV1", "warning": "SEV3", ...}: a `severity` label (Alertmanager,
    # Grafana), PagerDuty's payload.severity or the generic severity -> Keel's severity.
    severity_map = models.JSONField(default=dict, blank=True)
    # Grafana's optional HMAC signing secret; kept as given because verifying needs it.
    secret = models.CharField(max_length=200, blank=True)
    auto_resolve = models.BooleanField(
        default=False,
        help_text="Resolve the incident by itself when every alert that opened it resolved.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = optional_person()
    key_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["service", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.service}" + (
            f" ({self.name})" if self.name else ""
        )

    def new_key(self) -> str:
        """Give the integration a fresh key (call save() after); return it. The old key
        stops working as soon as this is saved."""
        raw = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(KEY_LENGTH))
        self.key_hash = hash_key(raw)
        self.key_hint = raw[-4:]
        if self.pk:
            self.key_rotated_at = timezone.now()
        return raw

    def hook_url(self, raw_key: str) -> str:
        """The full URL a sender posts to (for PagerDuty, the key goes in the body)."""
        if self.kind == Kind.PAGERDUTY:
            return settings.SITE_URL + reverse("alerts:pagerduty")
        return settings.SITE_URL + reverse(f"alerts:{self.kind}", args=[raw_key])

    @classmethod
    def by_key(cls, raw: str, kind: str) -> Integration | None:
        """The enabled integration of this kind with this key, or None."""
        if not isinstance(raw, str) or len(raw) != KEY_LENGTH:
            return None
        return (
            cls.objects.select_related("service", "service__team")
            .filter(key_hash=hash_key(raw), kind=kind, enabled=True)
            .first()
        )


class AlertStatus(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"


class AlertQuerySet(models.QuerySet["Alert"]):
    def firing(self) -> AlertQuerySet:
        return self.filter(status=AlertStatus.FIRING)


class Alert(models.Model):
    """One problem a sender reported, however many times it reported it. At most one
    firing alert exists per (integration, dedup key); once resolved, the key may fire
    again later, which makes a new alert (and a new incident)."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="alerts")
    dedup_key = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=AlertStatus.choices)
    summary = models.CharField(max_length=1024)
    severity = models.CharField(max_length=4, choices=Severity.choices)
    labels = models.JSONField(default=dict, blank=True)
    source_url = models.CharField(max_length=2000, blank=True)
    group_key = models.CharField(max_length=1000, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    count = models.PositiveIntegerField(default=1)
    payload = models.JSONField(default=dict, blank=True)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    # True when this alert's arrival opened its incident (not when it joined one).
    opened_incident = models.BooleanField(default=False)
    # Arrived while the service was in maintenance: stored and counted, no incident.
    in_maintenance = models.BooleanField(default=False)
    # When the last "repeated" timeline event was posted: at most one per window.
    repeat_posted_at = models.DateTimeField(null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-last_seen", "-pk"]
        constraints = [
            # The guard against duplicate deliveries racing each other: the loser of two
            # concurrent inserts gets an IntegrityError and counts on the winner's row.
            models.UniqueConstraint(
                fields=["integration", "dedup_key"],
                condition=models.Q(status="firing"),
                name="one_firing_alert_per_key",
            ),
        ]
        indexes = [
            # The service page's "recent alerts".
            models.Index(fields=["integration", "-last_seen"], name="alert_integration_seen"),
            # Grouping: "the open incident of this Alertmanager group".
            models.Index(fields=["integration", "group_key"], name="alert_integration_group"),
        ]

    def __str__(self) -> str:
        return f"{self.dedup_key} ({self.status})"


class MaintenanceQuerySet(models.QuerySet["MaintenanceWindow"]):
    def active(self, at=None) -> MaintenanceQuerySet:
        at = at or timezone.now()
        return self.filter(starts_at__lte=at, ends_at__gt=at)


class MaintenanceWindow(models.Model):
    """A period during which the service's alerts are stored and counted but open no
    incident (planned work, a known outage)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="maintenance")
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True)
    created_by = optional_person()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MaintenanceQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["service", "ends_at"], name="maintenance_service_end")]

    def __str__(self) -> str:
        return f"{self.service} {self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%H:%M}"

    @property
    def is_active(self) -> bool:
        return self.starts_at <= timezone.now() < self.ends_at
