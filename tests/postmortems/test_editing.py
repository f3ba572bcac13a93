"""Saving with versions: two editors, a stale save is 409 with the current text, nothing is
lost; revisions are kept; a published postmortem is read-only."""

from __future__ import annotations

from incidents.postmortems.models import Revision

from ..helpers import api_client
from .helpers import postmortem_of, publishable, seeded_incident


def url(incident) -> str:
    return f"/api/v1/incidents/{incident.ref}/postmortem/"


def test_two_editors_the_second_gets_409_with_the_first_ones_text(cast):
    incident = seeded_incident(cast)
    ana, tom = api_client(cast.responder), api_client(cast.admin)
    opened = ana.get(url(incident)).json()
    assert tom.get(url(incident)).json()["version"] == opened["version"] == 1

    first = ana.put(
        url(incident), {"version": 1, "sections": {"summary": "Ana's summary"}}, format="json"
    )
    assert first.status_code == 200
    assert first.json()["version"] == 2

    stale = tom.put(
        url(incident), {"version": 1, "sections": {"summary": "Tom's summary"}}, format="json"
    )
    assert stale.status_code == 409
    body = stale.json()
    assert body["version"] == 2
    assert body["sections"]["summary"] == "Ana's summary"
    assert "Merge" in body["detail"]
    assert postmortem_of(incident).sections["summary"] == "Ana's summary"

    merged = "Ana's summary\n\nTom's summary"
    again = tom.put(url(incident), {"version": 2, "sections": {"summary": merged}}, format="json")
    assert again.status_code == 200
    assert again.json()["sections"]["summary"] == merged
    versions = list(
        Revision.objects.filter(postmortem__incident=incident).values_list("version", flat=True)
    )
    assert sorted(versions) == [1, 2, 3]


def test_bad_saves_are_400_with_a_message(cast):
    incident = seeded_incident(cast)
    client = api_client(cast.responder)
    for body in (
        {"sections": {"summary": "x"}},
        {"version": "one", "sections": {"summary": "x"}},
        {"version": 1, "sections": {"nonsense": "x"}},
        {"version": 1, "sections": {"summary": 5}},
        {"version": 1, "sections": ["summary"]},
    ):
        response = client.put(url(incident), body, format="json")
        assert response.status_code == 400, body
        assert response.json()["detail"]


def test_a_viewer_cannot_save(cast):
    incident = seeded_incident(cast)
    response = api_client(cast.viewer).put(
        url(incident), {"version": 1, "sections": {"summary": "x"}}, format="json"
    )
    assert response.status_code == 403
    assert postmortem_of(incident).version == 1


def test_a_published_postmortem_is_read_only_and_keeps_its_history(cast):
    incident = seeded_incident(cast)
    postmortem = publishable(postmortem_of(incident), cast.responder, cast.admin)
    client = api_client(cast.responder)
    published = client.post(url(incident) + "publish/", {"allow_empty": True}, format="json")
    assert published.status_code == 200
    response = client.put(
        url(incident),
        {"version": postmortem.version, "sections": {"summary": "changed"}},
        format="json",
    )
    assert response.status_code == 409
    assert "read-only" in response.json()["detail"]
    assert Revision.objects.filter(postmortem=postmortem).exists()
