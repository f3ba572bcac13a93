"""Who reads the audit log: staff read everything; a team admin reads the entries about
their teams' things; nobody else reads it at all."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from accounts.models import Role, User
from accounts.permissions import team_roles

from .models import AuditEntry, AuditEntryQuerySet


def admin_team_ids(user: User | AnonymousUser) -> list[int]:
    # team_roles is read once per request and shared with every other check on the page.
    return sorted(team_id for team_id, role in team_roles(user).items() if role == Role.ADMIN)


def may_read_audit(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and (user.is_staff or bool(admin_team_ids(user)))


def entries_for(user: User | AnonymousUser) -> AuditEntryQuerySet:
    """The entries `user` may read; PermissionDenied for people who may read none."""
    if not may_read_audit(user):
        raise PermissionDenied("The audit log is for staff and team admins.")
    if user.is_staff:
        return AuditEntry.objects.all()
    return AuditEntry.objects.for_teams(admin_team_ids(user))
