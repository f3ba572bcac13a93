"""Bad input on every write endpoint gets a 4xx with a message a person can act on,
never a 500, and changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from incidents import lifecycle
from incidents.models import Incident, Service, TimelineEvent

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
    "ref",
    ["INC-999", "INC-abc", "INC-99999999999999999999", "nonsense", "INC-", "INC--1", "INC-\u0661"],
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


# --- Input that used to answer 500 --------------------------------------------------------

# Not plain ASCII integers: superscript two, Arabic-Indic three, fullwidth one, a percent.
NOT_ASCII_NUMBERS = ["²", "٣", "\uff11", "%", "%d", "1%"]


@pytest.mark.parametrize("value", NOT_ASCII_NUMBERS)
@pytest.mark.parametrize(
    "path",
    ["/api/v1/incidents/?page_size=", "/api/v1/services/?page_size=", "/api/v1/teams/?page_size="],
)
def test_a_page_size_that_is_not_an_ascii_number_is_a_400_naming_it(cast, path, value):
    response = api_client(cast.responder).get(path + quote(value))
    assert response.status_code == 400
    assert "page_size" in response.json()["detail"]


@pytest.mark.parametrize("value", NOT_ASCII_NUMBERS)
@pytest.mark.parametrize("name", ["team", "service"])
def test_a_team_or_service_filter_that_is_not_an_ascii_id_matches_nothing(cast, name, value):
    declare(cast)
    response = api_client(cast.responder).get(f"/api/v1/incidents/?{name}={quote(value)}")
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("value", NOT_ASCII_NUMBERS)
@pytest.mark.parametrize("name", ["team", "service"])
def test_the_incident_list_page_takes_any_team_or_service_filter(cast, client, name, value):
    declare(cast, title="Checkout down")
    client.force_login(cast.responder)
    response = client.get(f"/incidents/?{name}={quote(value)}")
    assert response.status_code == 200
    assert "Checkout down" not in response.content.decode()


@pytest.mark.parametrize(
    "query", ["status=%25d", "status=%25s%25(x)s", "severity=%25", "open=100%25", "status=%25%25"]
)
def test_filter_values_with_percent_signs_are_a_400_quoting_them(cast, client, query):
    response = api_client(cast.responder).get(f"/api/v1/incidents/?{query}")
    assert response.status_code == 400
    name = query.split("=")[0]
    assert name in response.json()["errors"]
    assert "%" in response.json()["detail"]
    client.force_login(cast.responder)
    page = client.get(f"/incidents/?{query}")
    assert page.status_code == 200
    assert "%" in page.content.decode()


UNSTORABLE = {
    "NUL": "pay\x00ments",
    "lone surrogate": "\ud800",
    "5,000 characters": "s" * 5000,
}


def post_json(api, path: str, body: dict, method: str = "post"):
    # json.dumps writes lone surrogates as \ud800 escapes, as a hostile client would.
    return getattr(api, method)(path, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("value", UNSTORABLE.values(), ids=UNSTORABLE.keys())
@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("services", lambda v: {"title": "x", "services": [v]}),
        ("commander", lambda v: {"title": "x", "commander": v}),
        ("labels", lambda v: {"title": "x", "labels": {v: "eu-west"}}),
        ("labels", lambda v: {"title": "x", "labels": {"region": v}}),
        ("title", lambda v: {"title": v}),
        ("summary", lambda v: {"title": "x", "summary": v + "\x00"}),
    ],
)
def test_unstorable_names_when_declaring_are_a_400_naming_the_field(cast, field, body, value):
    response = post_json(api_client(cast.responder), "/api/v1/incidents/", body(value))
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Incident.objects.exists()


@pytest.mark.parametrize("value", UNSTORABLE.values(), ids=UNSTORABLE.keys())
@pytest.mark.parametrize(
    ("action", "method", "field", "body"),
    [
        ("roles/", "post", "user", lambda v: {"role": "scribe", "user": v}),
        ("unassign/", "post", "user", lambda v: {"role": "scribe", "user": v}),
        ("", "patch", "services", lambda v: {"services": [v]}),
        ("", "patch", "labels", lambda v: {"labels": {v: "x"}}),
        ("notes/", "post", "body", lambda v: {"body": "x" + v[:1] + "\x00"}),
        ("merge/", "post", "into", lambda v: {"into": v}),
    ],
)
def test_unstorable_names_on_incident_actions_change_nothing(
    cast, action, method, field, body, value
):
    incident = declare(cast)
    before = count_rows()
    response = post_json(
        api_client(cast.responder),
        f"/api/v1/incidents/{incident.ref}/{action}",
        body(value),
        method,
    )
    assert response.status_code in (400, 404), response.content
    payload = response.json()
    assert field in payload.get("errors", {}) or "No incident" in payload["detail"]
    assert count_rows() == before


@pytest.mark.parametrize("value", UNSTORABLE.values(), ids=UNSTORABLE.keys())
def test_unstorable_service_names_are_a_400(cast, value):
    response = post_json(
        api_client(cast.responder), "/api/v1/services/", {"name": value, "team": cast.team.pk}
    )
    assert response.status_code == 400
    assert "name" in response.json()["errors"]
    assert not Service.objects.exists()


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_json_nested_tens_of_thousands_of_levels_deep_is_a_400(cast, opening):
    closing = "]" if opening == "[" else "}"
    body = opening * 50_000 + "1" + closing * 50_000
    response = api_client(cast.responder).post(
        "/api/v1/incidents/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]
    assert not Incident.objects.exists()


def test_json_nested_a_little_too_deep_is_refused_before_any_field_sees_it(cast):
    deep: list = []
    for _ in range(40):
        deep = [deep]
    response = post_json(api_client(cast.responder), "/api/v1/incidents/", {"services": deep})
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_a_body_over_the_size_limit_is_a_json_413(cast, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    incident = declare(cast)
    before = count_rows()
    response = post_json(
        api_client(cast.responder),
        f"/api/v1/incidents/{incident.ref}/notes/",
        {"body": "x" * 20_000},
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "too large: send at most 10000 bytes" in response.json()["detail"]
    assert count_rows() == before


# --- Times from long ago ----------------------------------------------------------------


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+05:00", "1999-06-01T12:00:00Z"]
)
def test_notes_back_dated_more_than_a_year_before_the_incident_are_a_400(cast, when):
    incident = declare(cast)
    before = count_rows()
    response = post_json(
        api_client(cast.responder),
        f"/api/v1/incidents/{incident.ref}/notes/",
        {"body": "the deploy", "occurred_at": when},
    )
    assert response.status_code == 400
    assert "occurred_at" in response.json()["errors"]
    assert count_rows() == before


def test_a_note_back_dated_by_a_month_is_fine(cast):
    incident = declare(cast)
    when = (timezone.now() - timedelta(days=30)).isoformat()
    response = post_json(
        api_client(cast.responder),
        f"/api/v1/incidents/{incident.ref}/notes/",
        {"body": "the deploy", "occurred_at": when},
    )
    assert response.status_code == 201


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "2001-01-01T00:00:00-05:00"])
def test_impact_start_long_before_the_incident_is_a_400(cast, when):
    api = api_client(cast.responder)
    response = post_json(api, "/api/v1/incidents/", {"title": "x", "impact_started_at": when})
    assert response.status_code == 400
    assert "impact_started_at" in response.json()["errors"]
    assert not Incident.objects.exists()
    incident = declare(cast)
    response = post_json(
        api, f"/api/v1/incidents/{incident.ref}/", {"impact_started_at": when}, method="patch"
    )
    assert response.status_code == 400
    assert "impact_started_at" in response.json()["errors"]
    incident.refresh_from_db()
    assert incident.impact_started_at is None


def test_a_time_from_year_one_already_stored_still_shows_west_of_utc(cast, client):
    """Older data may hold such a time: the page and the API show it (in UTC, marked)."""
    incident = declare(cast)
    note = lifecycle.add_note(incident, cast.responder, "Ancient history")
    year_one = datetime(1, 1, 1, 0, 30, tzinfo=UTC)
    TimelineEvent.objects.filter(pk=note.pk).update(occurred_at=year_one)
    Incident.objects.filter(pk=incident.pk).update(impact_started_at=year_one)
    cast.responder.time_zone = "America/New_York"
    cast.responder.save()
    client.force_login(cast.responder)
    page = client.get(f"/incidents/{incident.ref}/")
    assert page.status_code == 200
    assert "Jan 1 1, 00:30 UTC" in page.content.decode()
    api = api_client(cast.responder)
    for path in (
        f"/api/v1/incidents/{incident.ref}/",
        f"/api/v1/incidents/{incident.ref}/timeline/",
    ):
        response = api.get(path, HTTP_ACCEPT="application/json")
        assert response.status_code == 200
    response = client.get(f"/api/v1/incidents/{incident.ref}/timeline/")
    assert response.status_code == 200
    assert "0001-01-01T00:30:00Z" in response.content.decode()


# --- API errors are JSON, whichever layer answers -------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("get", "/api/v1/nothing-here/", {}, 404),
        ("get", "/api/v1/incidents/INC-1/nothing/", {}, 404),
        ("put", "/api/v1/incidents/", {}, 405),
        ("delete", "/api/v1/services/", {}, 405),
        ("get", "/api/v1/incidents/", {"HTTP_ACCEPT": "application/xml"}, 406),
        ("post", "/api/v1/incidents/", {"data": "x", "content_type": "text/plain"}, 415),
        ("get", "/api/v1/incidents/", {"HTTP_HOST": "evil.example.com"}, 400),
    ],
)
def test_api_errors_are_always_json(cast, method, path, headers, status):
    api = api_client(cast.responder)
    api.raise_request_exception = False
    response = getattr(api, method)(path, **headers)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "when", ["0662-03-23T08:05:42-18:15", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"]
)
def test_list_filters_with_times_postgres_cannot_take_are_a_400_or_work(cast, when):
    declare(cast)
    response = api_client(cast.responder).get(f"/api/v1/incidents/?created_after={quote(when)}")
    assert response.status_code in (200, 400)
    assert response["Content-Type"] == "application/json"


def test_a_ref_with_non_ascii_digits_is_not_another_incident(cast):
    incident = declare(cast)
    assert incident.ref == "INC-1"
    api = api_client(cast.responder)
    assert api.get("/api/v1/incidents/INC-\u0661/").status_code == 404  # Arabic-Indic one
    assert api.get("/api/v1/incidents/INC-1/").status_code == 200
