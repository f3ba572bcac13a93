"""Who is who in the chat workspace, proven from the workspace's side.

Typing a member id proves nothing (anyone can copy a colleague's), so a link only counts
once Slack itself vouches for it: the person asks Keel for a one-time code, and types
`/incident link <code>` in Slack. The signed slash command carries Slack's user id, and only
someone signed in to Keel as the person could have seen the code; together they prove one
person controls both accounts.

The rules live on ChatIdentity's manager (`ChatIdentity.objects.start_link(...)` ...), so
the core's PATCH /api/v1/me/ reaches them through `apps.get_model("chat", "ChatIdentity")`
without importing chat. This module must not import .models (models imports it).
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from accounts.models import User

# No 0/O, 1/I/L: read off a screen and typed into another app, they get mixed up.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31**10, about 2**49: unguessable within its lifetime
CODE_LIFETIME = timedelta(minutes=15)
COMMAND = "/incident link"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise(typed: str) -> str:
    """The code as stored, from what a person typed: any case, with or without dashes and
    spaces."""
    return "".join(c for c in typed.upper() if c.isascii() and c.isalnum())


def shown(code: str) -> str:
    """K7QFM2XRP4 -> K7QF-M2XR-P4: easier to read out and type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def code_hash(code: str) -> str:
    """Only the hash is stored: a database dump or an admin page leaks no working code."""
    return hashlib.sha256(normalise(code).encode()).hexdigest()


@dataclass(frozen=True)
class NewCode:
    """A code just made: shown this once, never again."""

    code: str  # as shown: K7QF-M2XR-P4
    expires_at: datetime

    @property
    def command(self) -> str:
        return f"{COMMAND} {self.code}"


class Outcome(enum.Enum):
    LINKED = "linked"
    INVALID = "invalid"  # wrong, expired or used: told apart from nothing
    OTHER_MEMBER = "other_member"  # made for a member id other than the one typing it
    CONFLICT = "conflict"  # the same member proving another account at the same moment


@dataclass(frozen=True)
class Proof:
    outcome: Outcome
    user: User | None = None


class LinkStatus(models.TextChoices):
    LINKED = "linked", "Linked (proven from Slack)"
    PENDING = "pending", "Waiting for the code to be typed in Slack"
    NONE = "none", "Not linked"


class ChatIdentityQuerySet(models.QuerySet):
    def verified(self) -> ChatIdentityQuerySet:
        return self.filter(verified_at__isnull=False)

    def person_for(self, chat_user_id: str) -> User | None:
        """The active person whose link of this member id Slack has proven, if any. Claims
        nobody proved (pending, or linked before proof was needed) are nobody."""
        if not chat_user_id:
            return None
        identity = (
            self.verified()
            .select_related("user")
            .filter(chat_user_id=chat_user_id, user__is_active=True)
            .first()
        )
        return identity.user if identity else None


class ChatIdentityManager(models.Manager.from_queryset(ChatIdentityQuerySet)):  # type: ignore[misc]
    def start_link(
        self, user: User, expected: str = "", now: datetime | None = None
    ) -> NewCode | None:
        """A new code for `user` (replacing any earlier one), or None when `expected` is
        already the member id they have proven (asking again changes nothing, so a script
        may PATCH the same id twice). Otherwise their link is pending until the code is
        typed: a person who asks to link again is asked to prove it again."""
        now = now or timezone.now()
        expected = expected.upper()
        current = self.filter(user=user).first()
        if current and current.verified_at and expected and current.chat_user_id == expected:
            return None
        code = new_code()
        expires_at = now + CODE_LIFETIME
        self.update_or_create(
            user=user,
            defaults={
                "chat_user_id": expected,
                "verified_at": None,
                "code_hash": code_hash(code),
                "code_expires_at": expires_at,
            },
        )
        return NewCode(shown(code), expires_at)

    def confirm(self, typed: str, chat_user_id: str, now: datetime | None = None) -> Proof:
        """`/incident link <typed>` from the member `chat_user_id` (the signature already
        proved Slack sent it): link the code's person to that member."""
        now = now or timezone.now()
        if len(normalise(typed)) != CODE_LENGTH or not chat_user_id:
            return Proof(Outcome.INVALID)
        try:
            with transaction.atomic():
                return self._confirm(code_hash(typed), chat_user_id, now)
        except IntegrityError:
            # Another account took the same member id between our delete and our save;
            # everything rolled back, the code included, so trying again works.
            return Proof(Outcome.CONFLICT)

    def _confirm(self, hashed: str, chat_user_id: str, now: datetime) -> Proof:
        identity = (
            self.select_for_update(of=("self",))
            .select_related("user")
            .filter(code_hash=hashed, code_expires_at__gt=now, user__is_active=True)
            .first()
        )
        if identity is None:
            return Proof(Outcome.INVALID)
        # Single use: spent whatever happens next.
        identity.code_hash, identity.code_expires_at = "", None
        if identity.chat_user_id and identity.chat_user_id.upper() != chat_user_id.upper():
            identity.save(update_fields=["code_hash", "code_expires_at"])
            return Proof(Outcome.OTHER_MEMBER, identity.user)
        # Slack just proved this member controls this account too: their link moves here.
        self.verified().filter(chat_user_id=chat_user_id).exclude(pk=identity.pk).delete()
        identity.chat_user_id, identity.verified_at = chat_user_id, now
        identity.save()
        return Proof(Outcome.LINKED, identity.user)

    def unlink(self, user: User) -> None:
        """Removing your own link needs no proof."""
        self.filter(user=user).delete()

    def state(self, user: User, now: datetime | None = None) -> dict[str, Any]:
        """What the profile and GET /api/v1/me/ show (never the code)."""
        now = now or timezone.now()
        identity = self.filter(user=user).first()
        if identity is None:
            return {"status": LinkStatus.NONE, "chat_user_id": None, "verified_at": None,
                    "expected_chat_user_id": None, "expires_at": None}  # fmt: skip
        live = identity.code_expires_at is not None and identity.code_expires_at > now
        verified = identity.verified_at is not None
        return {
            "status": LinkStatus.LINKED if verified else LinkStatus.PENDING,
            "chat_user_id": identity.chat_user_id if verified else None,
            "verified_at": identity.verified_at,
            # An id typed but not proven: for a pending link, or a link from before proof
            # was needed (no code: it needs a new one).
            "expected_chat_user_id": None if verified else identity.chat_user_id or None,
            "expires_at": identity.code_expires_at if live and not verified else None,
        }
