"""How django-allauth signs people in to Keel (settings.ACCOUNT_ADAPTER and
SOCIALACCOUNT_ADAPTER)."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.signals import user_logged_in
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from django.contrib.auth.base_user import AbstractBaseUser
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import sso
from .models import User
from .sso_teams import apply_groups, groups_from


class AccountAdapter(DefaultAccountAdapter):
    # The wording Keel's login page always used (and scripts look for).
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": (
            "Please enter a correct email and password. Note that both fields may be "
            "case-sensitive."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Password accounts are made by admins (the admin site, seed_demo, apply_config).
        return False

    def reauthenticate(self, user: AbstractBaseUser, password: str) -> bool:
        # allauth looks for the address among its own EmailAddress rows, which accounts made
        # by admins do not have; Keel's users always carry their sign-in email.
        found = self.authenticate(context.request, email=user.email, password=password)
        return found is not None and found.pk == user.pk

    def get_logout_redirect_url(self, request: HttpRequest) -> str:
        # Asked before the session ends: a session from a provider ends there too.
        return sso.end_session_url(request) or super().get_logout_redirect_url(request)


def refusal(request: HttpRequest, reason: str) -> HttpResponse:
    return render(
        request, "socialaccount/authentication_error.html", {"refusal": reason}, status=403
    )


def claims_of(sociallogin: SocialLogin) -> dict:
    """The ID token's claims, completed by the UserInfo answer (same subject, checked)."""
    data = sociallogin.account.extra_data
    return {**data.get("id_token", {}), **(data.get("userinfo") or {})}


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_provider(self, request: HttpRequest, provider, client_id=None):
        found = super().get_provider(request, provider, client_id=client_id)
        if isinstance(found, OpenIDConnectProvider):
            return sso.KeelOIDCProvider(request, app=found.app)
        return found

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # A provider Keel is configured to trust may bring new people (just-in-time accounts),
        # once pre_social_login has accepted their verified email.
        return True

    def on_authentication_error(self, request, provider, error=None, exception=None,
                                extra_context=None) -> None:  # fmt: skip
        # A page saying so (403), instead of allauth's 401 without a challenge.
        name = getattr(provider, "name", "your identity provider")
        raise ImmediateHttpResponse(
            refusal(request, f"Signing in through {name} did not work, so you are not signed in.")
        )

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        name = sso.provider_settings(sociallogin.account.provider)["name"]
        if sociallogin.state.get("process") != "login":
            raise ImmediateHttpResponse(refusal(request, "Only signing in is offered here."))
        id_token = sociallogin.account.extra_data.get("id_token") or {}
        nonce = sociallogin.state.get("nonce")
        if not nonce or id_token.get("nonce") != nonce:
            raise ImmediateHttpResponse(
                refusal(
                    request,
                    f"{name}'s answer was not for this sign-in (nonce), so you are not signed in.",
                )
            )
        claims = claims_of(sociallogin)
        email = str(claims.get("email") or "").strip().lower()
        if not email or claims.get("email_verified") is not True:
            raise ImmediateHttpResponse(
                refusal(
                    request,
                    f"{name} has not verified your email address "
                    f"({email or 'none given'}), so Keel cannot tell which account "
                    "is yours. Verify it there and sign in again.",
                )
            )
        if sociallogin.is_existing:
            if sociallogin.user.email.lower() != email:
                raise ImmediateHttpResponse(
                    refusal(
                        request,
                        f"{name} now gives your email as {email}, but your Keel "
                        f"account is {sociallogin.user.email}. Ask an admin.",
                    )
                )
            return
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None:
            # The same verified address: the person's account (made by an admin, or earlier).
            sociallogin.connect(request, existing)

    def populate_user(self, request: HttpRequest, sociallogin: SocialLogin, data: dict):
        user = super().populate_user(request, sociallogin, data)
        user.email = user.email.lower()
        claims = claims_of(sociallogin)
        if isinstance(claims.get("name"), str):
            user.display_name = claims["name"][:100]
        user.set_unusable_password()
        return user


@receiver(user_logged_in, dispatch_uid="keel-sso-signed-in")
def signed_in_with_provider(sender, request, user, sociallogin=None, **kwargs) -> None:
    """Re-apply the provider's groups at every sign-in; remember the ID token for signing out
    at the provider."""
    if sociallogin is None:
        return
    provider = sso.provider_settings(sociallogin.account.provider)
    groups = groups_from(claims_of(sociallogin), provider["groups_claim"])
    apply_groups(user, groups, provider["teams"])
    request.session["keel_oidc"] = {
        "provider": provider["id"],
        "id_token": getattr(request, "keel_oidc_id_token", ""),
    }
