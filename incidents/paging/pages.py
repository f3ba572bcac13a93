"""Paging's browser pages and form posts: page someone from the room, your contact methods
(add, remove, send a test page), a service's policy, and the team's escalation policies.
Refused posts answer 400 (invalid) or 403/404, as the core's page actions do."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import can_manage_service, get_incident_for, visible_teams_q
from incidents.models import Service

from . import delivery, extensions, manual
from .forms import ContactMethodForm, PageSomeoneForm, PolicyForm, ServicePolicyForm
from .models import ContactMethod, EscalationPolicy, NotificationRule
from .serializers import replace_steps


def _refused(form) -> HttpResponse:
    errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
    return HttpResponseBadRequest(f"Not saved: {errors}", content_type="text/plain")


@login_required
@require_POST
def page_someone(request: HttpRequest, ref: str) -> HttpResponse:
    incident = get_incident_for(request.user, ref, edit=True)
    form = PageSomeoneForm(request.POST, incident=incident)
    if not form.is_valid():
        return _refused(form)
    manual.page(incident, request.user, form.target())
    messages.success(request, "Paging. The timeline shows when it is delivered.")
    return redirect(incident.get_absolute_url())


@login_required
@require_POST
def add_contact_method(request: HttpRequest) -> HttpResponse:
    form = ContactMethodForm(request.POST)
    if not form.is_valid():
        return _refused(form)
    data = form.cleaned_data
    with transaction.atomic():
        method = ContactMethod.objects.create(
            user=request.user, kind=data["kind"], address=data["address"]
        )
        NotificationRule.objects.create(contact_method=method, delay_minutes=data["delay_minutes"])
    note = f" Its signing secret: {method.secret} (shown once)." if method.secret else ""
    messages.success(request, f"Added {method}.{note}")
    return redirect("accounts:profile")


@login_required
@require_POST
def remove_contact_method(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(ContactMethod, pk=pk, user=request.user)
    method.delete()
    messages.success(request, f"Removed {method}.")
    return redirect("accounts:profile")


@login_required
@require_POST
def test_contact_method(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(ContactMethod, pk=pk, user=request.user)
    result = delivery.send_test(method.pk, timezone.now())
    if result.delivered:
        messages.success(request, f"Test page sent to {method}.")
    else:
        messages.error(request, f"Test page to {method}: {result.detail}")
    return redirect("accounts:profile")


@login_required
@require_POST
def service_policy(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(Service, pk=pk)
    if not can_manage_service(request.user, service.team_id):
        raise PermissionDenied(f"Only responders of {service.team} may change {service}.")
    form = ServicePolicyForm(request.POST, service=service)
    if not form.is_valid():
        return _refused(form)
    policy = form.cleaned_data["policy"]
    extensions.save(service, policy)
    messages.success(request, f"{service} pages with {policy or 'nobody'}.")
    return redirect("incidents:services")


@login_required
def policies(request: HttpRequest) -> HttpResponse:
    form = PolicyForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if not form.fields["team"].queryset.exists():
            raise PermissionDenied("Only a team's responders may add its escalation policies.")
        if form.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                policy = EscalationPolicy.objects.create(
                    name=data["name"], team=data["team"], repeat=data["repeat"]
                )
                replace_steps(policy, data["steps"])
            messages.success(request, f"Escalation policy “{policy.name}” added.")
            return redirect("paging:policies")
    shown = (
        EscalationPolicy.objects.filter(visible_teams_q(request.user))
        .select_related("team")
        .prefetch_related("steps")
    )
    return render(
        request, "paging/policies.html", {"policies": shown, "form": form},
        status=400 if form.is_bound else 200,
    )  # fmt: skip
