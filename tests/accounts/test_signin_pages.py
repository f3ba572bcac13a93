"""Password sign-in runs through django-allauth (the flow second factors and providers hook
into); its pages Keel does not offer are not there."""

from __future__ import annotations

import pytest
from django.test import Client

from ..helpers import PASSWORD


@pytest.mark.parametrize(
    "path", ["/accounts/signup/", "/accounts/email/", "/accounts/password/reset/",
             "/accounts/3rdparty/", "/accounts/3rdparty/signup/"],
)  # fmt: skip
def test_no_open_sign_up_nor_self_managed_addresses(cast, path):
    assert Client().get(path).status_code == 404


def test_confirming_the_password_again_takes_the_right_one(cast):
    client = Client()
    client.force_login(cast.responder)
    wrong = client.post("/accounts/reauthenticate/", {"password": "not it"})
    assert wrong.status_code == 200 and "Incorrect password" in wrong.content.decode()
    right = client.post("/accounts/reauthenticate/?next=/services/", {"password": PASSWORD})
    assert right.status_code == 302 and right["Location"] == "/services/"


def test_the_login_page_sends_you_on_to_where_you_were_going(cast):
    client = Client()
    page = client.get("/accounts/login/?next=/services/").content.decode()
    assert 'name="next" value="/services/"' in page
    response = client.post(
        "/accounts/login/",
        {"username": "viewer@example.com", "password": PASSWORD, "next": "/services/"},
    )
    assert response.status_code == 302 and response["Location"] == "/services/"
