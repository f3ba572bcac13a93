"""The recorder: every save and delete of a tracked row, from any path (the admin, the API,
the pages, management commands, workers), becomes one audit entry per object changed.

How: before the first change to an object (or to a row that belongs to it) in a unit of
work, its record is read from the database ("before"); when the unit ends, it is read again
("after") and the difference written as one entry. A unit is one request (AuditMiddleware),
or outside requests one transaction (written when it commits; in autocommit, at once).
Reading the record again at the end, rather than trusting what the signals saw, also
covers rows written without signals (bulk_create) beside a signalled one, and a change
rolled back leaves no entry (nothing differs).

Changes made with QuerySet.update() send no signal: the few write paths that change a
tracked field that way are wrapped in audit.signals.tracked_update.
"""

from __future__ import annotations

import ipaddress
import sys
import threading
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.http import HttpRequest

from accounts.models import TOKEN_PREFIX, Membership, User

from . import signals
from .models import Action, AuditEntry
from .tracked import BY_MODEL, BY_NAME, KINDS, PARTS, Kind, optional_kinds, register

# The request being served on this thread or task (None: a command, a worker).
_current: ContextVar[Unit | None] = ContextVar("audit_unit", default=None)
# Outside requests: this thread's changes, written when their transaction commits.
_local = threading.local()


@dataclass
class Pending:
    before: dict[str, Any] | None
    team_id: int | None
    name: str


class Unit:
    """The objects changed in one request or transaction, with how they were before."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        self.request = request
        self.block: Any = None  # outside requests: the transaction the changes are in
        self.pending: dict[tuple[str, str], Pending] = {}

    def note(self, kind: Kind, pk: Any, *, created: bool = False) -> None:
        key = (kind.name, str(pk))
        if key in self.pending:
            return
        if created:
            self.pending[key] = Pending(None, None, "")
            return
        obj = kind.model._default_manager.filter(pk=pk).first()
        if obj is None:
            self.pending[key] = Pending(None, None, "")
        else:
            self.pending[key] = Pending(kind.snapshot(obj), kind.team(obj), str(obj)[:200])

    def flush(self) -> None:
        pending, self.pending = self.pending, {}
        if not pending:
            return
        actor_id, actor, via, address = who(self.request)
        for (kind_name, pk), was in pending.items():
            kind = BY_NAME[kind_name]
            obj = kind.model._default_manager.filter(pk=pk).first()
            after = kind.snapshot(obj) if obj is not None else None
            if was.before is None and after is None:
                continue  # made and removed again, or rolled back
            if was.before is None:
                action = Action.CREATE
            elif after is None:
                action = Action.DELETE
            else:
                action = Action.UPDATE
            changes = diff(kind, was.before or {}, after or {})
            if action == Action.UPDATE and not changes:
                continue
            team_id = kind.team(obj) if obj is not None else was.team_id
            AuditEntry.objects.create(
                actor_id=actor_id, actor=actor, via=via, address=address, action=action,
                object_type=kind.name, object_id=pk,
                object_name=str(obj)[:200] if obj is not None else was.name,
                team_id=team_id,
                previous_team_id=was.team_id if was.before and was.team_id != team_id else None,
                changes=changes,
            )  # fmt: skip


def diff(kind: Kind, before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for every field that differs, secrets masked. A secret that
    changed but masks to the same text says so."""
    changes = {}
    for key in list(before) + [k for k in after if k not in before]:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        shown_old, shown_new = kind.shown(key, old, before), kind.shown(key, new, after)
        if shown_old == shown_new:
            shown_new = f"{shown_new} (changed)"
        changes[key] = [shown_old, shown_new]
    return changes


def system_actor() -> str:
    """Who changes things outside any request: a management command, or the workers."""
    if len(sys.argv) > 1 and sys.argv[0].endswith("manage.py"):
        return f"system (manage.py {sys.argv[1]})"[:254]
    return "system"


def client_address(request: HttpRequest | None) -> str | None:
    """REMOTE_ADDR. Behind a proxy, the ASGI server (uvicorn with FORWARDED_ALLOW_IPS, see
    docs/production.md) already puts the client's address there from X-Forwarded-For, and
    only for proxies it trusts; Keel itself never reads X-Forwarded-For, which anyone can
    send."""
    raw = request.META.get("REMOTE_ADDR", "") if request is not None else ""
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def who(request: HttpRequest | None) -> tuple[int | None, str, str, str | None]:
    """(actor id, actor, via, address) for entries written for this request."""
    if request is None:
        return None, system_actor(), "", None
    user = getattr(request, "user", None)  # DRF sets it here too once a token is checked
    via = "admin" if request.path.startswith("/admin/") else ""
    scheme, _, raw = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "bearer" and raw.strip().startswith(TOKEN_PREFIX):
        via = f"API token {raw.strip()[: len(TOKEN_PREFIX) + 6]}…"
    address = client_address(request)
    if user is None or not user.is_authenticated:
        return None, "anonymous", via, address
    return user.pk, user.email, via, address


# --- Units of work ----------------------------------------------------------------------------


def current_unit() -> tuple[Unit, bool]:
    """The unit a change belongs to, and whether it is a request's."""
    unit = _current.get()
    if unit is not None:
        return unit, True
    unit = getattr(_local, "unit", None)
    if unit is None:
        unit = _local.unit = Unit()
    # One unit per outermost transaction: what is left from another one (rolled back, so
    # never written) is forgotten.
    connection = transaction.get_connection()
    block = connection.atomic_blocks[0] if connection.in_atomic_block else None
    if unit.block is not block:
        unit.pending.clear()
        unit.block = block
    return unit, False


