"""Browser pages. Every change is a POST that calls incidents.lifecycle, then redirects
back to the incident (htmx boosts these, so the page updates without a full reload)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.models import Role, Team
from accounts.permissions import (
    can_act_for_team,
    can_edit,
    get_incident_for,
    is_incident_admin,
)

from . import display, lifecycle
from .filters import IncidentFilter
from .forms import (
    DeclareForm,
    EditForm,
    MergeForm,
    MoveNoteForm,
    NoteForm,
    RoleForm,
    ServiceForm,
    SeverityForm,
    SnoozeForm,
    StatusForm,
    StrikeForm,
)
from .models import Incident, Service, Severity, Status

PAGE_SIZE = 50


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    params.setdefault("status", "open")
    queryset = Incident.objects.visible_to(request.user).for_list()
    filterset = IncidentFilter(params, queryset=queryset)
    if not filterset.is_valid():
        for errors in filterset.errors.values():
            for error in errors:
                messages.error(request, error)
        incidents = queryset.none()
    else:
        incidents = filterset.qs
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    query = params.copy()
    query.pop("page", None)
    return render(
        request,
        "incidents/list.html",
        {
            "page": page,
            "filters": params,
            "query": query.urlencode(),
            "severities": Severity.choices,
            "statuses": Status.choices,
            "services": Service.objects.all(),
            "teams": Team.objects.all(),
            "can_declare": can_act_for_team(request.user, None, Role.RESPONDER),
        },
    )


@login_required
def declare(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and not can_act_for_team(request.user, None, Role.RESPONDER):
        raise PermissionDenied("Only responders may declare incidents.")
    form = DeclareForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = lifecycle.declare(
                request.user,
                title=data["title"],
                severity=data["severity"],
                summary=data["summary"],
                team=data["team"],
                services=data["services"],
                private=data["private"],
                data={} if data.get("page") is None else {"page": data["page"]},
            )
        except (lifecycle.LifecycleError, PermissionDenied) as exc:
            form.add_error(None, _message(exc))
        else:
            messages.success(request, f"{incident.ref} declared. You are its commander.")
            return redirect(incident)
    # A refused declaration says so in its status too, not only on the page.
    status = 400 if form.is_bound else 200
    return render(request, "incidents/declare.html", {"form": form}, status=status)


@login_required
def incident_detail(request: HttpRequest, ref: str) -> HttpResponse:
    incident = get_incident_for(request.user, ref)
    return _incident_page(request, incident)


def _incident_page(
    request: HttpRequest,
    incident: Incident,
    bound: dict[str, Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The incident page; after a refused action, with the person's input kept (`bound`)."""
    incident = Incident.objects.for_list().get(pk=incident.pk)
    events = incident.events.select_related("author", "struck_by").order_by("occurred_at", "seq")
    zone = timezone.get_current_timezone_name()
    forms = {
        "note_form": NoteForm(),
        "role_form": RoleForm(viewer=request.user, incident=incident),
        "merge_form": MergeForm(),
        **(bound or {}),
    }
    when = forms["note_form"].fields["occurred_at"]
    when.help_text = f"For something noticed earlier; leave empty for now. Your time zone: {zone}."
    context = display.incident_context(
        incident,
        events=events,
        can_edit=can_edit(request.user, incident),
        is_admin=is_incident_admin(request.user, incident),
        time_zone=zone,
        zone_names=json.dumps(display.zone_names(zone)),
        **forms,
    )
    return render(request, "incidents/detail.html", context, status=status)


# --- Actions: each is a form and a step that passes its cleaned data to lifecycle ---------
# A step lets lifecycle's refusals propagate; incident_action turns them into an answer.

Step = Callable[[HttpRequest, Incident, dict[str, Any], Form], None]


def _note(request: HttpRequest, incident: Incident, data: dict[str, Any], form: Form) -> None:
    lifecycle.add_note(incident, request.user, data["body"], occurred_at=data["occurred_at"])


def _status(request: HttpRequest, incident: Incident, data: dict[str, Any], form: Form) -> None:
    lifecycle.set_status(incident, request.user, data["status"], data["body"])


def _severity(request: HttpRequest, incident: Incident, data: dict[str, Any], form: Form) -> None:
    lifecycle.set_severity(incident, request.user, data["severity"])


def _assign(request: HttpRequest, incident: Incident, data: dict[str, Any], form: Form) -> None:
    lifecycle.assign_role(incident, request.user, data["role"], data["user"])


def _unassign(request: HttpRequest, incident: Incident, data: dict[str, Any], form: Form) -> None:
    lifecycle.unassign_role(incident, request.user, data["role"], data["user"])


def _acknowledge(
    request: HttpRequest, incident: Incident, data: dict[str, Any], form: Form
) -> None:
    lifecycle.acknowledge(incident, request.user, data["body"])


def _escalate(request: HttpRequest, incident: Incident, data: dict[str, Any], form: Form) -> None:
    lifecycle.escalate(incident, request.user)


def _snooze(request: HttpRequest, incident: Incident, data: dict[str, Any], form: Form) -> None:
    lifecycle.snooze(incident, request.user, data["minutes"])


