"""What every part of applying a document shares: the context (who acts, when, the report,
the people found), one transaction per object, and SourceLink look-ups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from rest_framework import exceptions as drf

from accounts.models import User

from .models import SourceLink
from .report import Report

M = TypeVar("M", bound=models.Model)


class Skip(Exception):
    """This object cannot be applied; the message says why."""


@dataclass
class ActingRequest:
    """What the API's serializers read from a request: who acts. An import acts as staff
    (the command line) or as the staff member using the import page."""

    user: User


@dataclass
class Context:
    report: Report
    now: datetime
    actor: User  # staff; unsaved when the command line acts
    create_users: bool
    people: dict[str, User | None] = field(default_factory=dict)  # email (lower) -> person

    @property
    def creator(self) -> User | None:
        """For created_by fields: the person acting, or nobody for the command line."""
        return self.actor if self.actor.pk else None

    def api(self, **extra: Any) -> dict:
        """A serializer context: the API's rules, naming people among all Keel's people
        (inactive ones an import created too)."""
        return {"request": ActingRequest(self.actor), "people": User.objects.all(), **extra}

    def person(self, email: str) -> User | None:
        key = email.strip().lower()
        if key not in self.people:
            self.people[key] = User.objects.filter(email__iexact=key).first()
        return self.people[key]


def command_line_actor() -> User:
    """Staff without a row: the serializers' permission checks pass, and nothing records
    a person who did not act."""
    return User(email="import@keel.invalid", is_staff=True, is_active=True)


def flatten(detail: Any, prefix: str = "") -> list[str]:
    """A DRF or Django validation error as "field: message" sentences."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            found += flatten(value, prefix if key == "non_field_errors" else f"{prefix}{key}: ")
        return found
    if isinstance(detail, list):
        return [m for item in detail for m in flatten(item, prefix)]
    return [f"{prefix}{detail}"]


def step(ctx: Context, label: str, work: Callable[[], tuple[str, M]]) -> M | None:
    """Run `work` in its own transaction; it returns ("created" | "changed" | "unchanged",
    object). A refusal is reported as skipped and rolls back only this object."""
    try:
        with transaction.atomic():
            outcome, obj = work()
    except Skip as why:
        ctx.report.skipped.append(f"{label}: {why}")
        return None
    except (drf.ValidationError, drf.PermissionDenied) as error:
        ctx.report.skipped.append(f"{label}: {'; '.join(flatten(error.detail))}")
        return None
    except DjangoPermissionDenied as error:  # some API code raises Django's own
        ctx.report.skipped.append(f"{label}: {error}")
        return None
    except DjangoValidationError as error:
        detail = error.message_dict if hasattr(error, "error_dict") else error.messages
        ctx.report.skipped.append(f"{label}: {'; '.join(flatten(detail))}")
        return None
    getattr(ctx.report, outcome).append(label)
    return obj


def validated(serializer) -> dict:
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def linked(model: type[M], source: str | None) -> M | None:
    """The object an earlier import made for this source id, if it still exists."""
    if not source:
        return None
    link = SourceLink.objects.filter(
        source=source, content_type=ContentType.objects.get_for_model(model)
    ).first()
    return model.objects.filter(pk=link.object_id).first() if link else None


def find(model: type[M], source: str | None, natural: models.QuerySet[M]) -> M | None:
    """Matching: by the remembered source id first, then by the natural key."""
    return linked(model, source) or natural.first()


def remember(obj: models.Model, source: str | None) -> None:
    if not source:
        return
    content_type = ContentType.objects.get_for_model(obj)
    link = SourceLink.objects.filter(source=source).first()
    if link is None:
        SourceLink.objects.create(source=source, content_type=content_type, object_id=obj.pk)
    elif (link.content_type_id, link.object_id) != (content_type.pk, obj.pk):
        link.content_type, link.object_id = content_type, obj.pk
        link.save(update_fields=["content_type", "object_id", "updated_at"])


def outcome(existing: models.Model | None, same: bool) -> str:
    return "created" if existing is None else "unchanged" if same else "changed"
