"""`can_read_audit`: whether the navigation links to the audit log (staff and team admins).
Lazy, so pages that do not show it cost no query."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .access import may_read_audit


def audit_link(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"can_read_audit": False}
    return {"can_read_audit": SimpleLazyObject(lambda: may_read_audit(user))}
