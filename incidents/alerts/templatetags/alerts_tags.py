"""The alerts panels that core pages include: {% incident_alerts_panel incident %} on the
incident page, {% service_alerts_panel service %} on the service page. The core's views
know nothing of alerts; these tags fetch what the panels show."""

from __future__ import annotations

from django import template

from accounts.permissions import can_manage_service_alerts, can_see_service_alerts

from ..forms import IntegrationForm, MaintenanceForm
from ..models import Alert, MaintenanceWindow
from ..pages import SHOWN_ONCE, incident_alerts
from ..sender_config import sender_config

register = template.Library()

RECENT_ALERTS = 20


@register.inclusion_tag("alerts/_incident_panel.html")
def incident_alerts_panel(incident) -> dict:
    """The incident's alerts. Whoever sees the incident page may see its alerts."""
    return {"incident": incident, "alerts": incident_alerts(incident)}


@register.inclusion_tag("alerts/_service_panel.html", takes_context=True)
def service_alerts_panel(context, service) -> dict:
    request = context["request"]
    user = request.user
    if not can_see_service_alerts(user, service):
        return {"visible": False, "service": service}
    integrations = list(service.integrations.order_by("pk"))
    shown_once = None
    pending = request.session.get(SHOWN_ONCE)
    if pending and any(i.pk == pending.get("integration") for i in integrations):
        del request.session[SHOWN_ONCE]
        integration = next(i for i in integrations if i.pk == pending["integration"])
        shown_once = {
            **pending,
            "integration": integration,
            "config": sender_config(integration.kind, pending["key"], pending["url"]),
        }
    return {
        "visible": True,
        "service": service,
        "csrf_token": context.get("csrf_token"),
        "can_manage": can_manage_service_alerts(user, service),
        "integrations": integrations,
        "shown_once": shown_once,
        "alerts": list(
            Alert.objects.filter(integration__service=service)
            .select_related("incident", "integration")
            .order_by("-last_seen")[:RECENT_ALERTS]
        ),
        "maintenance": list(
            MaintenanceWindow.objects.filter(service=service)
            .select_related("created_by")
            .order_by("-starts_at")[:5]
        ),
        "active_maintenance": MaintenanceWindow.objects.active().filter(service=service).first(),
        "integration_form": IntegrationForm(),
        "maintenance_form": MaintenanceForm(),
    }
