"""Paging's records. The database is the record of every escalation and every message:
Redis only carries the work (GoAlert keeps its engine's state in PostgreSQL the same way).

- EscalationPolicy + EscalationStep: who is paged, in which order, how long apart.
- ServicePaging: the policy a service pages with (the core Service knows nothing of paging).
- ContactMethod + NotificationRule: how one person is reached, and when; a PushSubscription
  is one browser's Web Push device, paged as its own contact method.
- Escalation: one incident's run through a policy; `token` is the active run's id, so a
  task carrying an older token does nothing.
- Notification: one message to one contact method, written before it is sent, with the
  `delivery_id` the receiver sees (a retry after a crash carries the same one).
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models

from accounts.models import Team
from incidents.models import Incident, Service


class EscalationPolicy(models.Model):
    name = models.CharField(max_length=100)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="escalation_policies")
    # How many more times the whole policy runs after its last step (0: once).
    repeat = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team__name", "name"]

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    """Step k runs `delay_minutes` after step k-1 (step 1 at once). `targets` is a list of
    {"user": id} | {"schedule": id} | {"team": id}, checked by the API and forms."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    delay_minutes = models.PositiveIntegerField(default=5)
    targets = models.JSONField(default=list)

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="one_step_per_position")
        ]

    def __str__(self) -> str:
        return f"{self.policy} step {self.position + 1}"


class ServicePaging(models.Model):
    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="paging")
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.service} pages with {self.policy}"


