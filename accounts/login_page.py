"""What the login page shows besides the password form."""

from __future__ import annotations

from django.http import HttpRequest


def login_page_context(request: HttpRequest) -> dict:
    return {}
