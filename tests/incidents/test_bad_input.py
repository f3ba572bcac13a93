"""Bad input on every write endpoint gets a 4xx with a message a person can act on,
never a 500, and changes nothing."""

from __future__ import annotations

import pytest

from incidents.models import Incident, TimelineEvent

from ..helpers import api_client, declare

LONG = "x" * 20001

# (path after /api/v1/incidents/{ref}, bad bodies with the field the message must name)
WRITES = {
    "": (
        "patch",
        [
            ({"title": ""}, "title"),
            ({"title": LONG}, "title"),
            ({"labels": ["a"]}, "labels"),
            ({"labels": {"k": 1}}, "labels"),
            ({"services": [999]}, "services"),
            ({"private": "maybe"}, "private"),
            ({}, "Nothing to change"),
            ({"impact_started_at": "yesterday"}, "impact_started_at"),
            ({"summary": LONG}, "summary"),
        ],
    ),
    "status/": (
        "post",
        [
            ({}, "status"),
            ({"status": "fixed"}, "status"),
            ({"status": 3}, "status"),
            ({"status": "resolved", "body": LONG}, "body"),
        ],
    ),
    "severity/": (
        "post",
        [
            ({"severity": "SEV0"}, "severity"),
            ({"severity": None}, "severity"),
            ({"severity": ["SEV1"]}, "severity"),
        ],
    ),
    "roles/": (
        "post",
        [
            ({"role": "boss", "user": "admin@example.com"}, "role"),
            ({"role": "scribe", "user": "nobody@example.com"}, "user"),
            ({"role": "scribe", "user": {"id": 1}}, "user"),
            ({"role": "scribe", "user": 99999999999999999999}, "user"),
            ({"role": "scribe"}, "user"),
        ],
    ),
    "unassign/": ("post", [({"role": "scribe", "user": True}, "user")]),
    "notes/": (
        "post",
        [
            ({}, "body"),
            ({"body": ""}, "body"),
            ({"body": "   "}, "body"),
            ({"body": "x" * 10001}, "body"),
            ({"body": 42}, "body"),
            ({"body": "x", "occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
            ({"body": "x", "occurred_at": "not a date"}, "occurred_at"),
        ],
    ),
    "strike/": (
        "post",
        [
            ({"seq": "first"}, "seq"),
            ({"seq": 0}, "seq"),
            ({"seq": 2**40}, "seq"),
            ({"seq": 99}, "no note #99"),
            ({"seq": 1}, "no note #1"),
        ],
    ),
    "merge/": (
        "post",
        [
            ({}, "into"),
            ({"into": 5}, "into"),
            ({"into": "INC-404"}, "No incident"),
            ({"into": "INC-1"}, "itself"),
        ],
    ),
    "resolve/": ("post", [({"body": LONG}, "body"), ({"body": {"a": 1}}, "body")]),
}
CASES = [
    (action, method, body, named)
    for action, (method, bodies) in WRITES.items()
    for body, named in bodies
]


def count_rows() -> tuple[int, int]:
    return Incident.objects.count(), TimelineEvent.objects.count()


@pytest.mark.parametrize(("action", "method", "body", "named"), CASES)
def test_invalid_body_is_a_400_or_404_naming_the_problem(cast, action, method, body, named):
    incident = declare(cast)
    before = count_rows()
    api = api_client(cast.responder)
    response = getattr(api, method)(
        f"/api/v1/incidents/{incident.ref}/{action}", body, format="json"
    )
    assert response.status_code in (400, 404), response.data
    assert named in response.data["detail"] or named in response.data.get("errors", {})
    assert count_rows() == before


@pytest.mark.parametrize("action", ["", *WRITES])
@pytest.mark.parametrize("raw", ['{"body": ', "[1, 2]", "null", "not json at all"])
def test_malformed_json_is_a_400(cast, action, raw):
    incident = declare(cast)
    method = WRITES.get(action, ("patch",))[0] if action else "patch"
    api = api_client(cast.responder)
    response = getattr(api, method)(
        f"/api/v1/incidents/{incident.ref}/{action}", raw, content_type="application/json"
    )
    assert response.status_code == 400, response.data
    assert response.data["detail"]


def test_form_encoded_bodies_are_refused_with_415(cast):
    incident = declare(cast)
    response = api_client(cast.responder).post(
        f"/api/v1/incidents/{incident.ref}/notes/", {"body": "x"}
    )
    assert response.status_code == 415
    assert "application/json" in response.data["detail"] or "Unsupported" in response.data["detail"]


@pytest.mark.parametrize(
    "ref", ["INC-999", "INC-abc", "INC-99999999999999999999", "nonsense", "INC-", "INC--1"]
)
@pytest.mark.parametrize("action", ["", "timeline/", "notes/", "resolve/"])
def test_unknown_refs_are_404_with_a_message(cast, ref, action):
    api = api_client(cast.responder)
    method = "get" if action in ("", "timeline/") else "post"
    response = getattr(api, method)(
        f"/api/v1/incidents/{ref}/{action}", {"body": "x"}, format="json"
    )
    assert response.status_code == 404
    assert response.data["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": "x", "severity": "critical"},
        {"title": LONG},
        {"title": "x", "team": 99999},
        {"title": "x", "team": "ops"},
        {"title": "x", "services": "checkout"},
        {"title": "x", "services": ["no-such-service"]},
        {"title": "x", "labels": {"": "empty key"}},
        {"title": "x", "commander": "ghost@example.com"},
        {"title": "x", "impact_started_at": "2999-01-01T00:00:00Z"},
        {"title": "x", "private": [True]},
    ],
)
def test_declaring_with_bad_input_is_a_400(cast, body):
    response = api_client(cast.responder).post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 400, response.data
    assert response.data["detail"]
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "status=fixed", "severity=SEV7", "open=perhaps", "created_after=tuesday",
        "cursor=bogus", "page_size=-1", "page_size=1000", "q=" + "x" * 300,
    ],
)  # fmt: skip
def test_bad_list_queries_are_4xx_with_a_message(cast, query):
    declare(cast)
    response = api_client(cast.responder).get(f"/api/v1/incidents/?{query}")
    assert response.status_code in (400, 404), response.status_code
    assert response.data["detail"]


