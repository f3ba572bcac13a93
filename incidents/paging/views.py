"""The acknowledge link. Public (the paged person may be on a phone, logged out) but signed:
GET shows the incident and its buttons and changes nothing, because mail scanners follow
links; POST acknowledges, escalates or snoozes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from incidents import lifecycle

from . import ack, control
from .models import Notification

SNOOZE_CHOICES = (5, 15, 30, 60, 120, 240)  # up to the most the API allows
BAD_ACTION = "Choose acknowledge, escalate or snooze."


def _notification(token: str) -> Notification:
    delivery_id = ack.delivery_of(token)
    found = (
        Notification.objects.select_related("incident", "user", "escalation")
        .filter(delivery_id=delivery_id)
        .first()
    )
    if found is None:
        raise ack.BadLink("This acknowledge link is not valid.", 404)
    if not found.user.is_active:
        # Whoever has the link now is not the person it was sent to.
        raise ack.BadLink("This acknowledge link is no longer valid.", 404)
    return found


def _answer(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    """The ack page, or for a service worker acting on a push notification's button
    (Accept: application/json) just what happened: {"message"} or {"error"}."""
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({k: context[k] for k in ("message", "error") if k in context},
                            status=status)  # fmt: skip
    return render(request, "paging/ack.html", context, status=status)


# No CSRF token: the person follows a link from a mail or a chat message, with no session;
# the signed, single-use token in the URL is what authorizes the POST.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def acknowledge(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the link is for and the moves (acknowledge, escalate, snooze); POST
    makes one. A used or expired link shows only that, nothing of the incident."""
    try:
        notification = _notification(token)
        if notification.ack_used_at is not None:
            raise ack.BadLink(ack.USED, 410)
        if request.method == "POST":
            action = request.POST.get("action") or "acknowledge"
            if action not in ack.ACTIONS:
                return _answer(request, {"error": BAD_ACTION}, status=400)
            message = ack.use(notification, action, timezone.now(), request.POST.get("minutes"))
            return _answer(request, {"message": message})
    except ack.BadLink as exc:
        return _answer(request, {"error": exc.message}, status=exc.status)
    except lifecycle.LifecycleError as exc:  # snooze minutes out of range: link still unused
        return _answer(request, {"error": exc.message}, status=400)
    incident = notification.incident
    context = {
        "notification": notification, "incident": incident, "token": token,
        "now": control.now_for(incident), "snooze_choices": SNOOZE_CHOICES,
    }  # fmt: skip
    return render(request, "paging/ack.html", context)
