"""A burst of new alerts on one service, as a real Alertmanager with two receivers (and a
PagerDuty-style sender beside it) produces: every one accepted, one incident per key (or
per Alertmanager group), and no deadlock in PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from incidents.alerts.models import Alert, Kind
from incidents.models import Incident, Service

from ..helpers import deadlocks_in_test_database, is_postgres
from ..servers import AsgiServer, shared_database_url
from .helpers import hook_path, make_integration, payload

KEYS = 100
# Alertmanager's keys come in groups of this many, each key in a request of its own (two
# receivers, or two Alertmanager replicas, each sending what they see at once).
GROUP_SIZE = 2


def _alertmanager(key: str, group: int) -> dict:
    body = payload("alertmanager_firing", groupKey=f'{{}}:{{alertname="Burst{group}"}}')
    alert = dict(body["alerts"][0])
    alert["fingerprint"] = key
    alert["labels"] = {**alert["labels"], "alertname": f"Burst{group}", "instance": key}
    alert["annotations"] = {"summary": f"Burst {key}"}
    body["alerts"] = [alert]
    return body


def _requests(keys: dict[str, str]) -> list[tuple[str, dict]]:
    """KEYS new dedup keys spread over the three integrations, interleaved."""
    out = []
    for n in range(KEYS):
        key = f"burst-{n}"
        kind = (Kind.ALERTMANAGER, Kind.GENERIC, Kind.PAGERDUTY)[n % 3]
        if kind == Kind.ALERTMANAGER:
            body = _alertmanager(key, group=n // (3 * GROUP_SIZE))
        elif kind == Kind.GENERIC:
            body = payload("generic_firing", title=f"Burst {key}", dedup_key=key)
        else:
            body = payload("pagerduty_trigger", routing_key=keys[kind], dedup_key=key)
            body["payload"] = {**body["payload"], "summary": f"Burst {key}"}
        out.append((hook_path(kind, keys[kind]), body))
    return out


async def _send_all(urls: list[str], requests: list[tuple[str, dict]]) -> list[int]:
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        responses = await asyncio.gather(
            *(
                client.post(urls[n % len(urls)] + path, json=body)
                for n, (path, body) in enumerate(requests)
            )
        )
    return [r.status_code for r in responses]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hundred_new_alerts_at_once_over_three_integrations_are_all_accepted(cast):
    if not is_postgres():
        pytest.skip("needs PostgreSQL's row locks (set DATABASE_URL)")
    service = Service.objects.create(name="payments-api", team=cast.team)
    keys = {
        kind: make_integration(service, kind)[1]
        for kind in (Kind.ALERTMANAGER, Kind.GENERIC, Kind.PAGERDUTY)
    }
    requests = _requests(keys)
    database = shared_database_url()
    before = deadlocks_in_test_database()
    # Two web processes, as production runs several.
    servers = [AsgiServer(database).start(), AsgiServer(database).start()]
    try:
        codes = asyncio.run(_send_all([s.url for s in servers], requests))
    finally:
        for server in servers:
            server.stop()
    deadlocks = deadlocks_in_test_database() - before

    assert [c for c in codes if not 200 <= c < 300] == []
    assert deadlocks == 0
    assert Alert.objects.count() == KEYS
    alerts = Alert.objects.select_related("integration", "incident")
    assert all(a.incident is not None and a.count == 1 for a in alerts)
    for kind in (Kind.GENERIC, Kind.PAGERDUTY):
        mine = [a for a in alerts if a.integration.kind == kind]
        assert len({a.incident_id for a in mine}) == len(mine)  # one incident per key
    groups: dict[str, set[int]] = {}
    for alert in alerts:
        if alert.integration.kind == Kind.ALERTMANAGER:
            groups.setdefault(alert.group_key, set()).add(alert.incident_id)
    assert all(len(incidents) == 1 for incidents in groups.values())  # one per group
    assert len({i for s in groups.values() for i in s}) == len(groups)
    expected = len(groups) + sum(1 for a in alerts if a.integration.kind != Kind.ALERTMANAGER)
    assert Incident.objects.count() == expected
    for incident in Incident.objects.all():
        assert list(incident.services.all()) == [service]
        assert incident.team == cast.team
        seqs = list(incident.events.values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1))