def _reopen(request: HttpRequest, incident: Incident, data: dict[str, Any], form: Form) -> None:
    lifecycle.reopen(incident, request.user, data["body"])


def _strike(request: HttpRequest, incident: Incident, data: dict[str, Any], form: Form) -> None:
    lifecycle.strike_note(incident, request.user, data["seq"], data["reason"])


def _edit(request: HttpRequest, incident: Incident, data: dict[str, Any], form: Form) -> None:
    lifecycle.update(
        incident,
        request.user,
        title=data["title"],
        summary=data["summary"],
        services=data["services"],
    )


def _merge(request: HttpRequest, incident: Incident, data: dict[str, Any], form: Form) -> None:
    try:
        into = get_incident_for(request.user, data["into"], edit=True)
    except Http404:
        # A typo, or an incident this person cannot see: the same words for both.
        form.add_error("into", f"There is no incident {data['into']} that you can see.")
        return
    lifecycle.merge(incident, request.user, into)


ACTIONS: dict[str, tuple[type[Form], Step]] = {
    "note": (NoteForm, _note),
    "status": (StatusForm, _status),
    "severity": (SeverityForm, _severity),
    "assign": (RoleForm, _assign),
    "unassign": (RoleForm, _unassign),
    "acknowledge": (MoveNoteForm, _acknowledge),
    "escalate": (Form, _escalate),
    "snooze": (SnoozeForm, _snooze),
    "reopen": (MoveNoteForm, _reopen),
    "strike": (StrikeForm, _strike),
    "edit": (EditForm, _edit),
    "merge": (MergeForm, _merge),
}
# The page's form that keeps what the person typed when an action is refused.
BOUND_AS = {"note": "note_form", "assign": "role_form", "edit": "edit_form", "merge": "merge_form"}


def _message(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc) or "That change is not allowed."


@login_required
@require_http_methods(["GET", "POST"])
def incident_action(request: HttpRequest, ref: str, action: str) -> HttpResponse:
    """Allowed: a redirect back to the incident (302). Refused: the incident page again,
    saying why, with what was typed kept: 409 when the incident's state does not allow
    it, 400 for invalid input, 403 when this person may not. A refused action leaves the
    browser at this address, so a reload (a GET) goes back to the incident page."""
    if request.method == "GET":
        return redirect("incidents:detail", ref=ref)
    incident = get_incident_for(request.user, ref, edit=True)
    form_class, step = ACTIONS[action]
    # The role form lists (and accepts) only the people this person may see.
    extra = {"viewer": request.user, "incident": incident} if form_class is RoleForm else {}
    form = form_class(request.POST, **extra)
    refusal: list[str] = []
    status = 400
    try:
        if form.is_valid():
            step(request, incident, form.cleaned_data, form)
    except lifecycle.LifecycleError as exc:
        # Conflict is a LifecycleError: the incident's state does not allow it.
        status = 409 if isinstance(exc, lifecycle.Conflict) else 400
        refusal.append(_message(exc))
        if exc.field in form.fields:
            form.add_error(exc.field, exc.message)
    except PermissionDenied as exc:
        status = 403
        refusal.append(_message(exc))
    else:
        if not form.errors:
            # Back to where the person was working: the note box, or the top for the rest.
            anchor = "#note-form" if action in ("note", "strike") else ""
            return redirect(incident.get_absolute_url() + anchor)
        for field, errors in form.errors.items():
            label = "" if field == "__all__" else f"{form[field].label}: "
            refusal.append(f"{label}{' '.join(errors)}")
    for text in refusal:
        messages.error(request, text)
    bound = {BOUND_AS[action]: form} if action in BOUND_AS else {}
    return _incident_page(request, incident, bound, status=status)


@login_required
def service_list(request: HttpRequest) -> HttpResponse:
    form = ServiceForm(request.POST or None, user=request.user)
    can_add = form.fields["team"].queryset.exists()
    if request.method == "POST":
        if not can_add:
            raise PermissionDenied("Only a team's responders may add services to it.")
        if form.is_valid():
            service = form.save()
            messages.success(request, f"Service “{service.name}” added to {service.team}.")
            return redirect("incidents:services")
    services = Service.objects.select_related("team").order_by("name")
    open_counts = {
        row["services"]: row["count"]
        for row in Incident.objects.visible_to(request.user)
        .open()
        .values("services")
        .annotate(count=Count("pk", distinct=True))
    }
    return render(
        request,
        "services/list.html",
        {
            "services": [(service, open_counts.get(service.pk, 0)) for service in services],
            "form": form,
            "can_add": can_add,
        },
        # A refused form says so in its status too, as every page action does.
        status=400 if form.is_bound else 200,
    )


@login_required
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One service: its open incidents here; capability apps add their panels (alerts,
    integrations, maintenance) through the template."""
    service = get_object_or_404(Service.objects.select_related("team"), pk=pk)
    incidents = Incident.objects.visible_to(request.user).open().filter(services=service)
    return render(
        request,
        "services/detail.html",
        {"service": service, "incidents": incidents.for_list()[:20]},
    )
