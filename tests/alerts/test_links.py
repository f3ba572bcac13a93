"""Links that senders and people give become links only when they are http(s) or mailto: an
Alertmanager generatorURL, a generic alert's link, a link in a summary or note, an action
item's link. A `javascript:` one would run in Keel's pages when clicked."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from incidents import lifecycle
from incidents.markdown import link_href, render_markdown
from incidents.models import Incident
from incidents.postmortems import records
from tests.postmortems.helpers import postmortem_of, seeded_incident

from .helpers import make_integration, payload, post

HOSTILE = [
    "javascript:alert(document.cookie)",
    "  JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "https:evil",
]


def hrefs(html: str) -> list[str]:
    return re.findall(r"""href\s*=\s*["']([^"']*)["']""", html, re.IGNORECASE)


@pytest.fixture
def browser(cast) -> Client:
    client = Client()
    client.force_login(cast.responder)
    return client


@pytest.mark.parametrize("url", HOSTILE)
def test_only_http_and_mailto_urls_may_be_links(url):
    assert link_href(url) == ""
    assert link_href(url, relative=True) == ""


def test_http_https_and_mailto_urls_are_kept_as_given():
    for url in ["https://grafana.example/d/x?a=1&b=2", "http://prom:9090/graph", "mailto:a@b.c"]:
        assert link_href(url) == url
    assert link_href("/incidents/INC-1/") == ""
    assert link_href("/incidents/INC-1/", relative=True) == "/incidents/INC-1/"
    assert link_href("//evil.example", relative=True) == ""


def test_an_alerts_javascript_source_is_not_a_link_on_the_incident_or_service_page(
    browser, ops_service
):
    _integration, key = make_integration(ops_service)
    body = payload("alertmanager_firing")
    body["alerts"][0]["generatorURL"] = "javascript:alert(document.cookie)"
    body["alerts"][1]["generatorURL"] = "  JaVa\tScRiPt:alert(1)"
    ref = post(f"/hooks/alertmanager/{key}/", body).json()["incidents"][0]
    for page in (f"/incidents/{ref}/", f"/services/{ops_service.pk}/"):
        html = browser.get(page).content.decode()
        assert "BlackBox Probe Failure: https://server.example.org" in html
        links = hrefs(html)
        assert not [h for h in links if "script:" in h.lower().replace("\t", "")], page
        # The third alert's http source is still a link.
        assert (
            "http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0&amp;g0.tab=1"
            in html
        )


def test_a_javascript_link_in_a_generic_alert_is_not_a_link(browser, ops_service):
    _integration, key = make_integration(ops_service, kind="generic")
    answer = post(
        f"/hooks/generic/{key}/",
        {"title": "Disk full", "links": ["javascript:alert(1)"]},
    )
    assert answer.status_code < 300, answer.content
    incident = Incident.objects.get()
    html = browser.get(f"/incidents/{incident.ref}/").content.decode()
    assert "Disk full" in html
    assert not [h for h in hrefs(html) if "javascript" in h.lower()]


@pytest.mark.parametrize(
    "text",
    ["[click](javascript:alert(1))", "[click](java&#x09;script:alert(1))",
     "[click](data:text/html,hi)", "<javascript:alert(1)>", "[click](//evil.example)",
     "[a][r]\n\n[r]: javascript:alert(1)", "[click](vbscript:x)"],
)  # fmt: skip
def test_a_summary_or_note_with_a_hostile_link_renders_no_link(text):
    assert hrefs(render_markdown(text)) == []


def test_a_summary_keeps_its_web_mail_and_in_page_links():
    html = render_markdown(
        "[g](https://grafana.example/x) [m](mailto:a@b.c) [r](/incidents/INC-1/)"
    )
    assert hrefs(html) == ["https://grafana.example/x", "mailto:a@b.c", "/incidents/INC-1/"]


def test_a_note_in_the_room_with_a_hostile_link_renders_no_link(cast, browser):
    incident = lifecycle.declare(cast.responder, title="Checkout", severity="SEV3", team=cast.team)
    lifecycle.add_note(incident, cast.responder, "see [here](java&#x09;script:alert(1))")
    html = browser.get(f"/incidents/{incident.ref}/").content.decode()
    assert "here" in html
    assert not [h for h in hrefs(html) if "script" in h.lower()]


def test_an_action_items_link_is_a_link_only_when_it_is_http(cast, browser):
    incident = seeded_incident(cast)
    postmortem = postmortem_of(incident)
    records.add_action_item(postmortem, cast.responder, title="Read the runbook",
                            link="ftp://files.example/runbook")  # fmt: skip
    records.add_action_item(postmortem, cast.responder, title="Graph it",
                            link="https://grafana.example/d/pool")  # fmt: skip
    for page in (f"/incidents/{incident.ref}/postmortem/", "/postmortems/action-items/"):
        links = hrefs(browser.get(page).content.decode())
        assert "https://grafana.example/d/pool" in links, page
        assert "ftp://files.example/runbook" not in links, page
