"""POST /api/v1/blameless/check: findings as the contract says, the incident's people,
the admin's phrases, and a 413 for text over the limit."""

from __future__ import annotations

from incidents import lifecycle
from incidents.models import IncidentRole
from incidents.postmortems import blameless
from incidents.postmortems.blameless import MAX_TEXT
from incidents.postmortems.models import BlamePhrase

from ..helpers import api_client, declare


def test_check_returns_findings_with_offsets_reason_and_suggestion(cast):
    text = "The rollout was fine. This was human error."
    response = api_client(cast.viewer).post(
        "/api/v1/blameless/check", {"text": text}, format="json"
    )
    assert response.status_code == 200
    [finding] = response.json()["findings"]
    assert set(finding) == {"start", "end", "text", "reason", "suggestion"}
    assert text[finding["start"] : finding["end"]] == "human error"


def test_the_incidents_people_count_as_people(cast):
    # A name no list of common first names holds: only the incident makes it a person.
    cast.admin.display_name = "Quillon Ashdown"
    cast.admin.save()
    incident = declare(cast)
    lifecycle.assign_role(incident, cast.responder, IncidentRole.SCRIBE, cast.admin)
    client = api_client(cast.responder)
    text = f"{cast.admin.name} missed the page."
    without = client.post("/api/v1/blameless/check", {"text": text}, format="json").json()
    with_incident = client.post(
        "/api/v1/blameless/check", {"text": text, "incident": incident.ref}, format="json"
    ).json()
    assert without["findings"] == []
    assert with_incident["findings"][0]["text"] == "Quillon Ashdown missed"


def test_admins_can_extend_the_phrase_list(cast):
    client = api_client(cast.responder)
    text = "The deploy was a cowboy move."
    assert client.post("/api/v1/blameless/check", {"text": text}, format="json").json() == {
        "findings": []
    }
    BlamePhrase.objects.create(phrase="cowboy move", reason="Judgement.", suggestion="Describe.")
    [finding] = client.post("/api/v1/blameless/check", {"text": text}, format="json").json()[
        "findings"
    ]
    assert finding["text"] == "cowboy move"
    assert finding["reason"] == "Judgement."


def test_text_over_the_limit_is_413_with_a_message(cast):
    response = api_client(cast.responder).post(
        "/api/v1/blameless/check", {"text": "a" * (MAX_TEXT + 1)}, format="json"
    )
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_bad_input_is_400_and_a_hidden_incident_is_404(cast):
    client = api_client(cast.outsider)
    assert client.post("/api/v1/blameless/check", {"text": 5}, format="json").status_code == 400
    assert client.post("/api/v1/blameless/check", {}, format="json").status_code == 400
    hidden = declare(cast, private=True)
    response = client.post(
        "/api/v1/blameless/check", {"text": "x", "incident": hidden.ref}, format="json"
    )
    assert response.status_code == 404


def test_forgetting_is_flagged_whoever_forgot_even_someone_not_on_the_incident():
    # A name no list holds: the verb alone is the finding.
    [finding] = blameless.check("Zorvan forgot to restart the service.")
    assert finding.text == "forgot" and finding.suggestion
    # A common first name is a person: the finding starts at them.
    [finding] = blameless.check("Bob forgot to restart the service.")
    assert finding.text == "Bob forgot to"
