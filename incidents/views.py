"""Browser pages. Every change is a POST that calls incidents.lifecycle, then redirects
back to the incident (htmx boosts these, so the page updates without a full reload)."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

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
    return render(request, "incidents/declare.html", {"form": form})


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
        "role_form": RoleForm(),
        "edit_form": EditForm(
            initial={
                "title": incident.title,
                "summary": incident.summary,
                "services": incident.service_list,
            }
        ),
        "merge_form": MergeForm(),
        **(bound or {}),
    }
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


# --- Actions: each validates a form and calls one lifecycle function ----------------------
# A handler returns its bound form (kept on the page if it is invalid) and lets lifecycle's
# refusals propagate; incident_action turns those into an answer.


def _note(request: HttpRequest, incident: Incident) -> Form:
    form = NoteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        lifecycle.add_note(incident, request.user, data["body"], occurred_at=data["occurred_at"])
    return form


def _status(request: HttpRequest, incident: Incident) -> Form:
    form = StatusForm(request.POST)
    if form.is_valid():
        lifecycle.set_status(
            incident, request.user, form.cleaned_data["status"], form.cleaned_data["body"]
        )
    return form


def _severity(request: HttpRequest, incident: Incident) -> Form:
    form = SeverityForm(request.POST)
    if form.is_valid():
        lifecycle.set_severity(incident, request.user, form.cleaned_data["severity"])
    return form


def _role_change(change: Callable) -> Callable[[HttpRequest, Incident], Form]:
    """A handler for the role form that calls lifecycle.assign_role or unassign_role."""

    def handler(request: HttpRequest, incident: Incident) -> Form:
        form = RoleForm(request.POST)
        if form.is_valid():
            change(incident, request.user, form.cleaned_data["role"], form.cleaned_data["user"])
        return form

    return handler


def _acknowledge(request: HttpRequest, incident: Incident) -> Form:
    form = MoveNoteForm(request.POST)
    if form.is_valid():
        lifecycle.acknowledge(incident, request.user, form.cleaned_data["body"])
    return form


def _reopen(request: HttpRequest, incident: Incident) -> Form:
    form = MoveNoteForm(request.POST)
    if form.is_valid():
        lifecycle.reopen(incident, request.user, form.cleaned_data["body"])
    return form


def _strike(request: HttpRequest, incident: Incident) -> Form:
    form = StrikeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        lifecycle.strike_note(incident, request.user, data["seq"], data["reason"])
    return form


def _edit(request: HttpRequest, incident: Incident) -> Form:
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


def _merge(request: HttpRequest, incident: Incident) -> Form:
    form = MergeForm(request.POST)
    if form.is_valid():
        ref = form.cleaned_data["into"]
        try:
            into = get_incident_for(request.user, ref, edit=True)
        except Http404:
            form.add_error("into", f"There is no incident {ref} that you can see. Check the ref.")
        else:
            lifecycle.merge(incident, request.user, into)
    return form


ACTIONS: dict[str, Callable[[HttpRequest, Incident], Form]] = {
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
# The page's form that keeps what the person typed when an action is refused.
BOUND_AS = {"note": "note_form", "assign": "role_form", "edit": "edit_form", "merge": "merge_form"}


def _message(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc) or "That change is not allowed."


@login_required
@require_POST
def incident_action(request: HttpRequest, ref: str, action: str) -> HttpResponse:
    """Allowed: a redirect back to the incident (302). Refused: the incident page again,
    saying why, with what was typed kept: 409 when the incident's state does not allow
    it, 400 for invalid input, 403 when this person may not."""
    incident = get_incident_for(request.user, ref, edit=True)
    form = None
    try:
        form = ACTIONS[action](request, incident)
    except lifecycle.Conflict as exc:
        refusal, status = [_message(exc)], 409
    except lifecycle.LifecycleError as exc:
        refusal, status = [_message(exc)], 400
    except PermissionDenied as exc:
        refusal, status = [_message(exc)], 403
    else:
        if not form.errors:
            # Back to where the person was working: the note box, or the top for the rest.
            anchor = "#note-form" if action in ("note", "strike") else ""
            return redirect(incident.get_absolute_url() + anchor)
        refusal, status = [], 400
        for field, errors in form.errors.items():
            label = "" if field == "__all__" else f"{form.fields[field].label or field}: "
            refusal.append(f"{label}{' '.join(errors)}")
    for text in refusal:
        messages.error(request, text)
    bound = {BOUND_AS[action]: form} if action in BOUND_AS and form is not None else {}
    return _incident_page(request, incident, bound, status=status)


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
