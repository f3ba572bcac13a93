"""Merging never carries a private incident's ref or title to people who cannot see it."""

from __future__ import annotations

import json
import re

from django.test import Client

from incidents import lifecycle

from ..helpers import api_client, declare

SECRET = "Payroll export leaks salaries"


def names(text: str, ref: str) -> bool:
    return re.search(rf"\b{ref}\b", text) is not None


def page_text(user, incident) -> str:
    client = Client()
    client.force_login(user)
    return client.get(incident.get_absolute_url()).content.decode()


def test_a_private_incident_merged_into_a_public_one_is_not_named_there(cast):
    private = declare(cast, title=SECRET, private=True)
    public = declare(cast, title="Checkout errors")
    lifecycle.merge(private, cast.responder, public)

    timeline = api_client(cast.outsider).get(f"/api/v1/incidents/{public.ref}/timeline/")
    assert timeline.status_code == 200
    text = json.dumps(timeline.data)
    assert SECRET not in text and not names(text, private.ref)
    html = page_text(cast.outsider, public)
    assert SECRET not in html and not names(html, private.ref)
    assert "merged a private incident into this incident" in html


def test_a_public_incident_merged_into_a_private_one_does_not_name_it(cast):
    public = declare(cast, title="Checkout errors")
    private = declare(cast, title=SECRET, private=True)
    lifecycle.merge(public, cast.responder, private)

    outsider = api_client(cast.outsider)
    body = outsider.get(f"/api/v1/incidents/{public.ref}/").data
    assert body["status"] == "merged" and body["merged_into"] is None
    text = json.dumps(outsider.get(f"/api/v1/incidents/{public.ref}/timeline/").data)
    assert not names(text, private.ref) and SECRET not in text
    html = page_text(cast.outsider, public)
    assert not names(html, private.ref) and "a private incident" in html
    # The team, who can see both, still learn where it went through the API.
    assert (
        api_client(cast.viewer).get(f"/api/v1/incidents/{public.ref}/").data["merged_into"]
        == private.ref
    )


def test_public_incidents_merged_together_name_each_other(cast):
    duplicate = declare(cast, title="Slow checkout")
    keeper = declare(cast, title="Checkout errors")
    lifecycle.merge(duplicate, cast.responder, keeper)
    html = page_text(cast.outsider, keeper)
    assert names(html, duplicate.ref) and "Slow checkout" in html
    assert names(page_text(cast.outsider, duplicate), keeper.ref)
