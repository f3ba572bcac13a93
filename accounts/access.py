"""Telling a person's open connections that their access may have ended.

Long-lived connections (the live incident room) decide who may listen when they open,
then keep listening. Everything on the accounts side that can narrow what a person may
see sends an `access.check` to the person's group, after the change commits: logging out
(which names the session that ended), a password change, deactivation or losing staff,
and joining, leaving or changing role in a team (admin or code, whichever way it is
saved). Each connection in the group then re-checks its access from the database and
closes if it has ended. Changes that bypass signals (queryset.update(), a session deleted
by hand) are caught by the connection's own periodic re-check.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .models import Membership, User

log = logging.getLogger(__name__)

ACCESS_CHECK = "access.check"
# Changing these can take access away; saving anything else (last_login) cannot.
ACCESS_FIELDS = ("password", "is_active", "is_staff")


def user_group(user_id: int) -> str:
    """The channel-layer group every live connection of this person joins."""
    return f"user-{user_id}"


def session_fingerprint(session_key: str | None) -> str | None:
    """Names a session in messages without carrying the key itself (a secret)."""
    return hashlib.sha256(session_key.encode()).hexdigest() if session_key else None


def _send(user_id: int, message: dict[str, Any]) -> None:
    try:
        async_to_sync(get_channel_layer().group_send)(user_group(user_id), message)
    except Exception as error:  # Redis down: the connections' periodic re-check is the net
        log.warning("could not ask user %s's live connections to re-check: %s", user_id, error)


def ask_to_recheck(user_id: int, *, ended_session: str | None = None) -> None:
    """After the current transaction commits, ask the person's connections to re-check
    their access (and the one opened with `ended_session`, a session key, to close)."""
    message = {"type": ACCESS_CHECK, "ended_session": session_fingerprint(ended_session)}
    transaction.on_commit(lambda: _send(user_id, message), robust=True)


@receiver(user_logged_out, dispatch_uid="keel-access-logout")
def _logged_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        # Sent before the session is flushed, so name it: its connections end at once.
        ask_to_recheck(user.pk, ended_session=getattr(request.session, "session_key", None))


@receiver(pre_save, sender=User, dispatch_uid="keel-access-user-before")
def _remember_access_fields(
    sender: Any, instance: User, update_fields: Any = None, **kwargs: Any
) -> None:
    if instance.pk is None or (update_fields and not set(update_fields) & set(ACCESS_FIELDS)):
        instance._keel_access_before = None
        return
    instance._keel_access_before = (
        User.objects.filter(pk=instance.pk).values_list(*ACCESS_FIELDS).first()
    )


@receiver(post_save, sender=User, dispatch_uid="keel-access-user-after")
def _user_saved(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    before = getattr(instance, "_keel_access_before", None)
    if before is not None and before != tuple(getattr(instance, f) for f in ACCESS_FIELDS):
        ask_to_recheck(instance.pk)


@receiver(post_delete, sender=User, dispatch_uid="keel-access-user-deleted")
def _user_deleted(sender: Any, instance: User, **kwargs: Any) -> None:
    ask_to_recheck(instance.pk)


@receiver(post_save, sender=Membership, dispatch_uid="keel-access-membership-saved")
def _membership_saved(sender: Any, instance: Membership, created: bool, **kwargs: Any) -> None:
    # Joining a team cannot end access; a lower role or another team (the admin's form
    # can move a membership) can.
    if not created:
        ask_to_recheck(instance.user_id)


@receiver(post_delete, sender=Membership, dispatch_uid="keel-access-membership-deleted")
def _membership_deleted(sender: Any, instance: Membership, **kwargs: Any) -> None:
    ask_to_recheck(instance.user_id)
