"""Contributing factors, action items and comments: the records a postmortem is made of.

Factors and comments are part of the text, so they are fixed once the postmortem is
published; action items live on after it (they get done), so responders may keep
updating them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied

from accounts.models import User
from accounts.permissions import can_edit, can_write_postmortem, may_review_postmortem
from incidents.lifecycle import Conflict, LifecycleError
from incidents.models import TimelineEvent

from .models import ActionItem, ActionStatus, Comment, Factor, Postmortem, Section


def _require_text_edit(postmortem: Postmortem, actor: User) -> None:
    if postmortem.is_published:
        raise Conflict("This postmortem is published: it is read-only.")
    if not can_write_postmortem(actor, postmortem.incident, postmortem.is_published):
        raise PermissionDenied("Only responders may change this postmortem.")


def _require_work(postmortem: Postmortem, actor: User) -> None:
    if not can_edit(actor, postmortem.incident):
        raise PermissionDenied("Only responders may change action items.")


def _events(postmortem: Postmortem, seqs: Iterable[int]) -> list[TimelineEvent]:
    seqs = sorted(set(seqs))
    events = list(TimelineEvent.objects.filter(incident=postmortem.incident_id, seq__in=seqs))
    missing = sorted(set(seqs) - {e.seq for e in events})
    if missing:
        raise LifecycleError(
            f"{postmortem.incident.ref} has no event #{missing[0]}.", field="evidence"
        )
    return events


def _factors(postmortem: Postmortem, ids: Iterable[int]) -> list[Factor]:
    ids = set(ids)
    factors = list(postmortem.factors.filter(pk__in=ids))
    if len(factors) != len(ids):
        raise LifecycleError("Every factor must belong to this postmortem.", field="factors")
    return factors


def add_factor(
    postmortem: Postmortem, actor: User, *, category: str, description: str,
    evidence: Iterable[int] = (),
) -> Factor:  # fmt: skip
    _require_text_edit(postmortem, actor)
    events = _events(postmortem, evidence)
    factor = Factor.objects.create(
        postmortem=postmortem, category=category, description=description, created_by=actor
    )
    factor.events.set(events)
    return factor


def update_factor(factor: Factor, actor: User, changes: dict[str, Any]) -> Factor:
    _require_text_edit(factor.postmortem, actor)
    for name in ("category", "description"):
        if name in changes:
            setattr(factor, name, changes[name])
    factor.save()
    if "evidence" in changes:
        factor.events.set(_events(factor.postmortem, changes["evidence"]))
    return factor


def delete_factor(factor: Factor, actor: User) -> None:
    _require_text_edit(factor.postmortem, actor)
    factor.delete()


def _owner(postmortem: Postmortem, owner: User | None) -> User | None:
    if owner is not None and not may_review_postmortem(owner, postmortem.incident):
        raise LifecycleError(
            f"{owner.email} cannot own an action item of {postmortem.incident.ref}: owners "
            "must be able to work on the incident.",
            field="owner",
        )
    return owner


def add_action_item(
    postmortem: Postmortem, actor: User, *, title: str, owner: User | None = None,
    due_date: date | None = None, priority: str = "medium", link: str = "",
    factors: Iterable[int] = (), status: str = ActionStatus.OPEN,
) -> ActionItem:  # fmt: skip
    """A new action item; `status` lets a team record one already done during the incident."""
    _require_work(postmortem, actor)
    item = ActionItem.objects.create(
        postmortem=postmortem, title=title, owner=_owner(postmortem, owner),
        due_date=due_date, priority=priority, link=link, status=status,
    )  # fmt: skip
    item.factors.set(_factors(postmortem, factors))
    return item


def update_action_item(item: ActionItem, actor: User, changes: dict[str, Any]) -> ActionItem:
    _require_work(item.postmortem, actor)
    for name in ("title", "due_date", "priority", "status", "link"):
        if name in changes:
            setattr(item, name, changes[name])
    if "owner" in changes:
        item.owner = _owner(item.postmortem, changes["owner"])
    if "due_date" in changes:
        item.reminded_for = None
    item.save()
    if "factors" in changes:
        item.factors.set(_factors(item.postmortem, changes["factors"]))
    return item


def delete_action_item(item: ActionItem, actor: User) -> None:
    _require_work(item.postmortem, actor)
    item.delete()


def add_comment(postmortem: Postmortem, actor: User, *, section: str, body: str) -> Comment:
    """Responders and the requested reviewers comment on a section."""
    if postmortem.is_published:
        raise Conflict("This postmortem is published: it is read-only.")
    reviewer = postmortem.reviews.filter(reviewer=actor).exists()
    if not (can_edit(actor, postmortem.incident) or reviewer):
        raise PermissionDenied("Only responders and reviewers may comment.")
    if section not in Section.values:
        raise LifecycleError(f"Unknown section {section!r}.", field="section")
    return Comment.objects.create(postmortem=postmortem, section=section, author=actor, body=body)
