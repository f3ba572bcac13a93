"""Schemathesis against the OpenAPI schema of a live server: for every operation, a
bounded number of generated requests (valid and invalid, fixed seed) must never answer
5xx, and every answer must match the schema (status code, content type, body).

One real ASGI server (tests/servers.py) on the test database, a real token of a team
admin, and real path parameters (an incident, a service, a team, a spare token, and one of every
capability's records), so the
generated requests reach the handlers instead of stopping at 404."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ApiToken
from incidents import lifecycle
from incidents.alerts.models import MaintenanceWindow
from incidents.chat.models import ChatChannel
from incidents.models import IncidentRole, Service
from incidents.oncall.models import PersonalCalendar
from incidents.paging import ack, devices
from incidents.paging.models import ContactMethod, EscalationPolicy
from incidents.postmortems.records import add_action_item, add_factor
from incidents.postmortems.workflow import open_postmortem

from .alerts.helpers import make_integration
from .authz_table import page_sent
from .helpers import declare, make_cast
from .oncall.helpers import make_schedule
from .paging.push_authz_rows import AUTH, P256DH
from .servers import AsgiServer, shared_database_url

# Per operation and generation mode: ~80 operations x 2 modes x this stays under three
# minutes on two cores, keeping `make test` within its 15-minute budget.
EXAMPLES = 20
SEED = 20261122
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def live_api(transactional_db, monkeypatch):
    # Slack's request URLs on: unsigned generated requests get their 401, not the 503 of
    # a server with chat not configured (tests/test_hostile.py sends signed ones).
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "schemathesis-signing-secret")
    server = AsgiServer(shared_database_url()).start()
    try:
        yield server
    finally:
        server.stop()


def world():
    """The people and things the generated requests act on."""
    cast = make_cast()
    incident = declare(cast, labels={"region": "eu-west"})
    lifecycle.add_note(incident, cast.responder, "Checked the load balancer")
    lifecycle.assign_role(incident, cast.admin, IncidentRole.SCRIBE, cast.viewer)
    declare(cast, title="The original")
    service = Service.objects.create(name="payments-api", team=cast.team)
    Service.objects.create(name="legacy-billing")  # from before services needed a team
    _auth, raw = ApiToken.issue(cast.admin, "schemathesis")
    spare, _ = ApiToken.issue(cast.admin, "spare")
    integration, _key = make_integration(service, name="Prod alertmanager")
    # The other doors (keel/openapi.py) get real keys and tokens, so generated bodies reach
    # the parsers instead of stopping at 404.
    keys = {kind: make_integration(service, kind, name=f"Prod {kind}")[1] for kind in
            ("grafana", "generic", "pagerduty")}  # fmt: skip
    keys["alertmanager"] = _key
    now = timezone.now()
    window = MaintenanceWindow.objects.create(
        service=service, starts_at=now, ends_at=now + timedelta(hours=1), reason="Upgrade"
    )
    schedule = make_schedule(cast.team, [cast.responder, cast.admin])
    channel = ChatChannel.objects.create(
        team=cast.team, name="#ops", webhook_url="https://hooks.slack.com/services/T/B/x"
    )
    policy = EscalationPolicy.objects.create(name="Ops paging", team=cast.team)
    method = ContactMethod.objects.create(user=cast.admin, kind="email", address="a@example.com")
    device = devices.subscribe(cast.admin, "https://push.example/admin", P256DH, AUTH, "Pixel")
    postmortem, _created = open_postmortem(incident, cast.responder)
    factor = add_factor(postmortem, cast.responder, category="technical", description="Pool")
    item = add_action_item(postmortem, cast.responder, title="Alert on pool saturation")
    personal = PersonalCalendar.objects.create(user=cast.admin, token="schemathesis-calendar")
    page = page_sent(incident, cast.responder)
    path_parameters = {
        "ref": incident.ref,
        "id": None,  # set per operation below
        "key": keys,
        "token": {
            "/calendars/schedule/": schedule.calendar_token,
            "/calendars/person/": personal.token,
            "/page/ack/": ack.token_for(page.delivery_id),
        },
    }
    ids = {
        "services": service.pk, "teams": cast.team.pk, "tokens": spare.pk,
        "integrations": integration.pk, "maintenance-windows": window.pk,
        "schedules": schedule.pk, "chat-channels": channel.pk, "factors": factor.pk,
        "action-items": item.pk,
        "escalation-policies": policy.pk, "contact-methods": method.pk,
        "reminder-intervals": cast.team.pk, "push-subscriptions": device.pk,
    }  # fmt: skip
    return raw, path_parameters, ids


def fixed_path_parameters(operation, path_parameters: dict, ids: dict) -> dict:
    fixed = {}
    if "{ref}" in operation.path:
        fixed["ref"] = path_parameters["ref"]
    if "{key}" in operation.path:  # /hooks/<kind>/{key}/
        fixed["key"] = path_parameters["key"][operation.path.split("/")[2]]
    if "{token}" in operation.path:
        prefix = next(p for p in path_parameters["token"] if operation.path.startswith(p))
        fixed["token"] = path_parameters["token"][prefix]
    if "{id}" in operation.path:
        collection = operation.path.removeprefix("/api/v1/").split("/")[0]
        fixed["id"] = str(ids[collection])
    return fixed


def _summary(exc: BaseException) -> str:
    """The failure's first lines and its curl line: enough to reproduce it."""
    lines = str(exc).splitlines()
    curl = [line.strip() for line in lines if line.strip().startswith("curl ")]
    return "\n".join(lines[:12] + curl[:1])


def test_the_api_answers_every_generated_request_as_its_schema_says(live_api):
    raw_token, path_parameters, ids = world()
    headers = {"Authorization": f"Bearer {raw_token}"}
    schema = schemathesis.openapi.from_url(f"{live_api.url}/api/schema/", headers=headers)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        fixed = fixed_path_parameters(operation, path_parameters, ids)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)

            @seed(SEED)
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def run(case):
                case.call_and_validate(base_url=live_api.url, headers=headers, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                # Nothing invalid to generate: a form of optional strings, fixed path
                # parameters (the calendar feeds, the ack links).
                assert mode == GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # reported together below
                failures.append(f"{operation.label} ({mode}): {_summary(exc)}")
    assert not failures, "\n\n".join(failures)


def test_an_oversize_body_on_the_live_server_is_a_json_413(live_api):
    raw_token, path_parameters, _ids = world()
    response = httpx.post(
        f"{live_api.url}/api/v1/incidents/{path_parameters['ref']}/notes/",
        content=b'{"body": "' + b"x" * 3_000_000 + b'"}',
        headers={"Authorization": f"Bearer {raw_token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.headers["Content-Type"].startswith("application/json")
    assert "too large" in response.json()["detail"]
