"""Requiring a second factor (django-allauth's MFA: authenticator app, passkeys, recovery
codes) of people who sign in with a password, site-wide (MFA_REQUIRED) or per team
(Team.require_mfa).

Someone who must have one and has none is sent to the two-factor page after signing in,
and can use nothing else until they have set one up: only the pages that set it up, sign
out, static files, health checks and the hooks outside parties call stay open. A session
that began at an OpenID Connect provider is exempt (the provider asks for its own second
factor). API tokens are not sessions: this never touches them.
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from .models import Membership, User

# Paths someone without their required second factor may still use.
OPEN_PATHS = (
    "/accounts/2fa/",
    "/accounts/logout/",
    "/accounts/reauthenticate/",
    "/accounts/login/",
    "/static/",
    "/healthz",
    "/readyz",
    "/hooks/",
    "/v2/enqueue",
    "/slack/",
    "/page/ack/",  # a page's acknowledge link must work whatever the account lacks
    "/manifest.webmanifest",
    "/sw.js",
)
SETUP_URL = "/accounts/2fa/"


def must_have_second_factor(user: User) -> bool:
    return (
        settings.MFA_REQUIRED
        or Membership.objects.filter(user=user, team__require_mfa=True).exists()
    )


def signed_in_through_provider(request: HttpRequest) -> bool:
    return any(
        record.get("method") == "socialaccount"
        for record in get_authentication_records(request, request.user)
    )


def second_factor_state(user: User) -> dict:
    """What the profile shows: an authenticator app, passkeys, recovery codes left."""
    kinds = list(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    codes = Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES)
    left = len(codes[0].wrap().get_unused_codes()) if codes else 0
    return {
        "enabled": is_mfa_enabled(user),
        "totp": Authenticator.Type.TOTP in kinds,
        "passkeys": kinds.count(Authenticator.Type.WEBAUTHN),
        "recovery_codes_left": left,
        "required": must_have_second_factor(user),
    }


class RequireSecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(OPEN_PATHS)
            and must_have_second_factor(user)
            and not is_mfa_enabled(user)
            and not signed_in_through_provider(request)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": "Set up two-factor authentication first, at " + SETUP_URL},
                    status=403,
                )
            return redirect(SETUP_URL)
        return self.get_response(request)
