"""The audit log: one append-only row per configuration change or sign-in.

Rows copy what they name (the actor's email, the object's name, team ids) instead of
pointing at it: an entry must outlive the person, team or object it is about, and deleting
them must not touch it (on PostgreSQL a trigger refuses UPDATE and DELETE on the table).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Action(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def for_teams(self, team_ids: list[int]) -> AuditEntryQuerySet:
        """Entries about these teams' things (a service moved between teams: both)."""
        return self.filter(models.Q(team_id__in=team_ids) | models.Q(previous_team_id__in=team_ids))


class AuditEntry(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, help_text="The person's user id.")
    # The person's email, or "system (manage.py <command>)" / "anonymous".
    actor = models.CharField(max_length=254)
    # How: "API token keel_ab12cd…", "admin", "" for the site's own pages.
    via = models.CharField(max_length=100, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=40, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_name = models.CharField(max_length=200, blank=True)
    team_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Set when the change moved the object to another team (the team it left).
    previous_team_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # {field: [before, after]}, secrets masked.
    changes = models.JSONField(default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Audit entries are append-only: an entry is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries are append-only: an entry is never deleted.")
