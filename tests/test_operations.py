"""Health checks, the OpenAPI schema, demo data and production settings."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User
from incidents.models import Incident, Status

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_answers_without_the_database(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_checks_database_and_redis(db, client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_is_503_when_redis_is_down(db, client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


def test_the_openapi_schema_documents_every_endpoint_and_the_docs_page_loads(db):
    client = Client()
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in [
        "/api/v1/incidents/", "/api/v1/incidents/{ref}/", "/api/v1/incidents/{ref}/status/",
        "/api/v1/incidents/{ref}/notes/", "/api/v1/incidents/{ref}/timeline/",
        "/api/v1/incidents/{ref}/merge/", "/api/v1/services/", "/api/v1/teams/", "/api/v1/me/",
        "/api/v1/tokens/",
    ]:  # fmt: skip
        assert path in paths, path
    status_responses = paths["/api/v1/incidents/{ref}/status/"]["post"]["responses"]
    assert {"200", "400", "401", "403", "404", "409"} <= set(status_responses)
    assert "bearerAuth" in schema["components"]["securitySchemes"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Every script and stylesheet comes from our own static files, none from a CDN (the page
    # also carries a random CSRF token, so look at the addresses, not at any "cdn" text).
    html = docs.content.decode()
    assert re.findall(r'(?:src|href)="(https?:)?//', html) == [], "Swagger UI is served locally"
    assert "/static/drf_spectacular_sidecar/" in html


def test_schema_generation_has_no_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn",
         "--file", os.devnull],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "DEBUG": "true"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]


def test_seed_demo_creates_a_usable_demo_once(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    demo = User.objects.get(email="demo@keel.local")
    assert demo.check_password("keel-demo")
    statuses = set(Incident.objects.values_list("status", flat=True))
    assert {Status.RESOLVED, Status.IDENTIFIED, Status.TRIGGERED, Status.DECLINED} <= statuses
    assert Incident.objects.filter(private=True).exists()
    assert all(i.last_seq == i.events.count() for i in Incident.objects.all())
    count = Incident.objects.count()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "already present" in out.getvalue() and Incident.objects.count() == count


def test_seed_demo_refuses_a_known_password_in_production(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo")


PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k3Jx9-Qw2Lm8Zr5Tn1Vb7Yc4Hs6Pd0Fg3Ae9Ku2Io5Ul8Xj1Wq7Er4Ty6Ui0Op3As5Df",
    "ALLOWED_HOSTS": "keel.example.com",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    unset = ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    base = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
        env={**base, **env},
    )  # fmt: skip


def test_production_settings_pass_the_deploy_check():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("secret", "message"),
    [("", "SECRET_KEY is not set"), ("short", "SECRET_KEY is too weak")],
)
def test_production_refuses_to_start_without_a_strong_secret_key(secret, message):
    result = run_manage("check", env={**PRODUCTION_ENV, "SECRET_KEY": secret})
    assert result.returncode != 0
    assert message in result.stderr
