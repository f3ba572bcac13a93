"""Paging panels other pages include with one line: the incident page's "Paging" card (who
was paged, when, how, delivered or failed, who acknowledged; "page someone"), the profile's
contact methods and recent pages, and a service's policy on the services page."""

from __future__ import annotations

from django import template

from accounts.permissions import can_edit, can_manage_service

from ..forms import ContactMethodForm, PageSomeoneForm, ServicePolicyForm
from ..models import ContactMethod, Escalation, Notification, ServicePaging

register = template.Library()
RECENT = 20


@register.inclusion_tag("paging/_incident_panel.html", takes_context=True)
def paging_panel(context, incident) -> dict:
    user = context["request"].user
    notifications = (
        Notification.objects.filter(incident=incident)
        .select_related("user", "escalation")
        .order_by("-created_at", "-pk")[:RECENT]
    )
    escalation = Escalation.objects.filter(incident=incident, policy__isnull=False).first()
    editable = can_edit(user, incident)
    return {
        "incident": incident,
        "notifications": notifications,
        "escalation": escalation,
        "form": PageSomeoneForm(incident=incident) if editable else None,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("paging/_profile.html", takes_context=True)
def paging_profile(context) -> dict:
    user = context["request"].user
    return {
        "methods": ContactMethod.objects.filter(user=user).prefetch_related("rules"),
        "failed": ContactMethod.objects.filter(user=user, failed_at__isnull=False).exists(),
        "form": ContactMethodForm(),
        "recent": Notification.objects.filter(user=user)
        .select_related("incident")
        .order_by("-created_at")[:10],
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("paging/_service_policy.html", takes_context=True)
def service_policy(context, service) -> dict:
    user = context["request"].user
    link = ServicePaging.objects.filter(service=service).select_related("policy").first()
    form = None
    if service.team_id and can_manage_service(user, service.team_id):
        form = ServicePolicyForm(service=service, initial={"policy": link and link.policy})
    return {"service": service, "policy": link.policy if link else None, "form": form,
            "csrf_token": context.get("csrf_token")}  # fmt: skip
