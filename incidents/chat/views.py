"""Chat's HTTP entry points: Slack's request URLs (signed, no session) and the pages where
a team's admins manage its channels and read their delivery logs."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.models import Role, Team
from accounts.permissions import can_act_for_team
from incidents import parsing

from . import actions, commands, signing
from .forms import ChannelEditForm, ChannelForm, LinkForm
from .identity import CODE_LIFETIME
from .models import ChatChannel, ChatDelivery, ChatIdentity

log = logging.getLogger(__name__)
LOG_LENGTH = 100


# --- Slack's request URLs -------------------------------------------------------------------


def refuse_unsigned(request: HttpRequest) -> HttpResponse | None:
    """None if the request is verifiably from the workspace; else the answer to give."""
    secret = settings.SLACK_SIGNING_SECRET
    if not secret:
        return JsonResponse(
            {"error": "Chat is not configured: set SLACK_SIGNING_SECRET (see the README)."},
            status=503,
        )
    try:
        signing.verify(
            secret,
            request.headers.get("X-Slack-Request-Timestamp"),
            request.headers.get("X-Slack-Signature"),
            request.body,
        )
    except signing.BadSignature as error:
        response = JsonResponse({"error": str(error)}, status=401)
        response["WWW-Authenticate"] = 'Slack-Signature realm="keel"'
        return response
    return None


@csrf_exempt  # Slack cannot send a CSRF token; the signature is the proof
@require_POST
def slash_command(request: HttpRequest) -> HttpResponse:
    if refused := refuse_unsigned(request):
        return refused
    if request.POST.get("ssl_check") == "1":
        return HttpResponse(status=200)  # Slack checking our certificate, nothing to do

    def field(name: str, limit: int) -> str:
        # PostgreSQL text cannot hold NUL; nobody means one.
        return request.POST.get(name, "")[:limit].replace("\x00", "")

    reply = commands.run(
        commands.Request(
            user_id=field("user_id", 40),
            channel_id=field("channel_id", 40),
            text=field("text", 4000),
        )
    )
    return JsonResponse(reply)


@csrf_exempt
@require_POST
def action(request: HttpRequest) -> HttpResponse:
    if refused := refuse_unsigned(request):
        return refused
    try:
        # Cleaned as the alert hooks clean: NUL and lone surrogates cannot be stored.
        payload = parsing.cleaned(json.loads(request.POST.get("payload", "")))
        actions.handle(payload)
    except (ValueError, RecursionError, actions.BadPayload) as error:
        message = str(error) if isinstance(error, actions.BadPayload) else "payload is not JSON."
        return JsonResponse({"error": f"Bad interaction payload: {message}"}, status=400)
    # Slack wants a quick empty 200; the message updates through response_url.
    return HttpResponse(status=200, content_type="text/plain")


# --- Pages ------------------------------------------------------------------------------


def visible_channels(user):
    channels = ChatChannel.objects.select_related("team", "service")
    if user.is_staff:
        return channels
    return channels.filter(team__memberships__user=user)


def admin_teams(user):
    teams = Team.objects.order_by("name")
    if user.is_staff:
        return teams
    return teams.filter(memberships__user=user, memberships__role=Role.ADMIN)


@login_required
def channel_list(request: HttpRequest) -> HttpResponse:
    teams = admin_teams(request.user)
    form = ChannelForm(request.POST or None, teams=teams)
    if request.method == "POST":
        if not teams.exists():
            raise PermissionDenied("Only a team's admins may add its chat channels.")
        if form.is_valid():
            channel = form.save(commit=False)
            channel.created_by = request.user
            channel.save()
            messages.success(request, f"Chat channel {channel.name} added.")
            return redirect("chat:channels")
    return render(
        request,
        "chat/channels.html",
        {"channels": visible_channels(request.user), "form": form, "can_add": teams.exists()},
    )


def channel_for(user, pk: int) -> ChatChannel:
    """The channel if the user is in its team (404 otherwise, so ids do not leak)."""
    channel = ChatChannel.objects.select_related("team", "service").filter(pk=pk).first()
    if channel is None or not can_act_for_team(user, channel.team_id, Role.VIEWER):
        raise Http404("No such chat channel.")
    return channel


@login_required
def channel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    channel = channel_for(request.user, pk)
    is_admin = can_act_for_team(request.user, channel.team_id, Role.ADMIN)
    form = ChannelEditForm(
        request.POST or None, instance=channel, initial={"events": channel.events}
    )
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied(f"Only admins of {channel.team} may change its chat channels.")
        if form.is_valid():
            channel = form.save(commit=False)
            channel.state = ChatChannel.State.ACTIVE
            channel.disabled_reason = ""
            channel.disabled_at = None
            channel.save()
            messages.success(request, f"Chat channel {channel.name} saved and enabled.")
            return redirect("chat:channel", pk=channel.pk)
    deliveries = (
        ChatDelivery.objects.filter(channel=channel)
        .select_related("incident")
        .order_by("-created_at", "-pk")[:LOG_LENGTH]
    )
    return render(
        request,
        "chat/channel.html",
        {"channel": channel, "deliveries": deliveries, "form": form, "is_admin": is_admin},
    )


# --- Linking a Slack account (identity.py has the rules) ----------------------------------


@never_cache  # the page holds a working code: no copy in a browser or proxy cache
@login_required
@require_POST
def start_link(request: HttpRequest) -> HttpResponse:
    """A new one-time code, shown on this answer only (there is no page to come back to)."""
    form = LinkForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("chat_user_id", []):
            messages.error(request, error)
        return redirect("accounts:profile")
    new = ChatIdentity.objects.start_link(request.user, form.cleaned_data["chat_user_id"])
    if new is None:
        messages.info(request, "That Slack account is already linked to you.")
        return redirect("accounts:profile")
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    return render(request, "chat/link_code.html", {"new": new, "minutes": minutes})


@login_required
@require_POST
def unlink(request: HttpRequest) -> HttpResponse:
    ChatIdentity.objects.unlink(request.user)
    messages.success(
        request, "Slack account forgotten: commands and buttons there no longer act as you."
    )
    return redirect("accounts:profile")
