"""Each contact method keeps its own rules: adding, editing or removing one never changes
another, a new one starts "at once", and a page goes out on each as its own rules say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.test import Client

from incidents.models import Service
from incidents.paging import escalate
from incidents.paging.models import ContactKind, ContactMethod, Escalation, Notification
from tests.helpers import api_client, declare

from .helpers import make_policy

API = "/api/v1/contact-methods/"


def rules_of(client, pk: int) -> list[int]:
    return client.get(f"{API}{pk}/").json()["rules"]


def test_adding_editing_and_removing_a_webhook_leaves_email_as_it_was(cast, db):
    client = api_client(cast.responder)
    email = client.post(API, {"kind": "email", "address": "r@example.com"}, format="json")
    assert email.json()["id"] and rules_of(client, email.json()["id"]) == [0]  # at once
    hook = client.post(
        API, {"kind": "webhook", "address": "https://pager.example.com/r", "rules": [5]},
        format="json",
    )  # fmt: skip
    hook_id, email_id = hook.json()["id"], email.json()["id"]
    assert rules_of(client, email_id) == [0]
    client.patch(f"{API}{hook_id}/", {"rules": [1, 15]}, format="json")
    assert rules_of(client, hook_id) == [1, 15] and rules_of(client, email_id) == [0]
    client.delete(f"{API}{hook_id}/")
    assert rules_of(client, email_id) == [0]


def test_an_old_method_without_rules_still_pages_at_once_beside_a_new_one(cast, committed):
    """The reported case: the demo's email method had no rule; adding a webhook (with its
    rule) silenced it."""
    service = Service.objects.create(name="checkout", team=cast.team)
    make_policy(cast.team, (5, [{"user": cast.responder.pk}]), service=service)
    ContactMethod.objects.create(user=cast.responder, kind=ContactKind.EMAIL, address="r@x.io")
    api_client(cast.responder).post(
        API, {"kind": "webhook", "address": "https://pager.example.com/r", "rules": [5]},
        format="json",
    )  # fmt: skip
    incident = declare(cast, actor=None, services=[service])
    escalation = Escalation.objects.get(incident=incident)
    now = datetime.now(UTC)
    escalate.run_step(escalation.pk, str(escalation.token), now)
    planned = {n.kind: n.due_at - now for n in Notification.objects.all()}
    assert planned == {"email": timedelta(0), "webhook": timedelta(minutes=5)}


def test_the_profile_shows_each_methods_rules_and_a_new_method_starts_at_once(cast, db):
    browser = Client()
    browser.force_login(cast.responder)
    browser.post("/paging/contact-methods/",
                 {"kind": "email", "address": "r@example.com", "delay_minutes": 0})  # fmt: skip
    browser.post("/paging/contact-methods/",
                 {"kind": "webhook", "address": "https://pager.example.com/r",
                  "delay_minutes": 10})  # fmt: skip
    email, hook = ContactMethod.objects.order_by("pk")
    assert list(email.rules.values_list("delay_minutes", flat=True)) == [0]
    assert list(hook.rules.values_list("delay_minutes", flat=True)) == [10]
    page = browser.get("/accounts/profile/").text
    assert "not used" not in page
    first = page.index(f'id="contact-method-{email.pk}"')
    second = page.index(f'id="contact-method-{hook.pk}"')
    assert "at once" in page[first:second] and "after 10 min" in page[second:]