def _noted(kind: Kind, pk: Any, *, created: bool = False) -> None:
    unit, _in_request = current_unit()
    unit.note(kind, pk, created=created)


def _changed() -> None:
    unit, in_request = current_unit()
    if not in_request:
        transaction.on_commit(unit.flush)  # at once in autocommit


def updating(sender: type[models.Model], pks: list[Any], **kwargs) -> None:
    """Just before a QuerySet.update() of tracked fields (audit/signals.py); the entry is
    written at the end of the request, or when the transaction commits."""
    kind = BY_MODEL[sender]
    for pk in pks:
        _noted(kind, pk)


class AuditMiddleware:
    """Makes each request one unit of work, written when the response is ready."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        unit = Unit(request)
        token = _current.set(unit)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
            unit.flush()


# --- Signals ----------------------------------------------------------------------------------


def _root_keys(instance: Any) -> list[tuple[Kind, Any]]:
    kind_name, roots = PARTS[type(instance)]
    kind = BY_NAME[kind_name]
    keys = [(kind, pk) for pk in roots(instance) if pk is not None]
    if instance.pk is not None and not instance._state.adding:
        # The row may be moving to another root: the one it leaves changes too.
        old = type(instance)._default_manager.filter(pk=instance.pk).first()
        if old is not None:
            keys += [(kind, pk) for pk in roots(old) if pk is not None]
    return keys


def _only_ignored(kind: Kind, update_fields) -> bool:
    return update_fields is not None and set(update_fields) <= kind.ignored


def root_pre_save(sender, instance, update_fields=None, **kwargs) -> None:
    kind = BY_MODEL[sender]
    if instance.pk is None or instance._state.adding or _only_ignored(kind, update_fields):
        return
    _noted(kind, instance.pk)


def root_post_save(sender, instance, created, update_fields=None, **kwargs) -> None:
    kind = BY_MODEL[sender]
    if _only_ignored(kind, update_fields) and not created:
        return
    if created:
        _noted(kind, instance.pk, created=True)
    _changed()


def root_pre_delete(sender, instance, **kwargs) -> None:
    _noted(BY_MODEL[sender], instance.pk)


def part_pre_change(sender, instance, **kwargs) -> None:
    for kind, pk in _root_keys(instance):
        _noted(kind, pk)


def changed(sender, **kwargs) -> None:
    _changed()


def members_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """team.members.add(...) and friends write Membership rows without save()."""
    if action.startswith("pre_"):
        team_ids = (pk_set or []) if reverse else [instance.pk]
        if reverse and action == "pre_clear":
            team_ids = list(
                Membership.objects.filter(user=instance).values_list("team_id", flat=True)
            )
        for pk in team_ids:
            _noted(BY_NAME["team"], pk)
    else:
        _changed()


def permissions_changed(sender, instance, action, reverse, **kwargs) -> None:
    if reverse or not isinstance(instance, BY_NAME["group"].model):
        return
    if action.startswith("pre_"):
        _noted(BY_NAME["group"], instance.pk)
    else:
        _changed()


def signed_in(sender, request, user, **kwargs) -> None:
    _, _, via, address = who(request)
    AuditEntry.objects.create(
        actor_id=user.pk, actor=user.email, via=via, address=address, action=Action.SIGN_IN,
        object_type="user", object_id=str(user.pk), object_name=str(user.email)[:200],
    )  # fmt: skip


def sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    """Django hides the password in `credentials`; the name typed is kept (as typed)."""
    typed = str(credentials.get("username") or credentials.get("email") or "")[:200]
    _, _, via, address = who(request)
    known = User.objects.filter(email__iexact=typed).values_list("pk", flat=True).first()
    AuditEntry.objects.create(
        actor_id=None, actor="anonymous", via=via, address=address,
        action=Action.SIGN_IN_FAILED, object_type="user",
        object_id=str(known) if known else "", object_name=typed,
    )  # fmt: skip


def connect() -> None:
    for kind in KINDS + optional_kinds():
        register(kind)
    for model in BY_MODEL:
        uid = f"audit-{model._meta.label}"
        pre_save.connect(root_pre_save, sender=model, dispatch_uid=uid)
        post_save.connect(root_post_save, sender=model, dispatch_uid=uid)
        pre_delete.connect(root_pre_delete, sender=model, dispatch_uid=uid)
        post_delete.connect(changed, sender=model, dispatch_uid=uid)
    for model in PARTS:
        uid = f"audit-{model._meta.label}"
        pre_save.connect(part_pre_change, sender=model, dispatch_uid=uid)
        pre_delete.connect(part_pre_change, sender=model, dispatch_uid=uid)
        post_save.connect(changed, sender=model, dispatch_uid=uid)
        post_delete.connect(changed, sender=model, dispatch_uid=uid)
    m2m_changed.connect(members_changed, sender=Membership, dispatch_uid="audit-members")
    group_permissions = BY_NAME["group"].model.permissions.through
    m2m_changed.connect(permissions_changed, sender=group_permissions, dispatch_uid="audit-perms")
    signals.updating.connect(updating, dispatch_uid="audit-updating")
    signals.updated.connect(changed, dispatch_uid="audit-updated")
    user_logged_in.connect(signed_in, dispatch_uid="audit-signed-in")
    user_login_failed.connect(sign_in_failed, dispatch_uid="audit-sign-in-failed")
