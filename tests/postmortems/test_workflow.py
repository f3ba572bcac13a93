"""Who may request review, approve and publish; publishing needs an approval of the current
version and, with open findings, the reviewer's explicit acknowledgement."""

from __future__ import annotations

from incidents.models import TimelineEvent
from incidents.postmortems.models import Postmortem

from ..helpers import api_client
from .helpers import postmortem_of, seeded_incident

BLAMEFUL = "Tom Becker forgot to renew the certificate."


def base(incident) -> str:
    return f"/api/v1/incidents/{incident.ref}/postmortem/"


def test_responders_request_review_viewers_cannot(cast):
    incident = seeded_incident(cast)
    body = {"reviewers": ["admin@example.com"]}
    assert (
        api_client(cast.viewer).post(base(incident) + "review/", body, format="json").status_code
        == 403
    )
    response = api_client(cast.responder).post(base(incident) + "review/", body, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "in_review"
    last = TimelineEvent.objects.filter(incident=incident).order_by("-seq").first()
    assert last.kind == "postmortem" and "in review" in last.body


def test_a_reviewer_must_be_able_to_work_on_the_incident(cast):
    incident = seeded_incident(cast)
    response = api_client(cast.responder).post(
        base(incident) + "review/", {"reviewers": ["viewer@example.com"]}, format="json"
    )
    assert response.status_code == 400
    assert "viewer@example.com" in response.json()["detail"]


def test_only_a_requested_reviewer_or_a_team_admin_approves(cast):
    incident = seeded_incident(cast)
    responder = api_client(cast.responder)
    responder.post(
        base(incident) + "review/", {"reviewers": ["responder@example.com"]}, format="json"
    )
    # The staff user is admin everywhere; the outsider cannot even see the incident.
    assert (
        api_client(cast.viewer).post(base(incident) + "approve/", {}, format="json").status_code
        == 403
    )
    assert responder.post(base(incident) + "approve/", {}, format="json").status_code == 200
    assert (
        api_client(cast.admin).post(base(incident) + "approve/", {}, format="json").status_code
        == 200
    )


def test_a_responder_who_was_not_asked_cannot_approve(cast):
    incident = seeded_incident(cast)
    api_client(cast.responder).post(
        base(incident) + "review/", {"reviewers": ["admin@example.com"]}, format="json"
    )
    response = api_client(cast.responder).post(base(incident) + "approve/", {}, format="json")
    assert response.status_code == 403


def test_publishing_needs_an_approval_of_the_current_version(cast):
    incident = seeded_incident(cast)
    client = api_client(cast.responder)
    assert client.post(base(incident) + "publish/", {}, format="json").status_code == 409
    client.post(base(incident) + "review/", {"reviewers": ["admin@example.com"]}, format="json")
    assert client.post(base(incident) + "publish/", {}, format="json").status_code == 409
    api_client(cast.admin).post(base(incident) + "approve/", {}, format="json")
    # An edit after the approval needs a new one.
    client.put(base(incident), {"version": 1, "sections": {"summary": "Clearer."}}, format="json")
    stale = client.post(base(incident) + "publish/", {}, format="json")
    assert stale.status_code == 409
    assert "approval" in stale.json()["detail"]
    api_client(cast.admin).post(base(incident) + "approve/", {}, format="json")
    published = client.post(base(incident) + "publish/", {"allow_empty": True}, format="json")
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    last = TimelineEvent.objects.filter(incident=incident).order_by("-seq").first()
    assert last.body == "Postmortem published."


def test_open_findings_need_the_reviewers_reviewed_acknowledgement(cast):
    incident = seeded_incident(cast)
    client, reviewer = api_client(cast.responder), api_client(cast.admin)
    client.put(base(incident), {"version": 1, "sections": {"summary": BLAMEFUL}}, format="json")
    shown = client.get(base(incident)).json()["findings"]
    assert [f["text"] for f in shown] == ["Tom Becker forgot to"]
    assert shown[0]["section"] == "summary"
    client.post(base(incident) + "review/", {"reviewers": ["admin@example.com"]}, format="json")
    reviewer.post(base(incident) + "approve/", {}, format="json")
    refused = client.post(base(incident) + "publish/", {}, format="json")
    assert refused.status_code == 409
    assert "reviewed" in refused.json()["detail"]
    assert postmortem_of(incident).status == "in_review"
    reviewer.post(base(incident) + "approve/", {"findings_reviewed": True}, format="json")
    published = client.post(base(incident) + "publish/", {"allow_empty": True}, format="json")
    assert published.status_code == 200


def test_a_refused_page_action_says_so_in_its_status_and_changes_nothing(cast, client):
    """As on the incident page: a refusal is the page again with the reason, never a
    silent redirect."""
    incident = seeded_incident(cast)
    postmortem = postmortem_of(incident)
    client.force_login(cast.responder)
    base = f"/incidents/{incident.ref}/postmortem/"
    publish = client.post(base + "publish/", {})  # nobody approved it
    assert publish.status_code in (400, 409)
    assert Postmortem.objects.get(pk=postmortem.pk).status == postmortem.status
    bad_factor = client.post(base + "factor/", {"category": "blame", "description": "x"})
    assert bad_factor.status_code == 400
    assert not postmortem.factors.exists()
