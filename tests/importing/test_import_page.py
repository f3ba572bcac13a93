"""The staff import page: form, plan (nothing changes, the token is not kept), Apply,
report with the new integration's key once and the on-call comparison."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.models import Team
from incidents.alerts.models import Integration
from tests.helpers import make_user

from .core_documents import another_apply_running, snapshot
from .toy_source import TOKEN, ToyServer

TOY = "tests.importing.toy_source"


@pytest.fixture
def staff(db, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the toy tool listens on 127.0.0.1
    settings.IMPORT_SOURCES = [TOY, "pagerduty"]
    make_user("ana@example.com"), make_user("ben@example.com")
    client = Client()
    client.force_login(make_user("root@example.com", is_staff=True))
    return client


def form(toy: ToyServer, token: str = TOKEN, **extra) -> dict:
    return {"source": TOY, "url": toy.url, "token": token, **extra}


def test_staff_see_the_form_and_the_nav_link(staff):
    page = staff.get("/settings/import/").content.decode()
    assert 'name="token"' in page and 'type="password"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'href="/settings/import/"' in page
    assert f'value="{TOY}"' in page


def test_the_plan_changes_nothing_and_keeps_no_token(staff):
    before = snapshot()
    with ToyServer() as toy:
        response = staff.post("/settings/import/plan/", form(toy))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Will create" in page and "schedule Primary (toys)" in page
    assert "Toy urgency rules have no match." in page  # the source's note
    assert snapshot() == before
    stored = json.dumps(dict(staff.session))
    assert "Primary" in stored and TOKEN not in stored


def test_apply_applies_the_plan_shows_the_key_once_and_the_comparison(staff):
    with ToyServer() as toy:
        planned = staff.post("/settings/import/plan/", form(toy)).context["plan"]
        requests_before_apply = len(toy.requests)
        done = staff.post("/settings/import/apply/", {"plan": planned})
        assert len(toy.requests) == requests_before_apply  # the token is not needed again
    page = done.content.decode()
    assert done.status_code == 200 and done["Cache-Control"].startswith("max-age=0")
    ((made,),) = [done.context["result"].report.integrations]
    assert made["key"] in page and Integration.by_key(made["key"], "generic") is not None
    assert "No difference in 1 schedule" in page
    assert Team.objects.filter(slug="toys").exists()
    again = staff.post("/settings/import/apply/", {"plan": planned}, follow=True)
    assert "That plan is no longer waiting" in again.content.decode()
    assert made["key"] not in again.content.decode()


def test_differences_are_listed_after_the_apply(staff):
    with ToyServer(mismatch=True) as toy:
        planned = staff.post("/settings/import/plan/", form(toy)).context["plan"]
    page = staff.post("/settings/import/apply/", {"plan": planned}).content.decode()
    assert "5 differences:" in page
    assert "source has ben@example.com, Keel has ana@example.com" in page


def test_a_refused_token_is_shown_on_the_form(staff):
    with ToyServer() as toy:
        response = staff.post("/settings/import/plan/", form(toy, token="expired"))
    assert response.status_code == 400
    assert "refused the token (401)" in response.content.decode()
    assert "importing:reading" not in staff.session


def test_an_unknown_source_is_a_form_error(staff):
    response = staff.post("/settings/import/plan/", {"source": "jira", "token": "x"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("path", ["/settings/import/", "/settings/import/plan/",
                                  "/settings/import/apply/"])  # fmt: skip
def test_people_who_are_not_staff_are_refused(cast, client, path):
    client.force_login(cast.admin)
    assert "/settings/import/" not in client.get("/incidents/").content.decode()  # no link
    method = client.get if path == "/settings/import/" else client.post
    assert method(path).status_code == 403
    client.logout()
    assert method(path)["Location"].startswith("/accounts/login/")


def test_the_forms_need_their_csrf_token(staff):
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = staff.cookies
    assert strict.post("/settings/import/plan/", {"source": TOY, "token": TOKEN}).status_code == 403


@pytest.mark.parametrize("token", ["tök-en", "two words", "a\r\nX-Injected: 1"])
def test_a_token_no_api_could_have_issued_is_refused_before_any_request(staff, token):
    with ToyServer() as toy:
        response = staff.post("/settings/import/plan/", form(toy, token=token))
    assert response.status_code == 400
    assert "That is not an API token" in response.content.decode()
    assert toy.requests == []


def test_a_private_address_is_refused_unless_allowed(staff, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    with ToyServer() as toy:
        https = toy.url.replace("http://", "https://")
        response = staff.post("/settings/import/plan/", {**form(toy), "url": https})
    assert response.status_code == 400
    assert "private addresses are not allowed" in response.content.decode()
    assert toy.requests == []


def test_the_token_is_never_sent_over_plain_http_to_the_internet(staff, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    with ToyServer() as toy:
        response = staff.post("/settings/import/plan/", form(toy))
    assert response.status_code == 400
    assert "Give an https:// URL for the source&#x27;s API" in response.content.decode()
    assert toy.requests == []


def test_staff_see_which_keel_object_each_source_id_became_in_the_admin(staff):
    with ToyServer() as toy:
        planned = staff.post("/settings/import/plan/", form(toy)).context["plan"]
        staff.post("/settings/import/apply/", {"plan": planned})
    root = make_user("admin-root@example.com", is_staff=True, is_superuser=True)
    staff.force_login(root)
    page = staff.get("/admin/importing/sourcelink/").content.decode()
    assert "toy:sched-1" in page and "toy:int-1" in page


def test_apply_while_another_runs_keeps_the_plan_waiting(staff):
    with ToyServer() as toy:
        planned = staff.post("/settings/import/plan/", form(toy)).context["plan"]
    with another_apply_running():
        busy = staff.post("/settings/import/apply/", {"plan": planned})
    assert busy.status_code == 409
    assert "Another import or apply_config is applying right now" in busy.content.decode()
    assert not Team.objects.filter(slug="toys").exists()
    done = staff.post("/settings/import/apply/", {"plan": planned})
    assert done.status_code == 200 and Team.objects.filter(slug="toys").exists()
