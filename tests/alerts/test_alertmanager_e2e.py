"""A real Alertmanager (Debian's prometheus-alertmanager, installed by `make alertmanager`)
posting to a real Keel ASGI server through both its webhook and its PagerDuty receivers:
alerts added and ended with amtool open and resolve the right incidents."""

from __future__ import annotations

import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from incidents.alerts.models import Alert, Kind
from incidents.models import Incident, Status

from ..servers import AsgiServer, free_port, shared_database_url
from .helpers import make_integration

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
AMTOOL = shutil.which("amtool")
WAIT_SECONDS = 60

pytestmark = [
    pytest.mark.skipif(
        not (ALERTMANAGER and AMTOOL),
        reason="prometheus-alertmanager is not installed and could not be (run `make "
        "alertmanager` as root or with password-less sudo)",
    ),
    pytest.mark.django_db(transaction=True),
]

CONFIG = """
route:
  receiver: keel-webhook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - receiver: keel-pagerduty
      matchers: ['via="pagerduty"']
receivers:
  - name: keel-webhook
    webhook_configs:
      - url: {keel}/hooks/alertmanager/{webhook_key}/
        send_resolved: true
  - name: keel-pagerduty
    pagerduty_configs:
      - routing_key: {pagerduty_key}
        url: {keel}/v2/enqueue
        send_resolved: true
        severity: critical
"""


@pytest.fixture
def keel():
    server = AsgiServer(shared_database_url()).start()
    yield server.url
    server.stop()


@pytest.fixture
def alertmanager(tmp_path: Path, keel, ops_service):
    _webhook, webhook_key = make_integration(ops_service, Kind.ALERTMANAGER, auto_resolve=True)
    _pagerduty, pagerduty_key = make_integration(ops_service, Kind.PAGERDUTY, auto_resolve=True)
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        CONFIG.format(keel=keel, webhook_key=webhook_key, pagerduty_key=pagerduty_key)
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [ALERTMANAGER, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
         "--log.level=warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(lambda: _ready(url), "Alertmanager to start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def wait_for(check, what: str) -> None:
    """Poll until `check()` is true, failing after WAIT_SECONDS (a bound, not a timing)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {WAIT_SECONDS} s for {what}")
        time.sleep(0.2)


def amtool(url: str, *args: str) -> None:
    subprocess.run(
        [AMTOOL, "alert", "add", f"--alertmanager.url={url}", *args],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip


def test_alerts_added_and_ended_with_amtool_open_and_resolve_the_right_incidents(alertmanager):
    amtool(alertmanager, "alertname=DiskFull", "instance=db-1", "severity=warning",
           "--annotation=summary=Disk almost full on db-1")  # fmt: skip
    amtool(alertmanager, "alertname=CheckoutErrors", "via=pagerduty",
           "--annotation=summary=Checkout 5xx above 5%")  # fmt: skip

    wait_for(lambda: Incident.objects.count() == 2, "two incidents")
    webhook_alert = Alert.objects.get(integration__kind=Kind.ALERTMANAGER)
    pagerduty_alert = Alert.objects.get(integration__kind=Kind.PAGERDUTY)
    assert webhook_alert.summary == "Disk almost full on db-1"
    assert webhook_alert.labels["instance"] == "db-1"
    assert webhook_alert.incident.severity == "SEV3"  # severity=warning
    assert "CheckoutErrors" in pagerduty_alert.summary
    assert pagerduty_alert.incident.severity == "SEV1"  # the receiver says critical
    assert webhook_alert.incident != pagerduty_alert.incident
    assert {i.status for i in Incident.objects.all()} == {Status.TRIGGERED}

    past = (datetime.now(UTC) - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    amtool(alertmanager, "alertname=DiskFull", "instance=db-1", "severity=warning",
           "--annotation=summary=Disk almost full on db-1", f"--end={past}")  # fmt: skip
    wait_for(
        lambda: Incident.objects.get(pk=webhook_alert.incident_id).status == Status.RESOLVED,
        "the webhook's incident to resolve",
    )
    assert Incident.objects.get(pk=pagerduty_alert.incident_id).status == Status.TRIGGERED

    amtool(alertmanager, "alertname=CheckoutErrors", "via=pagerduty",
           "--annotation=summary=Checkout 5xx above 5%", f"--end={past}")  # fmt: skip
    wait_for(
        lambda: Incident.objects.get(pk=pagerduty_alert.incident_id).status == Status.RESOLVED,
        "the PagerDuty receiver's incident to resolve",
    )
    assert Alert.objects.filter(status="resolved").count() == 2
    assert Incident.objects.count() == 2
