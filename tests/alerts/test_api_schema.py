"""Schemathesis over the alerts API's operations on a live server: generated requests,
valid and invalid (bounded, fixed seed), never answer 5xx and always match the schema.
(The suite-wide schemathesis test covers them too once merged; it needs ids for
`integrations` and `maintenance-windows`, as make_world() below gives.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ApiToken
from incidents.alerts.models import MaintenanceWindow
from incidents.models import Service

from ..helpers import make_cast
from ..servers import AsgiServer, shared_database_url
from .helpers import make_integration

EXAMPLES = 30
SEED = 20261122
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PREFIXES = ("/api/v1/integrations/", "/api/v1/maintenance-windows/")


@pytest.fixture
def live_api(transactional_db):
    server = AsgiServer(shared_database_url()).start()
    try:
        yield server
    finally:
        server.stop()


def make_world() -> tuple[str, dict[str, int]]:
    cast = make_cast()
    service = Service.objects.create(name="payments-api", team=cast.team)
    integration, _key = make_integration(service, name="Prod alertmanager")
    now = timezone.now()
    window = MaintenanceWindow.objects.create(
        service=service, starts_at=now, ends_at=now + timedelta(hours=1), reason="Upgrade"
    )
    _token, raw = ApiToken.issue(cast.admin, "schemathesis")
    return raw, {"integrations": integration.pk, "maintenance-windows": window.pk}


def test_the_alerts_api_answers_every_generated_request_as_its_schema_says(live_api):
    raw_token, ids = make_world()
    headers = {"Authorization": f"Bearer {raw_token}"}
    schema = schemathesis.openapi.from_url(f"{live_api.url}/api/schema/", headers=headers)
    operations = [
        op for op in (r.ok() for r in schema.get_all_operations()) if op.path.startswith(PREFIXES)
    ]
    assert len(operations) == 9
    failures: list[str] = []
    for operation in operations:
        collection = operation.path.removeprefix("/api/v1/").split("/")[0]
        fixed = {"id": str(ids[collection])} if "{id}" in operation.path else {}
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
            except (Exception, BaseExceptionGroup) as exc:
                lines = str(exc).splitlines()
                failures.append(f"{operation.label} ({mode}): " + "\n".join(lines[:14]))
    assert not failures, "\n\n".join(failures)
