"""Every access decision in Keel, in one place.

Views, the API, the live room and chat commands all ask these helpers. The rules:

- Staff users act as admin everywhere.
- A team member's role on an incident is their role in its team (viewer, responder, admin).
- A public incident is open to everyone signed in: people outside its team act with their
  best role elsewhere, at most responder (admin powers stay inside the owning team); someone
  with no team at all may only look.
- A private incident is seen only by its team's members, the people given a role on it,
  and staff. To everyone else it does not exist (404, not 403, so refs do not leak).
- Anyone with a role on an incident may work on it as a responder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from .models import Membership, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import User

ROLE_ORDER = [Role.VIEWER, Role.RESPONDER, Role.ADMIN]


def _best(*roles: Role | None) -> Role | None:
    present = [r for r in roles if r is not None]
    return max(present, key=ROLE_ORDER.index) if present else None


def team_roles(user: User | AnonymousUser) -> dict[int, Role]:
    """{team_id: role} for the user, computed once per user object."""
    if not user.is_authenticated:
        return {}
    cached = getattr(user, "_keel_team_roles", None)
    if cached is None:
        cached = {
            team_id: Role(role)
            for team_id, role in Membership.objects.filter(user=user).values_list("team_id", "role")
        }
        user._keel_team_roles = cached
    return cached


def team_role(user: User | AnonymousUser, team_id: int | None) -> Role | None:
    if not user.is_authenticated:
        return None
    if user.is_staff:
        return Role.ADMIN
    return team_roles(user).get(team_id) if team_id else None


def can_act_for_team(user: User | AnonymousUser, team_id: int | None, role: Role) -> bool:
    """May the user act with at least `role` for this team (or, with no team, anywhere)?"""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    best = _best(*team_roles(user).values()) if team_id is None else team_role(user, team_id)
    return best is not None and ROLE_ORDER.index(best) >= ROLE_ORDER.index(role)


def _holds_incident_role(user: User, incident: Any) -> bool:
    holders = getattr(incident, "prefetched_roles", None)
    if holders is not None:
        return any(assignment.user_id == user.pk for assignment in holders)
    return incident.roles.filter(user=user).exists()


def incident_role(user: User | AnonymousUser, incident: Any) -> Role | None:
    """The user's effective role on an incident, or None if they may not see it."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_staff:
        return Role.ADMIN
    own = team_roles(user).get(incident.team_id) if incident.team_id else None
    assigned = Role.RESPONDER if _holds_incident_role(user, incident) else None
    if incident.private:
        return _best(own, assigned)
    elsewhere = _best(*team_roles(user).values())
    if elsewhere is Role.ADMIN:
        elsewhere = Role.RESPONDER
    return _best(own, assigned, elsewhere, Role.VIEWER)


def can_view(user: User | AnonymousUser, incident: Any) -> bool:
    return incident_role(user, incident) is not None


def can_edit(user: User | AnonymousUser, incident: Any) -> bool:
    return incident_role(user, incident) in (Role.RESPONDER, Role.ADMIN)


def is_incident_admin(user: User | AnonymousUser, incident: Any) -> bool:
    return incident_role(user, incident) is Role.ADMIN


def may_name_elsewhere(incident: Any) -> bool:
    """May this incident's ref and title appear on another incident (a merge note, a
    "duplicate of" link)? Whoever reads the other incident may not be allowed to see this
    one, so a private incident is never named outside itself."""
    return not incident.private


def visible_incidents_q(user: User | AnonymousUser) -> Q:
    """A filter for the incidents the user may see (mirrors incident_role)."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_staff:
        return Q()
    RoleAssignment = apps.get_model("incidents", "RoleAssignment")
    return (
        Q(private=False)
        | Q(team_id__in=list(team_roles(user)))
        | Q(Exists(RoleAssignment.objects.filter(incident=OuterRef("pk"), user=user)))
    )


def get_incident_for(user: User | AnonymousUser, ref: str, *, edit: bool = False) -> Any:
    """The incident `ref` if the user may see it (and, with edit=True, work on it).

    Raises Http404 when it does not exist or is hidden from the user, PermissionDenied
    when they may see it but not change it.
    """
    Incident = apps.get_model("incidents", "Incident")
    number = Incident.number_from_ref(ref)
    if number is None:
        raise Http404(f"No incident {ref}.")
    try:
        incident = Incident.objects.select_related("team").get(number=number)
    except Incident.DoesNotExist:
        raise Http404(f"No incident {ref}.") from None
    role = incident_role(user, incident)
    if role is None:
        raise Http404(f"No incident {ref}.")
    if edit and role is Role.VIEWER:
        raise PermissionDenied(
            f"You can view {incident.ref} but not change it: ask a team admin to make you "
            "a responder."
        )
    return incident


# --- Services' alert integrations and maintenance ------------------------------------------


def can_see_service_alerts(user: User | AnonymousUser, service: Any) -> bool:
    """Integrations, alerts and maintenance of a service: its team's members (any role) and
    staff. Alerts can name private incidents, so people outside the team do not see them.
    A service without a team is shared: anyone who belongs to some team sees it."""
    return can_act_for_team(user, service.team_id, Role.VIEWER)


def can_manage_service_alerts(user: User | AnonymousUser, service: Any) -> bool:
    """Create, rotate and disable integrations, start and end maintenance: the service's
    team's responders and admins (for a service without a team, any responder)."""
    return can_act_for_team(user, service.team_id, Role.RESPONDER)


def service_alerts_q(user: User | AnonymousUser, field: str = "service") -> Q:
    """A filter for rows belonging to services whose alerts the user may see."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_staff:
        return Q()
    teams = list(team_roles(user))
    shared = Q(**{f"{field}__team__isnull": True}) if teams else Q(pk__in=[])
    return Q(**{f"{field}__team_id__in": teams}) | shared


def get_service_for(user: User | AnonymousUser, pk: Any, *, manage: bool = False) -> Any:
    """The service `pk` for its alert pages: 404 when missing, PermissionDenied when the
    user may not see (or, with manage=True, change) its integrations."""
    Service = apps.get_model("incidents", "Service")
    try:
        service = Service.objects.select_related("team").get(pk=int(pk))
    except (Service.DoesNotExist, ValueError, OverflowError):
        raise Http404(f"No service {pk}.") from None
    if manage and not can_manage_service_alerts(user, service):
        raise PermissionDenied(f"Only responders of {service.team or 'a team'} may do that.")
    if not can_see_service_alerts(user, service):
        raise PermissionDenied(f"Only members of {service.team or 'a team'} see its alerts.")
    return service
