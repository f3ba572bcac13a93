"""The service page's forms for integrations and maintenance. Each checks access through
accounts.permissions, writes this app's own rows, and goes back to the service page.
Also the incident room's alerts panel, fetched again when the room shows an alert event."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import get_incident_for, get_service_for

from .forms import IntegrationForm, MaintenanceForm
from .models import Alert, Integration, MaintenanceWindow

# The new key travels to the next page view in the session, to be shown there once.
SHOWN_ONCE = "alerts_shown_once"
INCIDENT_ALERTS = 50


def incident_alerts(incident) -> list[Alert]:
    """The alerts an incident's room shows, latest first."""
    return list(
        Alert.objects.filter(incident=incident)
        .select_related("integration")
        .order_by("-last_seen")[:INCIDENT_ALERTS]
    )


def _back(service) -> HttpResponse:
    return redirect("incidents:service", service.pk)


def _show_once(request: HttpRequest, integration: Integration, raw_key: str) -> None:
    request.session[SHOWN_ONCE] = {
        "integration": integration.pk,
        "key": raw_key,
        "url": integration.hook_url(raw_key),
    }


@login_required
def incident_panel(request: HttpRequest, ref: str) -> HttpResponse:
    """The room's alerts panel, current (firing or resolved, counts): whoever sees the
    incident sees its alerts. The panel fetches it on the room's room:alert event."""
    incident = get_incident_for(request.user, ref)
    return render(request, "alerts/_incident_alerts.html", {"alerts": incident_alerts(incident)})


@login_required
@require_POST
def create_integration(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_service_for(request.user, pk, manage=True)
    form = IntegrationForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return _back(service)
    integration = form.save(commit=False)
    integration.service = service
    integration.created_by = request.user
    raw_key = integration.new_key()
    integration.save()
    _show_once(request, integration, raw_key)
    messages.success(request, f"{integration.get_kind_display()} integration added.")
    return _back(service)


@login_required
@require_POST
def rotate_integration(request: HttpRequest, pk: int, integration_id: int) -> HttpResponse:
    service = get_service_for(request.user, pk, manage=True)
    integration = get_object_or_404(Integration, pk=integration_id, service=service)
    raw_key = integration.new_key()
    integration.save(update_fields=["key_hash", "key_hint", "key_rotated_at"])
    _show_once(request, integration, raw_key)
    messages.success(request, "New key made; the old one no longer works.")
    return _back(service)


@login_required
@require_POST
def toggle_integration(request: HttpRequest, pk: int, integration_id: int) -> HttpResponse:
    service = get_service_for(request.user, pk, manage=True)
    integration = get_object_or_404(Integration, pk=integration_id, service=service)
    integration.enabled = not integration.enabled
    integration.save(update_fields=["enabled"])
    state = "enabled" if integration.enabled else "disabled: its key is refused (404)"
    messages.success(request, f"Integration {state}.")
    return _back(service)


@login_required
@require_POST
def start_maintenance(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_service_for(request.user, pk, manage=True)
    form = MaintenanceForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return _back(service)
    now = timezone.now()
    MaintenanceWindow.objects.create(
        service=service,
        starts_at=now,
        ends_at=now + timedelta(minutes=form.cleaned_data["minutes"]),
        reason=form.cleaned_data["reason"],
        created_by=request.user,
    )
    messages.success(request, f"{service} is in maintenance: its alerts open no incident.")
    return _back(service)


@login_required
@require_POST
def end_maintenance(request: HttpRequest, pk: int, window_id: int) -> HttpResponse:
    service = get_service_for(request.user, pk, manage=True)
    window = get_object_or_404(MaintenanceWindow, pk=window_id, service=service)
    now = timezone.now()
    if window.ends_at > now:
        window.ends_at = max(now, window.starts_at)
        window.save(update_fields=["ends_at"])
    messages.success(request, "Maintenance ended.")
    return _back(service)