@pytest.mark.parametrize("query", ["after=abc", "after=-1", "limit=0", "limit=100000", "after=1e3"])
def test_bad_timeline_queries_are_400(cast, query):
    incident = declare(cast)
    response = api_client(cast.responder).get(f"/api/v1/incidents/{incident.ref}/timeline/?{query}")
    assert response.status_code == 400
    assert response.data["detail"]


@pytest.mark.parametrize(
    ("path", "method", "body"),
    [
        ("/api/v1/services/", "post", {"name": ""}),
        ("/api/v1/services/", "post", {"name": "y" * 101}),
        ("/api/v1/services/", "post", {"name": "ok", "team": "nope"}),
        ("/api/v1/services/999999999999999999999/", "patch", {"name": "z"}),
        ("/api/v1/tokens/", "post", {"name": ""}),
        ("/api/v1/tokens/", "post", {"name": "n" * 101}),
        ("/api/v1/tokens/abc/", "delete", {}),
        ("/api/v1/me/", "patch", {"display_name": "d" * 101}),
        ("/api/v1/me/", "patch", {"time_zone": 12}),
    ],
)
def test_bad_input_elsewhere_in_the_api(cast, path, method, body):
    response = getattr(api_client(cast.responder), method)(path, body, format="json")
    assert response.status_code in (400, 404), response.status_code
    assert response.json()["detail"]


def test_bad_input_on_page_forms_shows_a_message_and_changes_nothing(cast, client):
    incident = declare(cast)
    client.force_login(cast.responder)
    before = count_rows()
    response = client.post(f"/incidents/{incident.ref}/note/", {"body": ""})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    response = client.post(f"/incidents/{incident.ref}/status/", {"status": "merged"})
    assert response.status_code == 400
    assert "merge it into the other incident" in response.content.decode()
    response = client.post(f"/incidents/{incident.ref}/strike/", {"seq": 1})
    assert response.status_code == 400
    assert "has no note #1" in response.content.decode()
    assert client.post("/incidents/INC-77/note/", {"body": "x"}).status_code == 404
    assert client.post(f"/incidents/{incident.ref}/explode/", {}).status_code == 404
    assert count_rows() == before