class ContactKind(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"
    SLACK = "slack", "Slack incoming webhook"
    SMS = "sms", "SMS"
    VOICE = "voice", "Voice call"
    NTFY = "ntfy", "ntfy"
    WEBPUSH = "webpush", "Web Push"  # one per device: a PushSubscription (webpush.py)


# Kinds whose address is a phone number: verified with a code before they are paged.
PHONE_KINDS = (ContactKind.SMS, ContactKind.VOICE)


class ContactMethodQuerySet(models.QuerySet["ContactMethod"]):
    def pageable(self) -> ContactMethodQuerySet:
        """What a page may use: a phone number only once verified and not stopped (STOP)."""
        return self.exclude(kind__in=PHONE_KINDS, verified_at__isnull=True).exclude(
            stopped_at__isnull=False
        )


class ContactMethod(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_methods"
    )
    kind = models.CharField(max_length=10, choices=ContactKind.choices)
    address = models.CharField(max_length=500)  # an email address, a URL, or +E.164
    # Webhooks sign with it; an ntfy method's access token (sent as a Bearer token).
    secret = models.CharField(max_length=64, blank=True)
    # Phone numbers: verified with a one-time code (its HMAC kept, never the code) before
    # any page goes there, so nobody pages a stranger's phone.
    verified_at = models.DateTimeField(null=True, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_tries = models.PositiveSmallIntegerField(default=0)
    # The number replied STOP: nothing is sent to it until it replies START.
    stopped_at = models.DateTimeField(null=True, blank=True)
    # Set when a delivery failed for good; the person is told on their next visit.
    failed_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ContactMethodQuerySet.as_manager()

    class Meta:
        ordering = ["user", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.address}"

    def save(self, *args, **kwargs) -> None:
        if self.kind == ContactKind.WEBHOOK and not self.secret:
            self.secret = secrets.token_hex(32)
        super().save(*args, **kwargs)

    @property
    def verified(self) -> bool:
        return self.kind not in PHONE_KINDS or self.verified_at is not None


class PushSubscription(models.Model):
    """One browser's Web Push subscription: a device ("Pixel 8", "Work laptop"). It is paged
    as the contact method it comes with (kind webpush, address its endpoint), so it has
    rules, a test page and a place in the room's panel like any other method; removing
    either removes both."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    contact_method = models.OneToOneField(
        ContactMethod, on_delete=models.CASCADE, related_name="push_subscription"
    )
    name = models.CharField(max_length=100)
    # The push service's URL for this browser: one person's at a time (devices.py).
    endpoint = models.CharField(max_length=500, unique=True)
    p256dh = models.CharField(max_length=100)  # the browser's P-256 key (RFC 8291)
    auth = models.CharField(max_length=50)  # its 16-byte authentication secret
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "pk"]

    def __str__(self) -> str:
        return f"Web Push on {self.name}"


class NotificationRule(models.Model):
    """Use `contact_method` `delay_minutes` after a page to its person (GoAlert's
    notification rules). A person without rules is reached on every method at once."""

    contact_method = models.ForeignKey(
        ContactMethod, on_delete=models.CASCADE, related_name="rules"
    )
    delay_minutes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["contact_method", "delay_minutes"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact_method", "delay_minutes"], name="one_rule_per_delay"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact_method} after {self.delay_minutes} min"


class EscalationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    STOPPED = "stopped", "Stopped"  # resolved, declined, merged
    EXHAUSTED = "exhausted", "Ran every step"


class EscalationQuerySet(models.QuerySet["Escalation"]):
    def active(self) -> EscalationQuerySet:
        return self.filter(status=EscalationStatus.ACTIVE)


class Escalation(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="escalations")
    policy = models.ForeignKey(
        EscalationPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A page by hand ("page someone"): one step, these targets, no repeats.
    manual_targets = models.JSONField(default=list, blank=True)
    token = models.UUIDField(default=uuid.uuid4, unique=True)
    status = models.CharField(
        max_length=12, choices=EscalationStatus.choices, default=EscalationStatus.ACTIVE
    )
    step = models.PositiveSmallIntegerField(default=0)  # the next step to run (0-based)
    loop = models.PositiveSmallIntegerField(default=0)
    next_due_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_because = models.CharField(max_length=200, blank=True)
    # Set on the run that takes over a snoozed one: it pages its current step again then.
    snoozed_until = models.DateTimeField(null=True, blank=True)

    objects = EscalationQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "next_due_at"], name="escalation_due")]

    def __str__(self) -> str:
        return f"Escalation {self.pk} of incident {self.incident_id} ({self.status})"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Not sent (acknowledged first)"


class Notification(models.Model):
    escalation = models.ForeignKey(
        Escalation, on_delete=models.CASCADE, related_name="notifications"
    )
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    contact_method = models.ForeignKey(
        ContactMethod, null=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    kind = models.CharField(max_length=10, choices=ContactKind.choices)
    loop = models.PositiveSmallIntegerField()
    step = models.PositiveSmallIntegerField()  # 1-based, as people count steps
    # The notification rule this message is for (minutes after the page): a method with
    # two rules ("at once", "again after 10 min") gets one message for each.
    after_minutes = models.PositiveIntegerField(default=0)
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True)
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    due_at = models.DateTimeField()  # when to try next (a rule's delay, a retry's backoff)
    # While `sending`: past this, the sender crashed and the auditor sends it again.
    deadline = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Sent inside another notification's message (identical pages bundled into one).
    bundled_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The ack link in this message was used (single use).
    ack_used_at = models.DateTimeField(null=True, blank=True)
    # A page to a team admin's account email because the step reached nobody (fallback.py);
    # it has no contact method, and its own failure starts no further fallback.
    fallback = models.BooleanField(default=False)
    # A phone provider's id for this message or call (Twilio's SM… / CA…): its status
    # callbacks and a call's keypresses find the notification by it.
    provider_sid = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # A step runs once: a task delivered twice cannot write a second message.
            models.UniqueConstraint(
                fields=["escalation", "loop", "step", "user", "contact_method", "after_minutes"],
                name="one_notification_per_step_person_rule",
            ),
            models.UniqueConstraint(
                fields=["escalation", "loop", "step", "user"],
                condition=models.Q(fallback=True),
                name="one_fallback_per_step_person",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="notification_due")]

    def __str__(self) -> str:
        return f"Page {self.delivery_id} ({self.status})"


class ReminderKind(models.TextChoices):
    STATUS_UPDATE = "status_update", "Status update due"
    NO_COMMANDER = "no_commander", "No commander"
    POSTMORTEM = "postmortem", "Postmortem due"


class Reminder(models.Model):
    """One reminder sent: the unique key makes two overlapping beat ticks send it once."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    # What the reminder is about: the seq of the last update it nudges after.
    about = models.CharField(max_length=50)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["incident", "kind", "about"], name="one_reminder")
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder about {self.about}"


class ReminderIntervals(models.Model):
    """A team's status-update reminder intervals in minutes, per severity; empty means no
    reminder for that severity. A team without a row uses PAGING_REMINDER_MINUTES."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="reminder_intervals")
    sev1 = models.PositiveIntegerField(null=True, blank=True)
    sev2 = models.PositiveIntegerField(null=True, blank=True)
    sev3 = models.PositiveIntegerField(null=True, blank=True)
    sev4 = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "reminder intervals"

    def __str__(self) -> str:
        return f"Reminder intervals of {self.team}"

    def minutes(self) -> dict[str, int | None]:
        return {"SEV1": self.sev1, "SEV2": self.sev2, "SEV3": self.sev3, "SEV4": self.sev4}
