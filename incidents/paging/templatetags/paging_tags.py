"""Paging panels other pages include with one line: the incident page's "Paging" card (who
was paged, when, how, delivered or failed, who acknowledged; "page someone"), the profile's
contact methods and recent pages, and a service's policy on the services page."""

from __future__ import annotations

from django import template
from django.conf import settings

from accounts.permissions import can_edit, can_manage_service

from .. import control, panel, providers
from ..forms import ContactMethodForm, PageSomeoneForm, ServicePolicyForm
from ..models import ContactMethod, Notification, ServicePaging
from ..serializers import MAX_DELAY

register = template.Library()


@register.inclusion_tag("paging/_incident_panel.html", takes_context=True)
def paging_panel(context, incident) -> dict:
    user = context["request"].user
    editable = can_edit(user, incident)
    return {
        **panel.state(incident),
        # Its own ids: the room's assign-role form has a `user` field too, and a label for
        # a repeated id names the first one on the page (the wrong form).
        "form": (
            PageSomeoneForm(incident=incident, user=user, auto_id="page-%s") if editable else None
        ),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("paging/_now.html", takes_context=True)
def paging_now(context, incident) -> dict:
    """The paging going on now, at the top of the room, with its moves."""
    return {"incident": incident, "now": control.now_for(incident),
            "can_edit": can_edit(context["request"].user, incident),
            "csrf_token": context.get("csrf_token")}  # fmt: skip


@register.inclusion_tag("paging/_profile.html", takes_context=True)
def paging_profile(context) -> dict:
    user = context["request"].user
    methods = list(
        ContactMethod.objects.filter(user=user)
        .select_related("push_subscription")
        .prefetch_related("rules")
    )
    return {
        "methods": methods,
        "failed": any(m.failed_at for m in methods),
        "form": ContactMethodForm(),
        "phone_missing": [
            providers.why_not(k) for k in ("sms", "voice") if k not in providers.offered()
        ][:1],
        "max_delay": MAX_DELAY,
        "vapid_public_key": settings.VAPID_PUBLIC_KEY,
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
