"""How django-allauth signs people in to Keel (settings.ACCOUNT_ADAPTER)."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest


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


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # A provider Keel is configured to trust may bring new people (just-in-time accounts).
        return True
