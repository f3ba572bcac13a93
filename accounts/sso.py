"""OpenID Connect sign-in on top of django-allauth's openid_connect provider.

allauth 65.22 leaves two checks out, which Keel adds here: it sends no `nonce` (and so checks
none), and it skips the ID token's signature when the token came straight from the token
endpoint (OpenID Connect Core 3.1.3.7 allows that over TLS; Keel verifies it anyway against
the provider's JWKS). Issuer, audience and expiry are checked by allauth
(socialaccount/internal/jwtkit.py), state and PKCE by its OAuth2 views.
"""

from __future__ import annotations

import secrets

import requests
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base import ProviderException
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode


class KeelOIDCAdapter(OpenIDConnectOAuth2Adapter):
    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict:
        return jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )

    def complete_login(self, request: HttpRequest, app, token, **kwargs):
        raw_id_token = kwargs["response"].get("id_token")
        if not raw_id_token:
            raise ProviderException("The provider sent no ID token.")
        login = super().complete_login(request, app, token, **kwargs)
        data = login.account.extra_data
        userinfo = data.get("userinfo")
        if userinfo is not None and userinfo.get("sub") != data["id_token"].get("sub"):
            # Core 5.3.2: the UserInfo answer must be about the ID token's subject.
            raise ProviderException("The provider's user info is about someone else.")
        # Kept for signing out at the provider (id_token_hint), see signed_in_with_provider.
        request.keel_oidc_id_token = raw_id_token
        return login


class KeelOIDCProvider(OpenIDConnectProvider):
    oauth2_adapter_class = KeelOIDCAdapter

    def redirect(self, request: HttpRequest, process, next_url=None, data=None, **kwargs):
        nonce = secrets.token_urlsafe(32)
        auth_params = {**(kwargs.pop("auth_params", None) or self.get_auth_params())}
        auth_params["nonce"] = nonce
        return super().redirect(
            request, process, next_url, data, auth_params=auth_params, nonce=nonce, **kwargs
        )


def provider_settings(provider_id: str) -> dict:
    for provider in settings.OIDC_PROVIDERS:
        if provider["id"] == provider_id:
            return provider
    raise Http404("No such identity provider.")


def login(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Start signing in at the provider (a POST from the login page's button)."""
    provider = provider_settings(provider_id)
    view = OAuth2LoginView.adapter_view(KeelOIDCAdapter(request, provider_id))
    return _unless_out_of_reach(request, provider, view)


def _unless_out_of_reach(request: HttpRequest, provider: dict, view) -> HttpResponse:
    try:
        return view(request)
    except requests.RequestException:
        # Its discovery document is out of reach: say so rather than fail.
        return render(
            request,
            "socialaccount/authentication_error.html",
            {"refusal": f"{provider['name']} cannot be reached right now. Try again shortly."},
            status=503,
        )


def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """Where the provider sends people back (the redirect URI to register there)."""
    provider = provider_settings(provider_id)
    view = OAuth2CallbackView.adapter_view(KeelOIDCAdapter(request, provider_id))
    return _unless_out_of_reach(request, provider, view)


def end_session_url(request: HttpRequest) -> str | None:
    """Where to send someone signing out of a session that came from a provider: the
    provider's end_session_endpoint (RP-Initiated Logout 1.0), when it has one."""
    signed_in = request.session.get("keel_oidc")
    if not signed_in:
        return None
    try:
        provider = get_adapter(request).get_provider(request, signed_in["provider"])
        endpoint = provider.get_oauth2_adapter(request).openid_config.get("end_session_endpoint")
    except (SocialApp.DoesNotExist, Http404, OSError, ValueError):
        return None
    if not endpoint:
        return None
    query = {
        "id_token_hint": signed_in["id_token"],
        "client_id": provider.app.client_id,
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("accounts:login")),
    }
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"
