"""What the login page shows besides the password form: a button per identity provider and,
with SSO_ONLY, the password form only behind a small break-glass link."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def login_page_context(request: HttpRequest) -> dict:
    providers = [{"id": p["id"], "name": p["name"]} for p in settings.OIDC_PROVIDERS]
    break_glass = request.GET.get("break_glass") == "1" or request.method == "POST"
    return {
        "providers": providers,
        "sso_only": settings.SSO_ONLY,
        "show_password_form": not settings.SSO_ONLY or break_glass,
    }
