"""The site as a whole: a Content-Security-Policy with no inline script, error pages in the
site's own style (even while DEBUG is on, as under `make run`), a branded admin."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from keel import errors

from .helpers import declare

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


def test_pages_carry_a_policy_that_allows_no_inline_script(cast, client):
    client.force_login(cast.responder)
    incident = declare(cast)
    for path in ("/incidents/", f"/incidents/{incident.ref}/", "/accounts/profile/"):
        rules = policy(client.get(path))
        assert rules["script-src"] == ["'self'"], path
        assert rules["style-src"] == ["'self'"], path
        assert rules["connect-src"] == ["'self'"], "the live room's socket is same-origin"
        assert rules["frame-ancestors"] == ["'none'"] and rules["object-src"] == ["'none'"]


def test_swagger_ui_runs_its_script_from_a_file_and_only_it_may_use_inline_style(client):
    response = client.get("/api/docs/")
    rules = policy(response)
    assert rules["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in rules["style-src"]
    html = response.content.decode()
    assert not re.search(r"<script>\s*\S", html), "no inline script"
    assert client.get("/api/docs/?script").status_code == 200


def test_no_template_has_inline_script_or_event_handlers():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"\son[a-z]+=", text), template
        assert "style=" not in text, template


def test_htmx_is_told_not_to_inject_its_indicator_styles(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in html


@pytest.mark.parametrize("path", ["/no-such-page/", "/incidents/INC-999/"])
def test_a_missing_page_is_the_sites_own_404_even_with_debug_on(cast, client, settings, path):
    settings.DEBUG = True
    client.force_login(cast.responder)
    response = client.get(path)
    assert response.status_code == 404
    html = response.content.decode()
    assert "Nothing here" in html and 'class="topbar"' in html
    assert "URLconf" not in html and "api/v1/" not in html


def test_the_debug_404_page_is_there_when_asked_for(cast, client, settings):
    settings.DEBUG = True
    settings.DEBUG_404_PAGE = True
    client.force_login(cast.responder)
    assert "URLconf" in client.get("/no-such-page/").content.decode()


def test_the_api_keeps_answering_json_404s(cast, client, settings):
    settings.DEBUG = True
    client.force_login(cast.responder)
    response = client.get("/api/v1/incidents/INC-999/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_a_server_error_is_the_sites_own_500_page(rf):
    html = errors.server_error(rf.get("/incidents/")).content.decode()
    assert "Something went wrong on our side" in html and 'class="topbar"' in html
    api = errors.server_error(rf.get("/api/v1/incidents/"))
    assert api["Content-Type"] == "application/json"


def test_the_admin_is_branded(cast, client):
    client.force_login(cast.staff)
    cast.staff.is_superuser = True
    cast.staff.save()
    html = client.get("/admin/").content.decode()
    assert "Keel administration" in html
    assert "Django administration" not in html
