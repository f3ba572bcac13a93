"""Factors and action items through the API and the pages; reminders for due items; the
lists across incidents."""

from __future__ import annotations

from datetime import date, timedelta

from django.core import mail

from incidents.models import TimelineEvent
from incidents.postmortems import records, reminders
from incidents.postmortems.models import ActionItem

from ..helpers import api_client
from .helpers import postmortem_of, seeded_incident


def test_a_factor_links_its_evidence_and_the_action_items_that_address_it(cast):
    incident = seeded_incident(cast)
    client = api_client(cast.responder)
    base = f"/api/v1/incidents/{incident.ref}/postmortem/"
    factor = client.post(
        base + "factors/",
        {
            "category": "monitoring",
            "description": "No alert on pool saturation",
            "evidence": [3, 4],
        },
        format="json",
    )
    assert factor.status_code == 201, factor.json()
    assert factor.json()["evidence"] == [3, 4]
    item = client.post(
        base + "action-items/",
        {
            "title": "Alert on pool usage",
            "owner": "admin@example.com",
            "due_date": "2030-01-01",
            "priority": "high",
            "factors": [factor.json()["id"]],
        },
        format="json",
    )
    assert item.status_code == 201, item.json()
    assert item.json()["owner"] == "admin@example.com"
    again = client.get(f"/api/v1/factors/{factor.json()['id']}/").json()
    assert again["action_items"] == [item.json()["id"]]


def test_bad_records_are_400(cast):
    incident = seeded_incident(cast)
    client = api_client(cast.responder)
    base = f"/api/v1/incidents/{incident.ref}/postmortem/"
    for body in (
        {"category": "blame", "description": "x"},
        {"category": "process", "description": "x", "evidence": [999]},
        {"category": "process"},
    ):
        assert client.post(base + "factors/", body, format="json").status_code == 400, body
    for body in (
        {"title": "x", "owner": "nobody@example.com"},
        {"title": "x", "owner": "viewer@example.com"},
        {"title": "x", "due_date": "tomorrow"},
        {"title": "x", "factors": [12345]},
        {"title": "x", "link": "javascript:alert(1)"},
    ):
        assert client.post(base + "action-items/", body, format="json").status_code == 400, body


def test_my_and_all_open_action_items(cast, client):
    incident = seeded_incident(cast)
    postmortem = postmortem_of(incident)
    records.add_action_item(postmortem, cast.responder, title="Mine", owner=cast.responder)
    records.add_action_item(postmortem, cast.responder, title="Theirs", owner=cast.admin)
    done = records.add_action_item(postmortem, cast.responder, title="Done already")
    records.update_action_item(done, cast.responder, {"status": "done"})
    client.force_login(cast.responder)
    mine = client.get("/postmortems/action-items/mine/").content.decode()
    assert "Mine" in mine and "Theirs" not in mine
    everything = client.get("/postmortems/action-items/").content.decode()
    assert "Mine" in everything and "Theirs" in everything and "Done already" not in everything
    api = api_client(cast.responder).get("/api/v1/action-items/?owner=me&status=open").json()
    assert [i["title"] for i in api["results"]] == ["Mine"]


def test_action_items_stay_workable_after_publishing(cast):
    incident = seeded_incident(cast)
    postmortem = postmortem_of(incident)
    item = records.add_action_item(postmortem, cast.responder, title="Fix it")
    postmortem.status = "published"
    postmortem.save()
    response = api_client(cast.responder).patch(
        f"/api/v1/action-items/{item.pk}/", {"status": "done"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "done"
    factor = api_client(cast.responder).post(
        f"/api/v1/incidents/{incident.ref}/postmortem/factors/",
        {"category": "process", "description": "late"},
        format="json",
    )
    assert factor.status_code == 409


def test_due_items_are_reminded_once_per_due_date(cast):
    incident = seeded_incident(cast)
    postmortem = postmortem_of(incident)
    today = date(2030, 5, 1)
    due = records.add_action_item(
        postmortem, cast.responder, title="Rotate keys", owner=cast.admin, due_date=today
    )
    records.add_action_item(
        postmortem,
        cast.responder,
        title="Later",
        owner=cast.admin,
        due_date=today + timedelta(days=3),
    )
    assert reminders.remind(today) == 1
    assert reminders.remind(today) == 0
    [message] = mail.outbox
    assert message.to == ["admin@example.com"]
    assert "Rotate keys" in message.subject and "due today" in message.subject
    event = TimelineEvent.objects.filter(incident=incident, kind="reminder").get()
    assert "Rotate keys" in event.body
    records.update_action_item(due, cast.responder, {"due_date": today + timedelta(days=1)})
    assert reminders.remind(today + timedelta(days=1)) == 1
    assert ActionItem.objects.get(pk=due.pk).reminded_for == today + timedelta(days=1)


def test_the_factors_page_counts_by_category_and_filters(cast, client):
    incident = seeded_incident(cast)
    postmortem = postmortem_of(incident)
    for text in ("Pool too small", "Pool alert missing"):
        records.add_factor(postmortem, cast.responder, category="technical", description=text)
    records.add_factor(postmortem, cast.responder, category="process", description="No review")
    client.force_login(cast.viewer)
    page = client.get("/postmortems/factors/").content.decode()
    assert "Pool too small" in page and "No review" in page
    assert "pm-recurring" in page  # two technical factors in one month stand out
    only = client.get("/postmortems/factors/?category=process").content.decode()
    assert "No review" in only and "Pool too small" not in only
    bad = client.get("/postmortems/factors/?start=yesterday")
    assert bad.status_code == 200


def test_an_action_item_done_during_the_incident_can_be_recorded_as_done(cast):
    incident = seeded_incident(cast)
    client = api_client(cast.responder)
    base = f"/api/v1/incidents/{incident.ref}/postmortem/"
    response = client.post(
        base + "action-items/", {"title": "Raised the pool size", "status": "done"}, format="json"
    )
    assert response.status_code == 201, response.data
    assert response.data["status"] == "done"
    assert ActionItem.objects.get(title="Raised the pool size").status == "done"
