"""The acknowledge link. Public (the paged person may be on a phone, logged out) but signed:
GET shows the incident and an Acknowledge button and changes nothing, because mail scanners
follow links; POST acknowledges."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import ack, delivery
from .models import Notification


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


# No CSRF token: the person follows a link from a mail or a chat message, with no session;
# the signed, single-use token in the URL is what authorizes the POST.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def acknowledge(request: HttpRequest, token: str) -> HttpResponse:
    try:
        notification = _notification(token)
        used = notification.ack_used_at is not None
        message = ""
        if request.method == "POST":
            message = delivery.acknowledge(notification, timezone.now())
            used = True
    except ack.BadLink as exc:
        return render(request, "paging/ack.html", {"error": exc.message}, status=exc.status)
    context = {"notification": notification, "incident": notification.incident,
               "used": used, "message": message}  # fmt: skip
    return render(request, "paging/ack.html", context)
