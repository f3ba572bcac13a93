"""Chat: the channels Keel posts to, who is who in the workspace, and every message sent.

A ChatDelivery row is written for each change a channel should hear about *before* anything
is queued (the database is the record; Redis only carries the work), and a beat task sends
what is still pending, so a change accepted while Redis was down still goes out.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Team
from incidents.models import Incident, Service

from .identity import ChatIdentityManager

# Slack: a response_url may be used five times within thirty minutes.
RESPONSE_URL_USES = 5
RESPONSE_URL_LIFETIME = timedelta(minutes=30)


class ChatEvent(models.TextChoices):
    DECLARED = "declared", "Declared or triggered"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    SEVERITY = "severity", "Severity changes"
    STATUS = "status", "Status changes"
    COMMANDER = "commander", "Commander changes"
    RESOLVED = "resolved", "Resolved"
    REMINDER = "reminder", "Reminders (from paging)"
    POSTMORTEM = "postmortem", "Postmortem published"


def all_events() -> list[str]:
    return list(ChatEvent.values)


class ChatChannelQuerySet(models.QuerySet["ChatChannel"]):
    def active(self) -> ChatChannelQuerySet:
        return self.filter(state=ChatChannel.State.ACTIVE)

    def for_incident(self, incident: Incident) -> ChatChannelQuerySet:
        """The channels of the incident's team: the team-wide ones and those of one of its
        services."""
        # The through table alone: no need to read (or wait on) the services themselves.
        links = incident.services.through.objects.filter(incident_id=incident.pk)
        services = list(links.values_list("service_id", flat=True))
        return self.filter(team_id=incident.team_id).filter(
            models.Q(service__isnull=True) | models.Q(service__in=services)
        )


class ChatChannel(models.Model):
    """A Slack-compatible incoming webhook of a team's (optionally only for one service)."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        DISABLED = "disabled", "Disabled"  # the workspace refused for good; see the reason

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="chat_channels")
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="chat_channels"
    )
    name = models.CharField(max_length=80, help_text="How people know it, e.g. #ops-incidents.")
    # A secret: anyone holding it can post to the channel. Never shown after saving.
    webhook_url = models.URLField(max_length=500)
    events = models.JSONField(default=all_events, blank=True)
    # The workspace's id of the channel (C0123...), learned from a button click there or set
    # by an admin; slash commands typed in it act for this channel's team.
    slack_channel_id = models.CharField(max_length=40, blank=True, db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Sending: at most one message per MIN_INTERVAL; the next wake-up already queued.
    last_sent_at = models.DateTimeField(null=True, blank=True)
    wake_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ChatChannelQuerySet.as_manager()

    class Meta:
        ordering = ["team", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.team})"

    @property
    def webhook_hint(self) -> str:
        """Enough of the URL to tell two apart, not enough to post with."""
        return self.webhook_url[:30] + "…"


class ChatIdentity(models.Model):
    """A person's user id in the chat workspace (U0123...). It counts only once proven from
    the workspace's side (`verified_at`; see identity.py): until then `chat_user_id` is the
    id they said they have (if any), which Keel does not believe."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_identity"
    )
    chat_user_id = models.CharField(max_length=40, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    # The one-time code's SHA-256 (hex), never the code itself; "" once used.
    code_hash = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)

    objects = ChatIdentityManager()

    class Meta:
        constraints = [
            # Only proven links are unique: a pending claim of someone's id must never
            # stop them from proving it is theirs.
            models.UniqueConstraint(
                fields=["chat_user_id"],
                condition=models.Q(verified_at__isnull=False),
                name="one_verified_identity_per_chat_user",
            )
        ]

    def __str__(self) -> str:
        proven = "" if self.verified_at else " (not proven)"
        return f"{self.user} = {self.chat_user_id or '?'}{proven}"


class ChatDelivery(models.Model):
    """One change one channel should hear about, and how telling it went. Several pending
    rows for the same incident are folded into one message when sent."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"  # claimed by a worker until `sending_until`
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"  # an update with no message left to update

    channel = models.ForeignKey(ChatChannel, on_delete=models.CASCADE, related_name="deliveries")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=20)  # a ChatEvent, or "update"
    headline = models.CharField(max_length=300)
    # Only worth updating an existing message (the channel did not ask for this event).
    update_only = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sending_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The sender's question: "what is due on this channel?"
            models.Index(fields=["channel", "status", "next_attempt_at"], name="chatdelivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} of incident {self.incident_id} to {self.channel_id}: {self.status}"


class ChatThread(models.Model):
    """The newest `response_url` a button click gave us for an incident's message in a
    channel: while it is valid, later changes replace that message instead of posting a
    new one (an incoming webhook cannot edit what it posted)."""

    channel = models.ForeignKey(ChatChannel, on_delete=models.CASCADE, related_name="threads")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    response_url = models.URLField(max_length=500)
    expires_at = models.DateTimeField()
    uses = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "incident"], name="one_thread_per_message")
        ]

    def __str__(self) -> str:
        return f"incident {self.incident_id} in {self.channel_id}"

    def usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.expires_at > now and self.uses < RESPONSE_URL_USES


class LinkedChannel(models.Model):
    """A workspace channel given to one incident (where it was declared with /incident
    declare): commands typed there may leave out the INC-n."""

    slack_channel_id = models.CharField(max_length=40, unique=True)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.slack_channel_id} -> {self.incident_id}"
