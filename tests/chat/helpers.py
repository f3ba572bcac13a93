"""Chat test helpers."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import User
from incidents.chat.models import ChatIdentity


def proven_link(user: User, chat_user_id: str) -> ChatIdentity:
    """A link as `/incident link <code>` leaves it: proven from Slack's side."""
    return ChatIdentity.objects.create(
        user=user, chat_user_id=chat_user_id, verified_at=timezone.now()
    )
