"""What every page's layout needs to know about the person looking at it."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import Role
from accounts.permissions import can_act_for_team


def permissions(request: HttpRequest) -> dict[str, object]:
    """`can_declare`: whether to offer "Declare incident" (the top bar, the list). Lazy, so
    pages that do not show it cost no query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"can_declare": False}
    return {"can_declare": SimpleLazyObject(lambda: can_act_for_team(user, None, Role.RESPONDER))}
