"""The browser pages, through Django's test client: what a person sees and can do."""

from __future__ import annotations

import pytest

from incidents.models import Incident, Service, Status

from ..helpers import declare, incident_in


@pytest.fixture
def signed_in(client, cast):
    client.force_login(cast.responder)
    return client


def test_the_list_shows_open_incidents_by_default_with_their_badges(cast, signed_in):
    declare(cast, title="Checkout down", severity="SEV1")
    incident_in(cast, Status.RESOLVED, title="Old problem")
    html = signed_in.get("/incidents/").content.decode()
    assert "Checkout down" in html and "sev-SEV1" in html and "status-investigating" in html
    assert "Old problem" not in html
    closed = signed_in.get("/incidents/?status=closed").content.decode()
    assert "Old problem" in closed and "Checkout down" not in closed


def test_the_list_filters_and_says_when_nothing_matches(cast, signed_in):
    declare(cast, title="Checkout down")
    html = signed_in.get("/incidents/?q=nothing-like-this").content.decode()
    assert "No incidents match" in html
    html = signed_in.get("/incidents/?status=bogus").content.decode()
    assert "Unknown status" in html


def test_declaring_from_the_form(cast, signed_in, service):
    response = signed_in.post(
        "/incidents/new/",
        {"title": "Search is slow", "severity": "SEV2", "team": cast.team.pk,
         "services": [service.pk], "summary": "p95 at *2s*"},
        follow=True,
    )  # fmt: skip
    incident = Incident.objects.get()
    assert response.redirect_chain[-1][0] == "/incidents/INC-1/"
    html = response.content.decode()
    assert "INC-1 declared" in html and "<em>2s</em>" in html
    assert incident.services.get() == service


def test_declare_form_shows_field_errors(cast, signed_in):
    response = signed_in.post("/incidents/new/", {"title": "", "severity": "SEV2"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not Incident.objects.exists()


def test_a_viewer_sees_the_incident_without_forms(cast, client):
    incident = declare(cast)
    client.force_login(cast.viewer)
    html = client.get(f"/incidents/{incident.ref}/").content.decode()
    assert incident.title in html
    assert 'action="/incidents/INC-1/note/"' not in html
    assert "Ask a team admin" in html


def test_working_an_incident_from_its_page(cast, signed_in):
    incident = declare(cast)
    base = f"/incidents/{incident.ref}"
    signed_in.post(f"{base}/note/", {"body": "Restarted **the** workers"})
    signed_in.post(f"{base}/severity/", {"severity": "SEV1"})
    signed_in.post(f"{base}/status/", {"status": "identified", "body": "Bad config push"})
    signed_in.post(f"{base}/assign/", {"role": "scribe", "user": cast.admin.pk})
    signed_in.post(f"{base}/edit/", {"title": "Workers stuck", "summary": "More detail"})
    incident.refresh_from_db()
    assert (incident.severity, incident.status, incident.title) == (
        "SEV1",
        "identified",
        "Workers stuck",
    )
    html = signed_in.get(f"{base}/").content.decode()
    assert "Restarted <strong>the</strong> workers" in html
    assert "changed severity from SEV2" in html
    assert "made Admin Scribe" in html
    assert "Bad config push" in html
    signed_in.post(f"{base}/strike/", {"seq": 3})
    html = signed_in.get(f"{base}/").content.decode()
    assert "event-struck" in html and "struck through note" in html


def test_a_refused_move_is_explained_on_the_page(cast, signed_in):
    incident = incident_in(cast, Status.TRIGGERED)
    signed_in.post(f"/incidents/{incident.ref}/acknowledge/")
    response = signed_in.post(f"/incidents/{incident.ref}/acknowledge/", follow=True)
    assert "has nothing to acknowledge" in response.content.decode()


def test_markdown_in_notes_is_sanitised(cast, signed_in):
    incident = declare(cast)
    signed_in.post(
        f"/incidents/{incident.ref}/note/",
        {"body": "<img src=x onerror=alert(1)> [click](javascript:alert(1)) <b>bold</b>"},
    )
    html = signed_in.get(f"/incidents/{incident.ref}/").content.decode()
    assert "<img src=x" not in html and 'href="javascript' not in html
    assert "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_services_page_lists_and_adds_services(cast, signed_in):
    declare(cast, services=[Service.objects.create(name="checkout")])
    html = signed_in.get("/services/").content.decode()
    assert "checkout" in html and "1 open" in html
    signed_in.post(
        "/services/", {"name": "search", "description": "Product search", "team": cast.team.pk}
    )
    assert Service.objects.filter(name="search", team=cast.team).exists()


def test_the_root_goes_to_the_incident_list(cast, signed_in):
    assert signed_in.get("/")["Location"] == "/incidents/"
