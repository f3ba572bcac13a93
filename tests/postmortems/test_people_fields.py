"""Fields that name a person (action-item owner, reviewers), in the browser as in the API:
only people you may see, and someone outside your teams is answered exactly like an address
nobody has, so the forms do not tell whether an account exists."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from incidents.postmortems.models import ActionItem, Review

from ..helpers import api_client
from .helpers import postmortem_of, seeded_incident


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def errors(response) -> list[str]:
    """The error messages the refused page shows, with the address named made anonymous."""
    found = re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<', response.content.decode())
    return [re.sub(r"[\w.+-]+@example\.com", "EMAIL", html.unescape(m)).strip() for m in found]


@pytest.mark.parametrize(
    ("action", "field", "extra"),
    [("item", "owner", {"title": "Alert on pool usage", "priority": "medium"}),
     ("review", "reviewers", {})],
)  # fmt: skip
def test_an_outsider_is_refused_like_an_address_nobody_has(cast, action, field, extra):
    incident = seeded_incident(cast)
    client = client_of(cast.responder)
    url = f"/incidents/{incident.ref}/postmortem/{action}/"
    hidden = client.post(url, {**extra, field: "outsider@example.com"})
    missing = client.post(url, {**extra, field: "nobody@example.com"})
    assert hidden.status_code == missing.status_code == 400
    assert errors(hidden) == errors(missing)
    assert any("No active user 'EMAIL'" in e for e in errors(hidden)), errors(hidden)
    assert not ActionItem.objects.exists() and not Review.objects.exists()
    # The API says the same thing about the same address.
    api = api_client(cast.responder)
    base = f"/api/v1/incidents/{incident.ref}/postmortem/"
    body = (
        {"title": "x", "owner": "outsider@example.com"}
        if action == "item"
        else {"reviewers": ["outsider@example.com"]}
    )
    answer = api.post(base + ("action-items/" if action == "item" else "review/"), body,
                      format="json")  # fmt: skip
    assert answer.status_code == 400
    assert "No active user 'outsider@example.com'" in str(answer.json())


def test_a_teammate_is_named_as_before(cast):
    incident = seeded_incident(cast)
    client = client_of(cast.responder)
    base = f"/incidents/{incident.ref}/postmortem/"
    answer = client.post(
        base + "item/", {"title": "Alert on pool usage", "priority": "medium",
                         "owner": "ADMIN@example.com"},
    )  # fmt: skip
    assert answer.status_code == 302
    assert ActionItem.objects.get().owner == cast.admin
    assert client.post(base + "review/", {"reviewers": "admin@example.com"}).status_code == 302
    assert [r.reviewer for r in postmortem_of(incident).reviews.all()] == [cast.admin]
