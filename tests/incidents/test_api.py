"""The REST API as a script would use it, with a Bearer token."""

from __future__ import annotations

import pytest

from incidents import lifecycle
from incidents.models import Incident, Service

from ..helpers import api_client, declare, incident_in


@pytest.fixture
def api(cast):
    return api_client(cast.responder)


def test_declaring_answers_201_with_the_ref_and_the_incident(cast, api, service):
    response = api.post(
        "/api/v1/incidents/",
        {
            "title": "Checkout 500s",
            "severity": "SEV1",
            "summary": "Carts fail",
            "services": ["checkout"],
            "team": cast.team.pk,
            "labels": {"region": "eu-west-1"},
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    body = response.data
    assert body["ref"] == "INC-1"
    assert (body["severity"], body["status"], body["summary"]) == (
        "SEV1",
        "investigating",
        "Carts fail",
    )
    assert body["services"] == [{"id": service.pk, "name": "checkout"}]
    assert body["roles"][0]["role"] == "commander"
    assert body["roles"][0]["user"]["email"] == "responder@example.com"
    assert body["labels"] == {"region": "eu-west-1"}
    assert body["url"].endswith("/incidents/INC-1/")
    assert "resolved" in body["allowed_moves"]
    fetched = api.get("/api/v1/incidents/INC-1/")
    assert fetched.data["title"] == "Checkout 500s"
    assert api.get("/api/v1/incidents/inc-1/").status_code == 200, "refs are case-insensitive"


def test_actions_change_the_incident_and_answer_with_it(cast, api):
    incident = declare(cast)
    url = f"/api/v1/incidents/{incident.ref}"
    assert (
        api.post(f"{url}/severity/", {"severity": "SEV1"}, format="json").data["severity"] == "SEV1"
    )
    response = api.post(
        f"{url}/status/", {"status": "monitoring", "body": "Rolled back"}, format="json"
    )
    assert response.data["status"] == "monitoring"
    assert response.data["mitigated_at"] is not None
    response = api.post(
        f"{url}/roles/", {"role": "scribe", "user": "admin@example.com"}, format="json"
    )
    assert {r["role"]: r["user"]["email"] for r in response.data["roles"]}[
        "scribe"
    ] == "admin@example.com"
    response = api.post(f"{url}/resolve/", {"body": "All good"}, format="json")
    assert response.data["status"] == "resolved"
    assert response.data["metrics"]["time_to_resolve"] >= 0
    assert api.post(f"{url}/reopen/", format="json").data["status"] == "investigating"
    assert api.post(f"{url}/decline/", format="json").data["status"] == "declined"


def test_a_refused_transition_is_409_naming_the_allowed_moves(cast, api):
    incident = incident_in(cast, "resolved")
    response = api.post(
        f"/api/v1/incidents/{incident.ref}/status/", {"status": "monitoring"}, format="json"
    )
    assert response.status_code == 409
    assert response.data["allowed"] == ["investigating"]
    assert "It can move to: investigating" in response.data["detail"]
    response = api.post(f"/api/v1/incidents/{incident.ref}/acknowledge/")
    assert response.status_code == 409


def test_notes_and_strikes_through_the_api(cast, api):
    incident = declare(cast)
    url = f"/api/v1/incidents/{incident.ref}"
    response = api.post(
        f"{url}/notes/", {"body": "Saw **502s** <script>alert(1)</script>"}, format="json"
    )
    assert response.status_code == 201
    note = response.data
    assert note["seq"] == 3 and note["kind"] == "note"
    assert "<strong>502s</strong>" in note["body_html"]
    assert "<script>" not in note["body_html"], "raw HTML in Markdown is never rendered"
    response = api.post(f"{url}/strike/", {"seq": 3, "reason": "Wrong incident"}, format="json")
    assert response.status_code == 200
    assert response.data["kind"] == "strike"
    timeline = api.get(f"{url}/timeline/").data["results"]
    assert timeline[2]["struck_by"]["email"] == "responder@example.com"


def test_timeline_after_returns_only_newer_events_in_order_and_pages(cast, api):
    incident = declare(cast)
    for n in range(5):
        lifecycle.add_note(incident, cast.responder, f"note {n}")
    url = f"/api/v1/incidents/{incident.ref}/timeline/"
    body = api.get(url, {"after": 4}).data
    assert [e["seq"] for e in body["results"]] == [5, 6, 7]
    assert body["last_seq"] == 7 and body["next"] is None
    event = body["results"][0]
    assert set(event) >= {"seq", "kind", "occurred_at", "author", "body", "data"}
    first = api.get(url, {"limit": 3}).data
    assert [e["seq"] for e in first["results"]] == [1, 2, 3]
    second = api.get(first["next"]).data
    assert [e["seq"] for e in second["results"]] == [4, 5, 6]


def test_merge_through_the_api(cast, api):
    keeper = declare(cast, title="Keeper")
    duplicate = declare(cast, title="Duplicate")
    response = api.post(
        f"/api/v1/incidents/{duplicate.ref}/merge/", {"into": keeper.ref}, format="json"
    )
    assert response.status_code == 200
    assert (response.data["status"], response.data["merged_into"]) == ("merged", keeper.ref)


def test_editing_title_summary_labels_and_services(cast, api, service):
    incident = declare(cast)
    response = api.patch(
        f"/api/v1/incidents/{incident.ref}/",
        {"title": "Renamed", "summary": "More", "labels": {"k": "v"}, "services": [service.pk]},
        format="json",
    )
    assert response.status_code == 200
    assert (response.data["title"], response.data["labels"]) == ("Renamed", {"k": "v"})
    assert response.data["services"][0]["name"] == "checkout"


@pytest.mark.parametrize(
    ("query", "expected_titles"),
    [
        ("status=open", ["Open SEV1", "Open SEV3"]),
        ("status=closed", ["Resolved"]),
        ("status=resolved", ["Resolved"]),
        ("status=investigating,resolved", ["Open SEV1", "Open SEV3", "Resolved"]),
        ("open=false", ["Resolved"]),
        ("severity=SEV1", ["Open SEV1"]),
        ("severity=SEV1,SEV3", ["Open SEV1", "Open SEV3"]),
        ("service=checkout", ["Open SEV1"]),
        ("team=ops", ["Open SEV1", "Open SEV3", "Resolved"]),
        ("team=other", []),
        ("q=sev3", ["Open SEV3"]),
        ("q=INC-1", ["Open SEV1"]),
        ("q=needle", ["Resolved"]),
    ],
)
def test_list_filters(cast, api, service, query, expected_titles):
    declare(cast, title="Open SEV1", severity="SEV1", services=[service])
    declare(cast, title="Open SEV3", severity="SEV3")
    incident_in(cast, "resolved", title="Resolved", summary="a needle in it")
    response = api.get(f"/api/v1/incidents/?{query}")
    assert response.status_code == 200
    assert sorted(i["title"] for i in response.data["results"]) == expected_titles


def test_list_is_newest_first_and_paginated(cast, api):
    for n in range(3):
        declare(cast, title=f"Incident {n}")
    page = api.get("/api/v1/incidents/", {"page_size": 2}).data
    assert [i["ref"] for i in page["results"]] == ["INC-3", "INC-2"]
    declare(cast, title="Arrives while paging")  # does not shift the next page
    second = api.get(page["next"]).data
    assert [i["ref"] for i in second["results"]] == ["INC-1"]
    assert second["next"] is None
    assert [i["ref"] for i in api.get(second["previous"]).data["results"]] == ["INC-3", "INC-2"]


def test_services_and_teams(cast, api):
    response = api.post(
        "/api/v1/services/", {"name": "search", "team": cast.team.pk}, format="json"
    )
    assert response.status_code == 201 and isinstance(response.data["id"], int)
    assert Service.objects.get(pk=response.data["id"]).team == cast.team
    duplicate = api.post("/api/v1/services/", {"name": "search"}, format="json")
    assert duplicate.status_code == 400 and "name" in duplicate.data["errors"]
    teams = api.get("/api/v1/teams/").data["results"]
    ops = next(t for t in teams if t["slug"] == "ops")
    assert {m["user"]["email"]: m["role"] for m in ops["members"]}["viewer@example.com"] == "viewer"


def test_me_and_tokens(cast, api):
    me = api.get("/api/v1/me/").data
    assert me["email"] == "responder@example.com"
    assert me["teams"] == [{"id": cast.team.pk, "name": "Ops", "slug": "ops", "role": "responder"}]
    assert (
        api.patch("/api/v1/me/", {"time_zone": "Asia/Tokyo"}, format="json").data["time_zone"]
        == "Asia/Tokyo"
    )
    bad_zone = api.patch("/api/v1/me/", {"time_zone": "Mars/Olympus"}, format="json")
    assert bad_zone.status_code == 400 and "time zone" in bad_zone.data["detail"]

    created = api.post("/api/v1/tokens/", {"name": "deploy"}, format="json").data
    assert created["token"].startswith("keel_")
    listed = api.get("/api/v1/tokens/").data
    assert all("token" not in t for t in listed), "a token's value is shown once only"
    fresh = api_client(None)
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {created['token']}")
    assert fresh.get("/api/v1/me/").status_code == 200
    assert api.delete(f"/api/v1/tokens/{created['id']}/").status_code == 204
    response = fresh.get("/api/v1/me/")
    assert response.status_code == 401 and "revoked" in response.data["detail"]


def test_someone_elses_token_cannot_be_revoked(cast, api):
    theirs = api_client(cast.admin)
    created = theirs.post("/api/v1/tokens/", {"name": "mine"}, format="json").data
    assert api.delete(f"/api/v1/tokens/{created['id']}/").status_code == 404


def test_incidents_are_never_deleted_through_the_api(cast, api):
    incident = declare(cast)
    assert api.delete(f"/api/v1/incidents/{incident.ref}/").status_code == 405
    assert Incident.objects.filter(pk=incident.pk).exists()
