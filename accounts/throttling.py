"""Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins for one account,
or from one address, logging in is paused for AXES_COOLOFF_TIME. See the README to unlock
sooner."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .forms import LoginForm
from .login_page import login_page_context


def username(request: HttpRequest, credentials: dict | None) -> str:
    """The account a login names: people log in with their email, in any letter case."""
    source = credentials if credentials else getattr(request, "POST", {})
    value = source.get("username") or source.get("email") or ""
    return str(value).strip().lower()


def _minutes(cool_off: timedelta | int | float) -> int:
    if isinstance(cool_off, timedelta):
        return max(1, round(cool_off.total_seconds() / 60))
    return max(1, round(float(cool_off) * 60))  # axes reads a number as hours


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """The login page again, saying why it will not log anyone in for now (429)."""
    minutes = _minutes(settings.AXES_COOLOFF_TIME)
    form = LoginForm(request=request, initial={"login": username(request, credentials)})
    next_url = request.POST.get("next", "") if request.method == "POST" else ""
    return render(
        request,
        "account/login.html",
        {
            "form": form,
            "locked_out": True,
            "cool_off_minutes": minutes,
            "redirect_field_name": "next",
            "redirect_field_value": next_url,
            **login_page_context(request),
        },
        status=429,
    )
