"""Linking a person to their chat user id from the profile page (PATCH /api/v1/me/ does the
same in incidents/api/serializers.py, which names the model without importing chat)."""

from __future__ import annotations

from accounts.models import User

from .models import ChatIdentity


def link(user: User, chat_user_id: str) -> None:
    """Link (or, with "", unlink) the user's chat user id; the caller has checked it is free."""
    if chat_user_id:
        ChatIdentity.objects.update_or_create(user=user, defaults={"chat_user_id": chat_user_id})
    else:
        ChatIdentity.objects.filter(user=user).delete()
