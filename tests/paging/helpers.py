"""Policies, contact methods and a receiver for the paging tests (fixed values)."""

from __future__ import annotations

import hashlib
import hmac
import json

from incidents.paging.models import (
    ContactKind,
    ContactMethod,
    EscalationPolicy,
    EscalationStep,
    ServicePaging,
)
from tests.receivers import Received


def make_policy(team, *steps: tuple[int, list[dict]], repeat: int = 0, service=None):
    policy = EscalationPolicy.objects.create(name="Ops paging", team=team, repeat=repeat)
    for position, (delay, targets) in enumerate(steps):
        EscalationStep.objects.create(
            policy=policy, position=position, delay_minutes=delay, targets=targets
        )
    if service is not None:
        ServicePaging.objects.create(service=service, policy=policy)
    return policy


def webhook_for(user, url: str) -> ContactMethod:
    return ContactMethod.objects.create(user=user, kind=ContactKind.WEBHOOK, address=url)


def pages(received: list[Received]) -> list[dict]:
    return [json.loads(r.body) for r in received]


def signed_correctly(request: Received, secret: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(request.headers.get("X-Keel-Signature-256", ""), expected)
