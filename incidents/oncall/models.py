"""On-call schedules: a team's rotations (layers) in one time zone, with overrides on top.

The rows only store what people entered; rotation.py (pure Python) works out who is on call.
services.py turns rows into rotation.py's dataclasses."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from accounts.models import Team, validate_timezone


def new_calendar_token() -> str:
    # The token is the only key to a calendar feed (calendar apps cannot log in): 192 bits.
    return secrets.token_urlsafe(24)


class ShiftUnit(models.TextChoices):
    HOURS = "hours", "hours"
    DAYS = "days", "days"
    WEEKS = "weeks", "weeks"


class Schedule(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="schedules")
    name = models.CharField(max_length=100)
    time_zone = models.CharField(max_length=64, validators=[validate_timezone])
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team__name", "name"]

    def __str__(self) -> str:
        return self.name

    def revoke_calendar(self) -> None:
        """Give the feed a new secret address; the old one stops working at once."""
        self.calendar_token = new_calendar_token()
        self.save(update_fields=["calendar_token"])


class Layer(models.Model):
    """One rotation. Layers are ordered by `position`; the highest is on top."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=100, blank=True)
    shift_length = models.PositiveIntegerField()
    shift_unit = models.CharField(max_length=10, choices=ShiftUnit.choices)
    handoff_time = models.TimeField()
    start_date = models.DateField()
    # [{"days": ["mon", ...], "start": "HH:MM", "end": "HH:MM" | "24:00"}], validated on the
    # way in (serializers.py); a list because restrictions are only ever read whole.
    restrictions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["schedule", "position"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "position"], name="one_layer_per_position")
        ]

    def __str__(self) -> str:
        return self.name or f"Layer {self.position + 1}"


class LayerParticipant(models.Model):
    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["layer", "position"]
        constraints = [
            models.UniqueConstraint(fields=["layer", "position"], name="one_participant_per_turn")
        ]

    def __str__(self) -> str:
        return f"{self.user} (turn {self.position + 1})"


class OverrideQuerySet(models.QuerySet["Override"]):
    def overlapping(self, start, end) -> OverrideQuerySet:
        return self.filter(start__lt=end, end__gt=start)


class Override(models.Model):
    """`user` covers the schedule from `start` to `end`, on top of every layer."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OverrideQuerySet.as_manager()

    class Meta:
        # The later override wins where two overlap: rotation.py reads them in this order.
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="override_ends_after_it_starts"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} covers {self.schedule}"


class PersonalCalendar(models.Model):
    """The secret address of one person's own shifts, across their teams' schedules."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_calendar"
    )
    token = models.CharField(max_length=64, unique=True, default=new_calendar_token)

    def __str__(self) -> str:
        return f"{self.user}'s on-call calendar"

    def revoke(self) -> None:
        self.token = new_calendar_token()
        self.save(update_fields=["token"])
