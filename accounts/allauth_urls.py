"""The django-allauth pages Keel offers, under /accounts/ (keel/urls.py), with allauth's
URL names, which its flows reverse. Left out on purpose: open sign-up, people managing their
own sign-in addresses (a provider's verified email is matched against them), password reset
by email (an admin resets a forgotten password), and connecting more providers to an account.
"""

from allauth.account import views as account_views
from allauth.socialaccount import views as socialaccount_views
from django.urls import include, path

from . import sso, views

urlpatterns = [
    path("login/", views.login, name="account_login"),
    path("logout/", account_views.logout, name="account_logout"),
    path("inactive/", account_views.account_inactive, name="account_inactive"),
    path("reauthenticate/", account_views.reauthenticate, name="account_reauthenticate"),
    path(
        "3rdparty/login/cancelled/",
        socialaccount_views.login_cancelled,
        name="socialaccount_login_cancelled",
    ),
    # A second factor: authenticator app, passkeys, recovery codes (accounts/mfa.py).
    path("2fa/", include("allauth.mfa.urls")),
    # The paths DESIGN.md promises; the callback is the redirect URI to register.
    path("oidc/<str:provider_id>/login/", sso.login, name="openid_connect_login"),
    path(
        "oidc/<str:provider_id>/login/callback/",
        sso.callback,
        name="openid_connect_callback",
    ),
]
