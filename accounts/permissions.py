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
- A long-lived connection (the live room) keeps its access only while the session it
  was opened with still signs the person in (not logged out, password unchanged).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.crypto import constant_time_compare

from .models import Membership, Role, Team

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


def viewers_q(incident: Any) -> Q:
    """A filter on User for the people who may see a private incident (mirrors
    incident_role): staff, its team's members and the people holding a role on it.
    A public incident is seen by everyone signed in; the live incident list pushes its
    changes to all (incidents/feed.py)."""
    who = Q(is_staff=True) | Q(incident_roles__incident_id=incident.pk)
    if incident.team_id is not None:
        who |= Q(memberships__team_id=incident.team_id)
    return Q(is_active=True) & who


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


def people_visible_to(user: User | AnonymousUser, incident: Any = None) -> QuerySet[User]:
    """The active people a user may see and name: those who share a team with them, and
    themselves (staff see everyone). With an incident the user can see, also the people
    holding a role on it (its page shows them anyway), so they can be handed roles or
    relieved of them. Team lists, the assign-role form and every field that names a
    person (by email or id) use this, so an address outside your teams is neither listed
    nor confirmed to exist."""
    people = get_user_model().objects.filter(is_active=True)
    if not user.is_authenticated or not user.is_active:
        return people.none()
    if user.is_staff:
        return people
    teams = list(team_roles(user))
    shared = Membership.objects.filter(user=OuterRef("pk"), team_id__in=teams)
    condition = Q(pk=user.pk) | Q(Exists(shared))
    if incident is not None and can_view(user, incident):
        RoleAssignment = apps.get_model("incidents", "RoleAssignment")
        holders = RoleAssignment.objects.filter(incident=incident, user=OuterRef("pk"))
        condition |= Q(Exists(holders))
    return people.filter(condition)


def can_manage_service(user: User | AnonymousUser, team_id: int | None) -> bool:
    """May the user add a service to this team, or change one of the team's services?

    Services belong to a team: its responders and admins manage them (staff too). A
    service with no team (from before teams were required) can be changed by staff only,
    who can also give it a team."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff:
        return True
    if team_id is None:
        return False
    role = team_roles(user).get(team_id)
    return role in (Role.RESPONDER, Role.ADMIN)


def service_teams_q(user: User | AnonymousUser) -> Q:
    """A filter on Team for the teams the user may add services to."""
    if user.is_authenticated and user.is_staff:
        return Q()
    managed = [team_id for team_id, role in team_roles(user).items() if role != Role.VIEWER]
    return Q(pk__in=managed)


# --- On-call schedules: team members read, team responders edit, everyone else gets 404 -----


def visible_teams_q(user: User | AnonymousUser, field: str = "team_id") -> Q:
    """A filter for rows of the teams the user belongs to (staff: every team)."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_staff:
        return Q()
    return Q(**{f"{field}__in": list(team_roles(user))})


def can_edit_schedules(user: User | AnonymousUser, team_id: int | None) -> bool:
    return team_id is not None and can_act_for_team(user, team_id, Role.RESPONDER)


def get_schedule_for(user: User | AnonymousUser, schedule_id: Any, *, edit: bool = False) -> Any:
    """The schedule if the user is in its team (with edit=True: a responder or admin there).

    Raises Http404 when it does not exist or belongs to another team, PermissionDenied
    when the user may read it but not change it."""
    schedule = _team_row_for(user, "oncall.Schedule", schedule_id, "schedule")
    if edit and not can_edit_schedules(user, schedule.team_id):
        raise PermissionDenied(
            f"You can view {schedule.name} but not change it: ask a team admin to make you a "
            "responder."
        )
    return schedule


def _team_row_for(user: User | AnonymousUser, model: str, pk: Any, noun: str) -> Any:
    """A row of `model` ("app.Model", with a `team`) of one of the user's teams, else 404:
    another team's row does not exist for them."""
    Model = apps.get_model(model)
    try:
        return Model.objects.select_related("team").get(visible_teams_q(user), pk=int(pk))
    except (Model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(f"No such {noun}.") from None


# --- Escalation policies: as schedules. A team's members read its policies, its responders
# and admins (and staff) change them, everyone else gets 404 (the API's viewset and the
# browser's pages both ask these).


def can_edit_policies(user: User | AnonymousUser, team_id: int | None) -> bool:
    return team_id is not None and can_act_for_team(user, team_id, Role.RESPONDER)


def get_policy_for(user: User | AnonymousUser, policy_id: Any, *, edit: bool = False) -> Any:
    """The escalation policy if the user is in its team (with edit=True: a responder or
    admin there). Raises Http404 when it does not exist or belongs to another team,
    PermissionDenied when the user may read it but not change it."""
    policy = _team_row_for(user, "paging.EscalationPolicy", policy_id, "escalation policy")
    if edit and not can_edit_policies(user, policy.team_id):
        raise PermissionDenied(
            f"You can view {policy.name} but not change it: only responders and admins of "
            f"{policy.team} can."
        )
    return policy


def get_policy_team_for(user: User | AnonymousUser, team_id: Any) -> Any:
    """The team the user may add an escalation policy to: 404 for a team they are not in,
    PermissionDenied when they are in it but only as a viewer."""
    try:
        team = Team.objects.get(visible_teams_q(user, "pk"), pk=int(team_id))
    except (Team.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such team.") from None
    if not can_edit_policies(user, team.pk):
        raise PermissionDenied(f"Only responders and admins of {team} can add its policies.")
    return team


# --- Postmortems ---------------------------------------------------------------------------
# Responders write a postmortem while it is a draft or in review; a requested reviewer or a
# team admin approves it; once published it is read-only for everyone.


def can_write_postmortem(user: User | AnonymousUser, incident: Any, published: bool) -> bool:
    return not published and can_edit(user, incident)


def may_review_postmortem(user: User | AnonymousUser, incident: Any) -> bool:
    """May the user be asked to review (they must be able to work on the incident)?"""
    return can_edit(user, incident)


def can_approve_postmortem(
    user: User | AnonymousUser, incident: Any, requested_reviewer_ids: set[int]
) -> bool:
    if not can_edit(user, incident):
        return False
    return user.pk in requested_reviewer_ids or is_incident_admin(user, incident)


def session_signs_in(user: User | None, session_key: str | None) -> bool:
    """Does the stored session `session_key` still sign `user` in?

    The same test Django's get_user() makes on every request, read afresh from the
    session store: False once the person logged out (the session is gone), or changed
    their password (the session's auth hash no longer matches), or was deactivated.
    """
    if user is None or not user.is_active or not session_key:
        return False
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if str(session.get(SESSION_KEY)) != str(user.pk):
        return False
    if session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return False
    stored = session.get(HASH_SESSION_KEY) or ""
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return bool(stored) and any(constant_time_compare(stored, h) for h in hashes)


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
