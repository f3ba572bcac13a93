"""Browser pages. Every change is a POST that calls incidents.lifecycle, then redirects
back to the incident (htmx boosts these, so the page updates without a full reload)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Role, Team
from accounts.permissions import (
    can_act_for_team,
    can_edit,
    get_incident_for,
    is_incident_admin,
)

from . import lifecycle
from .filters import IncidentFilter
from .forms import (
    DeclareForm,
    EditForm,
    MergeForm,
    NoteForm,
    RoleForm,
    ServiceForm,
    SeverityForm,
    StatusForm,
    StrikeForm,
)
from .live import role_rows
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
    incident = Incident.objects.for_list().get(pk=incident.pk)
    events = incident.events.select_related("author", "struck_by").order_by("seq")
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "events": events,
            "roles": role_rows(incident),
            "can_edit": can_edit(request.user, incident),
            "is_admin": is_incident_admin(request.user, incident),
            "note_form": NoteForm(),
            "status_form": StatusForm(incident=incident),
            "severity_form": SeverityForm(initial={"severity": incident.severity}),
            "role_form": RoleForm(),
            "edit_form": EditForm(
                initial={
                    "title": incident.title,
                    "summary": incident.summary,
                    "services": incident.service_list,
                }
            ),
            "merge_form": MergeForm(),
        },
    )


# --- Actions: each validates a form and calls one lifecycle function ----------------------


def _note(request, incident):
    form = NoteForm(request.POST)
    if form.is_valid():
        lifecycle.add_note(incident, request.user, form.cleaned_data["body"])
    return form


def _status(request, incident):
    form = StatusForm(request.POST, incident=incident)
    if form.is_valid():
        lifecycle.set_status(
            incident, request.user, form.cleaned_data["status"], form.cleaned_data["body"]
        )
    return form


def _severity(request, incident):
    form = SeverityForm(request.POST)
    if form.is_valid():
        lifecycle.set_severity(incident, request.user, form.cleaned_data["severity"])
    return form


def _role_change(change: Callable) -> Callable:
    """A handler for the role form that calls lifecycle.assign_role or unassign_role."""

    def handler(request, incident):
        form = RoleForm(request.POST)
        if form.is_valid():
            change(incident, request.user, form.cleaned_data["role"], form.cleaned_data["user"])
        return form

    return handler


def _acknowledge(request, incident):
    lifecycle.acknowledge(incident, request.user)


def _reopen(request, incident):
    lifecycle.reopen(incident, request.user)


def _strike(request, incident):
    form = StrikeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        lifecycle.strike_note(incident, request.user, data["seq"], data["reason"])
    return form


def _edit(request, incident):
    form = EditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        lifecycle.update(
            incident,
            request.user,
            title=data["title"],
            summary=data["summary"],
            services=data["services"],
        )
    return form


def _merge(request, incident):
    form = MergeForm(request.POST)
    if form.is_valid():
        into = get_incident_for(request.user, form.cleaned_data["into"], edit=True)
        lifecycle.merge(incident, request.user, into)
    return form


ACTIONS: dict[str, Callable] = {
    "note": _note,
    "status": _status,
    "severity": _severity,
    "assign": _role_change(lifecycle.assign_role),
    "unassign": _role_change(lifecycle.unassign_role),
    "acknowledge": _acknowledge,
    "reopen": _reopen,
    "strike": _strike,
    "edit": _edit,
    "merge": _merge,
}


def _message(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc) or "That change is not allowed."


@login_required
@require_POST
def incident_action(request: HttpRequest, ref: str, action: str) -> HttpResponse:
    incident = get_incident_for(request.user, ref, edit=True)
    handler = ACTIONS[action]
    try:
        form = handler(request, incident)
    except (lifecycle.LifecycleError, PermissionDenied) as exc:
        messages.error(request, _message(exc))
    else:
        if form is not None and form.errors:
            for field, errors in form.errors.items():
                label = "" if field == "__all__" else f"{form.fields[field].label or field}: "
                messages.error(request, f"{label}{' '.join(errors)}")
    # Back to where the person was working: the note box, or the top for the rest.
    anchor = "#note-form" if action in ("note", "strike") else ""
    return redirect(incident.get_absolute_url() + anchor)


@login_required
def service_list(request: HttpRequest) -> HttpResponse:
    form = ServiceForm(request.POST or None)
    form.fields["team"].queryset = Team.objects.all()
    if request.method == "POST" and form.is_valid():
        team = form.cleaned_data["team"]
        if not can_act_for_team(request.user, team.pk if team else None, Role.RESPONDER):
            raise PermissionDenied("Only responders may add services.")
        service = form.save()
        messages.success(request, f"Service “{service.name}” added.")
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
            "can_add": can_act_for_team(request.user, None, Role.RESPONDER),
        },
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
